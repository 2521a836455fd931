import { describe, expect, it } from "vitest";
import type { Run } from "../../lib/api";
import { reproducibility } from "./Reproducibility";

const run = (system: Record<string, unknown>) => ({ system }) as unknown as Run;

describe("reproducibility", () => {
  it("reads the score and what is missing", () => {
    const found = reproducibility(
      run({ reproducibility: { score: 85, missing: [{ check: "seed", message: "no seed set" }, { bad: 1 }] } }),
    );
    expect(found).toEqual({ score: 85, missing: [{ check: "seed", message: "no seed set" }] });
  });
  it("is null without a recorded assessment", () => {
    expect(reproducibility(run({}))).toBeNull();
    expect(reproducibility(run({ reproducibility: { score: "high" } }))).toBeNull();
  });
});
