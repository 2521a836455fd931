import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { Markdown, safeUrl } from "./Markdown";

const html = (source: string) => renderToStaticMarkup(<Markdown source={source} />);

describe("run notes as Markdown", () => {
  it("renders headings one level down, emphasis, code and lists", () => {
    const out = html("# Title\n## Result\n**good** and *fine* with `x = 1`\n\n- a\n- b\n\n```\ncode\n```");
    expect(out).toContain("<h2>Title</h2>");
    expect(out).toContain("<h3>Result</h3>");
    expect(out).toContain("<strong>good</strong>");
    expect(out).toContain("<em>fine</em>");
    expect(out).toContain("<code>x = 1</code>");
    expect(out).toContain("<li>a</li>");
    expect(out).toContain("<pre><code>code\n</code></pre>");
  });

  it("renders GitHub tables", () => {
    const out = html("| lr | acc |\n| --- | --: |\n| 0.1 | 0.93 |");
    expect(out).toContain("<table>");
    expect(out).toContain("<th>lr</th>");
    expect(out).toMatch(/<td[^>]*>0\.93<\/td>/);
  });

  it("shows raw HTML as text, never as markup", () => {
    const out = html('**good** <script>window.pwned=1</script>\n\n<img src="x" onerror="alert(1)">');
    expect(out).not.toContain("<script");
    expect(out).not.toContain("<img");
    expect(out).toContain("&lt;script&gt;");
  });

  it("links only to safe places, in a new tab", () => {
    const out = html("[docs](https://example.com/a) [mail](mailto:a@b.c) [run](/p/x) [bad](javascript:alert(1))");
    expect(out).toContain('<a href="https://example.com/a" rel="noopener noreferrer" target="_blank">docs</a>');
    expect(out).toContain('href="mailto:a@b.c"');
    expect(out).toContain('href="/p/x"');
    expect(out).not.toContain("javascript:");
    expect(out).toContain('<span class="md-unsafe-link">bad</span>');
    expect(safeUrl(" data:text/html,x")).toBeUndefined();
  });

  it("never loads an image: it becomes a link to it", () => {
    const out = html("![loss curve](https://elsewhere.example/loss.png) ![x](javascript:1)");
    expect(out).not.toContain("<img");
    expect(out).toContain('<a href="https://elsewhere.example/loss.png"');
    expect(out).toContain("loss curve");
    expect(out).not.toContain("javascript:");
  });
});
