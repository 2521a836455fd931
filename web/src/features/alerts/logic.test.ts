import { describe, expect, it } from "vitest";
import { badgeText, emptyForm, fieldsOf, toRequest } from "./logic";

describe("the rules editor", () => {
  it("builds a threshold rule with its numbers", () => {
    const form = {
      ...emptyForm(),
      name: "hot",
      kind: "threshold" as const,
      key: "gpu/temp",
      op: ">=" as const,
      threshold: "90",
      webhooks: "https://hooks.example/a, https://hooks.example/b",
    };
    expect(toRequest(form)).toEqual({
      name: "hot",
      kind: "threshold",
      key: "gpu/temp",
      op: ">=",
      threshold: 90,
      webhooks: ["https://hooks.example/a", "https://hooks.example/b"],
      emails: [],
    });
  });

  it("sends only the fields a kind takes", () => {
    const rule = toRequest({ ...emptyForm(), name: "n", kind: "state", states: "failed crashed" });
    expect(rule).toEqual({ name: "n", kind: "state", states: ["failed", "crashed"], webhooks: [], emails: [] });
    expect(fieldsOf("alert")).toEqual(new Set(["minLevel"]));
  });

  it("says what is wrong", () => {
    expect(toRequest({ ...emptyForm(), name: " " })).toBe("Give the rule a name.");
    expect(toRequest({ ...emptyForm(), name: "d", kind: "divergence", factor: "x" })).toBe(
      "The factor must be a number.",
    );
  });

  it("caps the badge", () => {
    expect(badgeText(7)).toBe("7");
    expect(badgeText(120)).toBe("99+");
  });
});
