// A value kept in the URL but changed on screen at once. React Router applies URL
// changes in a transition, so a checkbox bound straight to the URL shows its old
// state for a moment after a click (and a quick second click can act on the old
// value). Here the page holds the value itself, writes each change to the URL, and
// takes the URL's value back only when something else changed it (back/forward, a
// link): its own writes arriving late are recognised and skipped.
import { useCallback, useEffect, useRef, useState } from "react";

/**
 * The URL now holds `urlKey`: whether that is one of our own pending writes (then it
 * and any older ones are done), or a change from elsewhere (then nothing is pending).
 */
export function arrived(pending: string[], urlKey: string): { ours: boolean; pending: string[] } {
  const i = pending.indexOf(urlKey);
  return i >= 0 ? { ours: true, pending: pending.slice(i + 1) } : { ours: false, pending: [] };
}

export function useOptimisticUrlValue<T>(
  fromUrl: T,
  keyOf: (value: T) => string,
  write: (value: T) => void,
): [T, (change: (current: T) => T) => void] {
  const [value, setValue] = useState(fromUrl);
  const latest = useRef(fromUrl);
  const pending = useRef<string[]>([]); // keys written and not yet seen in the URL
  const urlKey = keyOf(fromUrl);
  useEffect(() => {
    const seen = arrived(pending.current, urlKey);
    pending.current = seen.pending;
    if (seen.ours) return;
    latest.current = fromUrl;
    setValue(fromUrl);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [urlKey]);
  const writeRef = useRef(write);
  writeRef.current = write;
  const keyRef = useRef(keyOf);
  keyRef.current = keyOf;
  const update = useCallback((change: (current: T) => T) => {
    const next = change(latest.current);
    latest.current = next;
    pending.current.push(keyRef.current(next));
    setValue(next);
    writeRef.current(next);
  }, []);
  return [value, update];
}
