// Which preview a file gets, by its name.
export type PreviewKind = "image" | "json" | "csv" | "diff" | "text" | "none";

const IMAGE = /\.(png|jpe?g|gif|webp|bmp|avif)$/i;
const TEXT =
  /\.(txt|log|md|py|ya?ml|toml|ini|cfg|sh|rst|out|err|ipynb|html?|xml|js|ts)$|(^|\/)(requirements[^/]*|Dockerfile|Makefile|README)$/i;

export function previewKind(path: string): PreviewKind {
  if (IMAGE.test(path)) return "image";
  if (/\.json$/i.test(path)) return "json";
  if (/\.(csv|tsv)$/i.test(path)) return "csv";
  if (/\.(patch|diff)$/i.test(path)) return "diff";
  if (TEXT.test(path)) return "text";
  return "none";
}

/** Rows of a CSV/TSV text, quotes handled, at most `limit` rows. */
export function parseCsv(text: string, sep = ",", limit = 500): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length && rows.length < limit; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === "") quoted = true;
    else if (c === sep) {
      row.push(cell);
      cell = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += c;
  }
  if ((cell !== "" || row.length) && rows.length < limit) rows.push([...row, cell]);
  return rows;
}
