import { bool, list, num, str, type StateOf } from "../../lib/urlState";

/** Chart settings, shared by the run page and the comparison. */
export const chartSchema = {
  xAxis: str("x", "step"),
  logY: bool("logy"),
  smoothing: num("smooth", 0),
  smoothKind: str("sk", "ema"),
  xMin: num("xmin", Number.NaN),
  xMax: num("xmax", Number.NaN),
  chartFilter: str("cf"),
  hidden: list("hide"),
  enlarged: str("big"), // the metric whose chart is enlarged
  band: str("band"), // seed groups drawn as their mean with a band: std, minmax, ci95 ("": lines)
};
export type ChartState = StateOf<typeof chartSchema>;
