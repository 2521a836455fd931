import { describe, expect, it } from "vitest";
import type { ProjectKeys } from "../../lib/api";
import { applySuggestion, complete, keyMatcher, matchFields, tokenize } from "./autocomplete";

const keys: ProjectKeys = {
  config: ["lr", "optimizer.name", "batch size"],
  metrics: ["train/loss", "val/acc", "val/loss", "lr"],
  summary: ["best_val_acc"],
  tags: ["baseline", "sweep-1"],
};
const at = (text: string, keysIn = keys) => complete(text, text.length, keysIn);
const labels = (text: string) => at(text).map((s) => s.label);

describe("filter autocomplete", () => {
  it("offers metrics.val/acc for a bare val/acc, first", () => {
    expect(labels("val/acc")[0]).toBe("metrics.val/acc");
    expect(labels("val/")).toEqual(expect.arrayContaining(["metrics.val/acc", "metrics.val/loss"]));
  });
  it("offers the full name of a bare key already compared (val/acc > 0.8)", () => {
    const [fix] = at("val/acc > 0.8");
    expect(fix).toMatchObject({ label: "metrics.val/acc", from: 0, to: 7, detail: "for val/acc" });
    expect(applySuggestion("val/acc > 0.8", fix).text).toBe("metrics.val/acc > 0.8");
  });
  it("offers operators after a field and tag operators after tags", () => {
    expect(labels("config.lr ")).toEqual(["=", "!=", "<", "<=", ">", ">=", "in", "not in", "like", "not like"]);
    expect(labels("tags ")[0]).toBe("has");
    expect(labels("config.lr >")).toEqual([]); // a value comes next: no list for numbers
  });
  it("offers values for state and tags, and and/or after a comparison", () => {
    expect(labels('state = "fi')).toEqual(['"finished"']);
    expect(labels("tags has ")).toEqual(['"baseline"', '"sweep-1"']);
    expect(labels("config.lr < 0.1 ")).toEqual(["and", "or"]);
    expect(labels("config.lr < 0.1 a")).toEqual(["and"]);
    expect(labels("config.lr < 0.1 and val/l")[0]).toBe("metrics.val/loss");
  });
  it("follows functions, parentheses, in-lists and not", () => {
    expect(labels("min(metrics.train/loss) ")).toContain("<");
    expect(labels("(config.lr < 1 or tags exists) ")).toEqual(["and", "or"]);
    expect(labels('state in ("finished", ')).toContain('"crashed"');
    expect(labels('state in ("finished") ')).toEqual(["and", "or"]);
    expect(labels("not best")).toEqual(["summary.best_val_acc"]);
  });
  it("tells the metric lr from the config value lr, and quotes keys with spaces", () => {
    expect(labels("lr")).toEqual(expect.arrayContaining(["metrics.lr", "config.lr"]));
    const batch = at("batch").find((s) => s.label === "config.batch size")!;
    expect(batch.insert).toBe("config.`batch size`");
    expect(applySuggestion("batch", batch)).toEqual({ text: "config.`batch size` ", caret: 20 });
  });
  it("ranks exact keys, then prefixes, then substrings", () => {
    expect(matchFields("loss", keys).map((m) => m.column)).toEqual(["metrics.train/loss", "metrics.val/loss"]);
    expect(matchFields("NAME", keys)[0].column).toBe("name");
  });
  it("lexes strings, backquotes and two-character operators", () => {
    expect(tokenize('metrics.`a b` >= "x y"').map((t) => t.text)).toEqual(["metrics.`a b`", ">=", '"x y"']);
  });
});

describe("key search", () => {
  it("takes /regex/ or a substring", () => {
    expect(["val/acc", "val/loss", "train/loss"].filter(keyMatcher("/^val/").test)).toEqual(["val/acc", "val/loss"]);
    expect(["val/acc", "train/loss"].filter(keyMatcher("/LOSS$/").test)).toEqual(["train/loss"]);
    expect(["val/acc", "train/loss"].filter(keyMatcher("ACC").test)).toEqual(["val/acc"]);
    const bad = keyMatcher("/(/");
    expect(bad.error).toBeTruthy();
    expect(bad.test("(")).toBe(false);
  });
});
