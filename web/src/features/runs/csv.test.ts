import { describe, expect, it } from "vitest";
import { csvCell, csvFileName, toCsv } from "./csv";
import type { Row } from "./rows";

const row = (over: Partial<Row>): Row => ({
  index: 0,
  id: "r1",
  name: "run-1",
  state: "finished",
  group: null,
  tags: [],
  created_at: 0,
  duration: 12.5,
  cells: {},
  ...over,
});

describe("csv", () => {
  it("writes the columns in the table's order, the run id first", () => {
    const rows = [
      row({ cells: { "metrics.val/acc": 0.91234567, "config.lr": 0.001 }, tags: ["a", "b"] }),
      row({ id: "r2", name: "run-2", cells: { "metrics.val/acc": Number.NaN } }),
    ];
    const csv = toCsv(["name", "state", "metrics.val/acc", "config.lr", "tags", "created", "duration"], rows);
    expect(csv.split("\r\n")).toEqual([
      "id,name,state,metrics.val/acc,config.lr,tags,created,duration",
      "r1,run-1,finished,0.91234567,0.001,a; b,1970-01-01T00:00:00.000Z,12.5",
      "r2,run-2,finished,NaN,,,1970-01-01T00:00:00.000Z,12.5",
      "",
    ]);
  });
  it("quotes what needs it and defuses formulas", () => {
    expect(csvCell('say "hi", then go')).toBe('"say ""hi"", then go"');
    expect(csvCell("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvCell("line\nbreak")).toBe('"line\nbreak"');
    expect(csvCell(-1.5)).toBe("-1.5"); // numbers are not formulas
    expect(csvCell(Number.POSITIVE_INFINITY)).toBe("inf");
    expect(csvCell(Number.NEGATIVE_INFINITY)).toBe("-inf");
    expect(csvCell(true)).toBe("true");
    expect(csvCell(null)).toBe("");
    expect(csvCell([1, 2] as unknown as string[])).toBe('"[1,2]"');
  });
  it("names the file after the project and the day", () => {
    expect(csvFileName("my proj/x", new Date("2026-12-06T10:00:00Z"))).toBe("my_proj_x-runs-2026-12-06.csv");
  });
});
