import { describe, expect, it } from "vitest";
import { parseCsv, previewKind } from "./preview";

describe("file previews", () => {
  it("chooses the preview by file name", () => {
    expect(previewKind("a/b.PNG")).toBe("image");
    expect(previewKind("code/diff.patch")).toBe("diff");
    expect(previewKind("x.yaml")).toBe("text");
    expect(previewKind("requirements.txt")).toBe("text");
    expect(previewKind("m.json")).toBe("json");
    expect(previewKind("weights.bin")).toBe("none");
  });

  it("parses CSV with quotes and embedded separators", () => {
    expect(parseCsv('a,b\n"x, y","say ""hi"""\r\n1,2')).toEqual([
      ["a", "b"],
      ["x, y", 'say "hi"'],
      ["1", "2"],
    ]);
  });
});
