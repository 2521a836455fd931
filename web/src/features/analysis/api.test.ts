import { describe, expect, it } from "vitest";
import { groupFilter } from "./api";

describe("groupFilter", () => {
  it("quotes a group name and passes a filter through", () => {
    expect(groupFilter("base")).toBe('group = "base"');
    expect(groupFilter('a"b')).toBe('group = "a\\"b"');
    expect(groupFilter('config.lr = 0.1 and group = "x"')).toBe('config.lr = 0.1 and group = "x"');
  });
});
