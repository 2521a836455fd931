// Live updates: the server's event stream (GET /events, Server-Sent Events) says what
// changed; the views invalidate the query keys that show it, at most once per interval.
import { useEffect, useEffectEvent, useState } from "react";
import { API } from "./api";

export interface LiveEvent {
  type: "run" | "points" | "console";
  run: string;
  project: string;
  state?: string;
  keys?: string[];
  last_step?: number;
}

/** "error": the stream broke (EventSource keeps retrying); "open" again once it is back. */
export type LiveStatus = "connecting" | "open" | "error";

const DEFAULT_KINDS: readonly LiveEvent["type"][] = ["run", "points"];

/**
 * Subscribe to GET /events for a project, a run, or (`{}`) every event of every
 * project; null subscribes to nothing. Calls are batched: `onEvents` gets every event
 * of the last `throttleMs` at once, so a run logging 1,000 steps a second causes one
 * refetch per interval, not 1,000.
 */
export function useLiveEvents(
  target: { project?: string; run?: string } | null,
  onEvents: (events: LiveEvent[]) => void,
  throttleMs = 500,
  kinds: readonly LiveEvent["type"][] = DEFAULT_KINDS, // "console": a run printed lines
): LiveStatus {
  const deliver = useEffectEvent(onEvents);
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const qs = target ? new URLSearchParams(target as Record<string, string>).toString() : null;
  const kindsKey = kinds.join(",");
  useEffect(() => {
    if (qs === null || typeof EventSource === "undefined") return;
    const es = new EventSource(qs ? `${API}/events?${qs}` : `${API}/events`);
    es.onopen = () => setStatus("open");
    es.onerror = () => setStatus("error");
    let pending: LiveEvent[] = [];
    let timer: number | undefined;
    const push = (type: LiveEvent["type"]) => (e: MessageEvent<string>) => {
      try {
        pending.push({ type, ...(JSON.parse(e.data) as Omit<LiveEvent, "type">) });
      } catch {
        return; // a malformed event is not worth breaking the page for
      }
      if (timer === undefined) {
        timer = window.setTimeout(() => {
          const batch = pending;
          pending = [];
          timer = undefined;
          deliver(batch);
        }, throttleMs);
      }
    };
    for (const kind of kindsKey.split(",")) es.addEventListener(kind, push(kind as LiveEvent["type"]) as EventListener);
    return () => {
      es.close();
      if (timer !== undefined) window.clearTimeout(timer);
    };
  }, [qs, throttleMs, kindsKey]);
  return status;
}

/** The runs that `events` are about. */
export const eventRuns = (events: LiveEvent[]): Set<string> => new Set(events.map((e) => e.run));
