// Which keys a user looks at first: validation metrics, then training ones, then the
// rest; bookkeeping series (a logged learning rate, epoch, step) and system metrics last.
const BOOKKEEPING = /(^|\/)(lr|learning_rate|epoch|epochs|step|global_step|iter|iteration)$/i;

/** 0 for val/..., 1 for train/..., 2 for other metrics, 3 for bookkeeping, 4 for system/. */
export function keyRank(key: string): number {
  if (key.startsWith("system/")) return 4;
  if (BOOKKEEPING.test(key)) return 3;
  if (/^(val|valid|validation|eval|test)[/_.]/i.test(key)) return 0;
  if (/^train[/_.]/i.test(key)) return 1;
  return 2;
}

/** Whether a key is bookkeeping (lr, epoch, step) rather than a result. */
export const isBookkeeping = (key: string) => BOOKKEEPING.test(key);

/** Metric keys in the order a user looks for them (stable by name within a rank). */
export function orderKeys(keys: readonly string[]): string[] {
  return [...keys].sort((a, b) => keyRank(a) - keyRank(b) || (a < b ? -1 : a > b ? 1 : 0));
}
