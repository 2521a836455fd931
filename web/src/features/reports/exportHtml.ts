// A report as one static, self-contained HTML file: the rendered article as it is on
// screen (charts are inline SVG already), a small stylesheet, links made absolute, and
// a Content-Security-Policy that allows no script and no fetch: opened anywhere, the
// file shows the report as it was when exported and does nothing else.

const CSS = `
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 0; background: #fff; }
main { max-width: 860px; margin: 32px auto; padding: 0 24px; }
h1 { font-size: 26px; margin: 0 0 4px; }
.meta { color: #6a737d; font-size: 12px; margin-bottom: 24px; }
.markdown h2 { font-size: 22px; } .markdown h3 { font-size: 18px; } .markdown h4 { font-size: 16px; }
pre, code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
pre { background: #f6f8fa; padding: 8px 12px; border-radius: 6px; overflow: auto; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.report-block { margin: 16px 0; }
.block-title { font-weight: 600; margin-bottom: 4px; }
.block-error { color: #b42318; }
.run-set { list-style: none; padding: 0; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 3px; margin-right: 4px; }
.legend-item { margin-right: 10px; font-size: 12px; white-space: nowrap; }
.state { font-size: 11px; border: 1px solid #d0d7de; border-radius: 8px; padding: 0 6px; }
.muted { color: #6a737d; } .small { font-size: 12px; }
a { color: #0969da; }
svg { max-width: 100%; height: auto; }
`;

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The file's text: `article` is the rendered report's HTML (what the page shows). */
export function standaloneHtml(title: string, meta: string, article: string, origin: string): string {
  // in-app links ("/p/...") point back to this server
  const body = article.replace(/(href=")(\/[^"]*)"/g, (_m, a: string, path: string) => `${a}${origin}${path}"`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<div class="meta">${escapeHtml(meta)}</div>
${body}
</main>
</body>
</html>
`;
}

/** A file name for the export: the title, made safe. */
export function exportFileName(title: string): string {
  const safe = title.replace(/[^\w.-]+/g, "-").replace(/^-+|-+$/g, "") || "report";
  return `${safe.slice(0, 80)}.html`;
}

/** Save `text` as a file named `name` in the browser. */
export function download(name: string, text: string, type: string): void {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
