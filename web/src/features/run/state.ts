import { str } from "../../lib/urlState";
import { chartSchema } from "../charts/state";

/** The run page: its tab, the file shown, the config search, and the charts' settings
 * (the System tab's x axis apart: system metrics are sampled at wall time, all at step 0,
 * so they are drawn against time unless the user picks another axis). */
export const runPageSchema = {
  tab: str("tab", "overview"),
  file: str("file"),
  configFilter: str("cq"),
  systemX: str("sx", "time"),
  ...chartSchema,
};
