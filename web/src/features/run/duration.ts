// A run's duration as the server counts it: active time (the time between a crash and
// a resume left out: RunInfo.duration, docs/resume.md). A running run's figure moves
// with its heartbeats only; between two, the page adds the time since the last one.
export interface Timed {
  state: string;
  duration: number | null;
  created_at: number;
  heartbeat_at: number | null;
}

/** Seconds the run has been active, at `now` (seconds since the epoch). */
export function activeDuration(run: Timed, now: number): number | null {
  if (run.state !== "running") return run.duration;
  const since = run.heartbeat_at ?? run.created_at;
  return (run.duration ?? 0) + Math.max(0, now - since);
}
