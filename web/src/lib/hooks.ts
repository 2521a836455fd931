// Small React hooks shared by the views: data loading, URL state, live events.
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { useLocation, useSearchParams } from "react-router";
import { API } from "./api";
import { arrived } from "./optimistic";
import { decodeState, encodeState, type Schema, type StateOf } from "./urlState";

export interface Async<T> {
  data?: T;
  error?: Error;
  loading: boolean;
  reload: () => void;
}

/**
 * Run `load` whenever `deps` change; abort the previous call. `reload` refetches while
 * keeping the current data on screen (live updates must not flash a spinner); with
 * `keepData` a change of `deps` does too (charts keep the old curve while zooming).
 */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[], keepData = false): Async<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const depsKey = JSON.stringify(deps);
  const lastKey = useRef(depsKey);
  useEffect(() => {
    const ctl = new AbortController();
    const fresh = !keepData && lastKey.current !== depsKey;
    lastKey.current = depsKey;
    setState((s) => ({ data: fresh ? undefined : s.data, error: undefined, loading: true }));
    load(ctl.signal).then(
      (data) => !ctl.signal.aborted && setState({ data, loading: false }),
      (error: Error) => !ctl.signal.aborted && error.name !== "AbortError" && setState({ error, loading: false }),
    );
    return () => ctl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [depsKey, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export type SetUrlState<S extends Schema> = (patch: Partial<StateOf<S>>, opts?: { replace?: boolean }) => void;

/**
 * A view's state, read from and written to the URL query. A change shows at once:
 * React Router applies URL changes in a transition, so a checkbox bound straight to
 * the URL would show its old state for a moment after a click (and a second change in
 * the same tick would start from the old URL and undo the first). The hook shows its
 * own writes until the URL catches up, and takes the URL as it is whenever something
 * else changed it (back/forward, a link). The writes not yet in the URL are one list
 * for the page (there is one URL), so views writing in the same tick build on each other.
 */
const pending: { urls: string[] } = { urls: [] }; // "path?query" written, not yet seen

export function useUrlState<S extends Schema>(schema: S): [StateOf<S>, SetUrlState<S>] {
  const [params, setParams] = useSearchParams();
  const path = useLocation().pathname;
  const url = `${path}?${params.toString()}`;
  const [shown, setShown] = useState(url);
  useEffect(() => {
    const seen = arrived(pending.urls, url);
    pending.urls = seen.pending;
    if (!seen.ours) setShown(url);
  }, [url]);
  const current = pending.urls.length > 0 && shown.startsWith(`${path}?`) ? shown : url;
  const query = current.slice(path.length + 1);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const state = useMemo(() => decodeState(schema, new URLSearchParams(query)), [schema, query]);
  const set = useCallback<SetUrlState<S>>(
    (patch, opts) => {
      const here = window.location.pathname;
      const mine = pending.urls.filter((u) => u.startsWith(`${here}?`)).at(-1);
      const base = mine !== undefined ? mine.slice(here.length + 1) : window.location.search.slice(1);
      const next = encodeState(schema, patch, new URLSearchParams(base)).toString();
      if (next === base) return;
      pending.urls.push(`${here}?${next}`);
      setShown(`${here}?${next}`);
      setParams(new URLSearchParams(next), { replace: opts?.replace });
    },
    [schema, setParams],
  );
  return [state, set];
}

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

/**
 * Subscribe to GET /events (Server-Sent Events) for a project, a run, or (`{}`) every
 * event of every project; null subscribes to nothing. Calls are batched: `onEvents`
 * gets every event of the last `throttleMs` at once, so a run logging 1,000 steps a
 * second causes one refetch per interval, not 1,000.
 */
export function useLiveEvents(
  target: { project?: string; run?: string } | null,
  onEvents: (events: LiveEvent[]) => void,
  throttleMs = 500,
  kinds: readonly LiveEvent["type"][] = ["run", "points"], // "console": a run printed lines
): LiveStatus {
  const handler = useRef(onEvents);
  handler.current = onEvents;
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
          handler.current(batch);
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

// --- theme -----------------------------------------------------------------------
// One store for the whole page: `<html data-theme>` is the truth (index.html's inline
// script sets it before the first paint, so a dark system never flashes light). Until
// the user picks one with the toggle (remembered in localStorage), the theme follows
// the system's, live. Canvas drawings (uPlot, parallel coordinates, scatter) read CSS
// variables when they draw, so they take `useThemeName()` as a dependency and repaint.

export type Theme = "light" | "dark";
const THEME_KEY = "heron-theme";
const darkQuery = () => window.matchMedia?.("(prefers-color-scheme: dark)");

function savedTheme(): Theme | null {
  try {
    const v = localStorage.getItem(THEME_KEY);
    return v === "light" || v === "dark" ? v : null;
  } catch {
    return null; // storage blocked: follow the system
  }
}

function currentTheme(): Theme {
  const set = document.documentElement.dataset.theme;
  if (set === "light" || set === "dark") return set;
  return savedTheme() ?? (darkQuery()?.matches ? "dark" : "light");
}

const themeListeners = new Set<() => void>();

function applyTheme(t: Theme): void {
  if (document.documentElement.dataset.theme === t) return;
  document.documentElement.dataset.theme = t;
  themeListeners.forEach((l) => l());
}

function subscribeTheme(listener: () => void): () => void {
  themeListeners.add(listener);
  const mq = darkQuery();
  const onSystem = () => savedTheme() === null && applyTheme(mq!.matches ? "dark" : "light");
  const onStorage = (e: StorageEvent) => e.key === THEME_KEY && applyTheme(savedTheme() ?? currentTheme());
  mq?.addEventListener?.("change", onSystem);
  window.addEventListener("storage", onStorage); // another tab toggled
  return () => {
    themeListeners.delete(listener);
    mq?.removeEventListener?.("change", onSystem);
    window.removeEventListener("storage", onStorage);
  };
}

/** The theme in effect; components re-render (charts repaint) when it changes. */
export function useThemeName(): Theme {
  return useSyncExternalStore(subscribeTheme, currentTheme, () => "light" as Theme);
}

/** The theme and a toggle that remembers the user's choice (then the system is ignored). */
export function useTheme(): [Theme, () => void] {
  const theme = useThemeName();
  useEffect(() => applyTheme(currentTheme()), []); // in case index.html's script did not run
  const toggle = useCallback(() => {
    const next: Theme = currentTheme() === "dark" ? "light" : "dark";
    try {
      localStorage.setItem(THEME_KEY, next);
    } catch {
      // storage blocked: the choice lasts for this page only
    }
    applyTheme(next);
  }, []);
  return [theme, toggle];
}

/** The clock (ms), ticking every second while ``active``: for durations of live runs. */
export function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}
