import { useCallback, useEffect, useSyncExternalStore } from "react";

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
