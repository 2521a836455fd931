import { num, str } from "../../lib/urlState";

/** The Media tab: the step its images, text and audio show (-1: each key's last),
 * the table key's filter and sort (column index, "-" first for descending). */
export const mediaSchema = {
  step: num("mstep", -1),
  tableFilter: str("mfilter"),
  tableSort: str("msort"),
};
