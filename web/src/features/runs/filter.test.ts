import { describe, expect, it } from "vitest";
import { effectiveFilter, fieldRef, quote } from "./filter";
import { decodeBrush, encodeBrush } from "./state";

describe("brushes", () => {
  it("round-trip keys that contain colons", () => {
    const b = { key: "metrics.eval:top1", lo: -0.5, hi: 1e-3 };
    expect(decodeBrush(encodeBrush(b))).toEqual(b);
  });

  it("reject malformed text and order the bounds", () => {
    expect(decodeBrush("config.lr:1")).toBeNull();
    expect(decodeBrush("config.lr:a:2")).toBeNull();
    expect(decodeBrush("config.lr::2")).toBeNull();
    expect(decodeBrush("config.lr:2:1")).toEqual({ key: "config.lr", lo: 1, hi: 2 });
  });
});

describe("filters written for the user", () => {
  it("quotes keys and strings only when needed", () => {
    expect(fieldRef("config.lr")).toBe("config.lr");
    expect(fieldRef("metrics.val/acc")).toBe("metrics.val/acc");
    expect(fieldRef("metrics.val acc (ema)")).toBe("metrics.`val acc (ema)`");
    expect(fieldRef("config.a`b")).toBe("config.`a\\`b`");
    expect(quote('say "hi" \\')).toBe('"say \\"hi\\" \\\\"');
  });

  it("combines the typed filter, quick filters and brushes", () => {
    expect(effectiveFilter("", [], [], [])).toBe("");
    expect(effectiveFilter("config.lr < 1", [], [], [])).toBe("config.lr < 1");
    expect(effectiveFilter("a = 1 or b = 2", ["failed", "crashed"], ["x"], [{ key: "config.lr", lo: 0, hi: 1 }])).toBe(
      '(a = 1 or b = 2) and (state in ("failed", "crashed")) and (tags in ("x")) and (config.lr >= 0 and config.lr <= 1)',
    );
  });
});
