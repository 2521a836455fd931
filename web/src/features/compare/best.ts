// Which run's value a comparison stars as the best of a metric row: none for system
// metrics and bookkeeping series (lr, epoch, step) unless a goal was declared for them
// (`run.define_metric(key, goal=...)`), and none when the best value is shared (a tie).
import { bestIndex, higherIsBetter } from "../../lib/flatten";
import { isBookkeeping } from "../runs/keyOrder";

/** Whether a metric has a better direction at all (loss or accuracy, not lr or cpu). */
export function isRanked(key: string, goal?: string): boolean {
  if (goal === "max" || goal === "min") return true;
  return !key.startsWith("system/") && !isBookkeeping(key);
}

/** The index of the run to star in a row of `values`, or -1. */
export function starIndex(key: string, values: unknown[], goal?: string): number {
  if (!isRanked(key, goal)) return -1;
  const best = bestIndex(values, higherIsBetter(key, goal));
  if (best < 0) return -1;
  const tied = values.filter((v) => v === values[best]).length > 1;
  return tied ? -1 : best;
}
