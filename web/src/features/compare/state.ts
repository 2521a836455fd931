import { list, str } from "../../lib/urlState";
import { chartSchema } from "../charts/state";

/** The comparison: the runs, the tab, the reference run, and the charts' settings. */
export const compareSchema = {
  runs: list("runs"),
  tab: str("tab", "config"),
  ref: str("ref"), // the reference run that differences are highlighted against
  ...chartSchema,
};
