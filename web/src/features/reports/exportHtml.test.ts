import { describe, expect, it } from "vitest";
import { exportFileName, standaloneHtml } from "./exportHtml";

describe("report export", () => {
  const html = standaloneHtml(
    "Sweep <results>",
    "by alice",
    '<div class="markdown"><a href="/p/proj/runs/abc">run</a><a href="https://x.org/">x</a><svg><path d="M0 0"/></svg></div>',
    "http://heron.local:8080",
  );
  it("is one file: inline style and SVG, no script, nothing fetched", () => {
    expect(html).toContain("<svg><path");
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain("default-src 'none'");
    expect(html).toContain("<title>Sweep &lt;results&gt;</title>");
  });
  it("points in-app links back to the server", () => {
    expect(html).toContain('href="http://heron.local:8080/p/proj/runs/abc"');
    expect(html).toContain('href="https://x.org/"');
  });
  it("names the file after the title", () => {
    expect(exportFileName("Sweep results: lr / wd")).toBe("Sweep-results-lr-wd.html");
    expect(exportFileName("???")).toBe("report.html");
  });
});
