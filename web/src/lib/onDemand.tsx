// A page loaded on demand without Suspense. React (19) holds back the commit of content
// that replaces a Suspense fallback until 300 ms after the fallback was shown: a page
// whose chunk arrives 20 ms after its first render still waited those 300 ms, and the
// requests it starts on mounting with it (the workspace's charts). Here the chunk's
// arrival is a plain state update, committed at once.
import { createElement, useEffect, useState, type ComponentType, type ReactNode } from "react";

export interface OnDemand {
  Page: ComponentType;
  /** Start loading the chunk (before the first render, e.g. opened at the page's link). */
  load: () => Promise<unknown>;
}

export function onDemand(load: () => Promise<{ default: ComponentType }>, fallback: ReactNode): OnDemand {
  let page: ComponentType | null = null;
  let failed: unknown = null;
  let pending: Promise<unknown> | null = null;
  const start = () =>
    (pending ??= load().then(
      (m) => {
        page = m.default;
      },
      (e: unknown) => {
        failed = e ?? new Error("the page could not be loaded");
        pending = null; // a later visit tries again
      },
    ));
  function Page() {
    const [, setTick] = useState(0);
    useEffect(() => {
      let live = true;
      if (!page) void start().then(() => live && setTick((n) => n + 1));
      return () => {
        live = false;
      };
    }, []);
    if (page) return createElement(page);
    if (failed !== null) {
      const e = failed;
      failed = null;
      throw e; // to the route's error boundary, as a failed lazy() would
    }
    return fallback;
  }
  return { Page, load: start };
}
