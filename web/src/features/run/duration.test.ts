import { describe, expect, it } from "vitest";
import { activeDuration } from "./duration";

describe("activeDuration", () => {
  it("is the server's active time once the run ended (a resumed run's dead time left out)", () => {
    // created at 0, ended at 400, 300 s dead between a crash and a resume: 100 s active
    expect(activeDuration({ state: "finished", duration: 100, created_at: 0, heartbeat_at: 400 }, 1000)).toBe(100);
  });
  it("ticks from the last heartbeat while running, not from creation", () => {
    const run = { state: "running", duration: 100, created_at: 0, heartbeat_at: 400 };
    expect(activeDuration(run, 410)).toBe(110);
    expect(activeDuration(run, 390)).toBe(100); // a clock behind the server's: never back
  });
  it("counts from creation before the first heartbeat", () => {
    expect(activeDuration({ state: "running", duration: null, created_at: 50, heartbeat_at: null }, 60)).toBe(10);
  });
});
