import { str } from "../../lib/urlState";
import { chartSchema } from "../charts/state";

/** The run page: its tab, the file shown, the config search, and the charts' settings. */
export const runPageSchema = {
  tab: str("tab", "overview"),
  file: str("file"),
  configFilter: str("cq"),
  ...chartSchema,
};
