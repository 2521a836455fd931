// Preview of a run or artifact file: images, text, JSON, YAML, CSV, diffs; always a
// download link. Large files are not fetched for preview.
import { useQuery } from "@tanstack/react-query";
import { fmtBytes } from "../lib/format";
import { parseCsv, previewKind } from "../lib/preview";
import { ErrorBox, Loading } from "./States";

const MAX_PREVIEW = 2 * 1024 * 1024;

/** The query key of a file's text, by its download URL. */
export const fileTextKey = (url: string) => ["file-text", url] as const;

export function FilePreview({ url, path, size }: { url: string; path: string; size: number }) {
  const kind = previewKind(path);
  const textual = kind !== "image" && kind !== "none" && size <= MAX_PREVIEW;
  const res = useQuery({
    queryKey: fileTextKey(url),
    queryFn: async ({ signal }) => {
      const r = await fetch(url, { signal });
      if (!r.ok) throw new Error(`Could not load ${path}: HTTP ${r.status}`);
      return r.text();
    },
    enabled: textual,
  });
  const name = path.split("/").pop() ?? path;
  return (
    <div className="file-preview" data-preview={kind} data-path={path}>
      <div className="file-head">
        <code>{path}</code>
        <span className="muted">{fmtBytes(size)}</span>
        <span className="spacer" />
        <a className="button" href={url} download={name}>
          Download
        </a>
      </div>
      {kind === "image" ? (
        <img src={url} alt={path} className="preview-image" />
      ) : kind === "none" ? (
        <div className="muted pad">No preview for this file type.</div>
      ) : size > MAX_PREVIEW ? (
        <div className="muted pad">Too large to preview ({fmtBytes(size)}); download it instead.</div>
      ) : res.error ? (
        <ErrorBox error={res.error} retry={() => void res.refetch()} />
      ) : res.data === undefined ? (
        <Loading what={name} />
      ) : (
        <TextPreview kind={kind} text={res.data} path={path} />
      )}
    </div>
  );
}

function TextPreview({ kind, text, path }: { kind: string; text: string; path: string }) {
  if (kind === "json") {
    let pretty = text;
    try {
      pretty = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // not valid JSON: show it as it is
    }
    return <pre className="code">{pretty}</pre>;
  }
  if (kind === "csv") {
    const rows = parseCsv(text, path.toLowerCase().endsWith(".tsv") ? "\t" : ",");
    const [head, ...body] = rows;
    return (
      <div className="csv-wrap">
        <table className="grid">
          <thead>
            <tr>
              {head?.map((h, i) => (
                <th key={i}>{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {body.map((r, i) => (
              <tr key={i}>
                {r.map((c, j) => (
                  <td key={j}>{c}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  }
  if (kind === "diff") {
    return (
      <pre className="code diff">
        {text.split("\n").map((line, i) => {
          const cls =
            line.startsWith("+++") || line.startsWith("---")
              ? "meta"
              : line.startsWith("+")
                ? "add"
                : line.startsWith("-")
                  ? "del"
                  : line.startsWith("@@")
                    ? "hunk"
                    : "";
          return (
            <span key={i} className={cls}>
              {line}
              {"\n"}
            </span>
          );
        })}
      </pre>
    );
  }
  return <pre className="code">{text}</pre>;
}
