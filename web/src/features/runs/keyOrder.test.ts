import { describe, expect, it } from "vitest";
import { isBookkeeping, orderKeys } from "./keyOrder";

describe("orderKeys", () => {
  it("puts val/ then train/ first, bookkeeping and system last", () => {
    expect(orderKeys(["epoch", "lr", "system/cpu", "train/loss", "acc", "val/loss", "val/acc"])).toEqual([
      "val/acc",
      "val/loss",
      "train/loss",
      "acc",
      "epoch",
      "lr",
      "system/cpu",
    ]);
  });
  it("knows bookkeeping keys", () => {
    expect(isBookkeeping("train/lr")).toBe(true);
    expect(isBookkeeping("epoch")).toBe(true);
    expect(isBookkeeping("val/acc")).toBe(false);
    expect(isBookkeeping("clr_loss")).toBe(false);
  });
});
