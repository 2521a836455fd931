// Helpers for the hand-written canvas plots (parallel coordinates, scatter).
import { useEffect, useLayoutEffect, useState, type RefObject } from "react";

/** Size the canvas for the screen's pixel ratio; return a context in CSS pixels. */
export function setupCanvas(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext("2d")!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/** A CSS custom property of the current theme (canvas cannot use var()). */
export function themeColor(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** The element's content width, kept up to date. */
export function useWidth(ref: RefObject<HTMLElement | null>, initial = 800): number {
  const [w, setW] = useState(initial);
  // read as the element is first laid out, before the page paints (and before a render
  // that a layout effect beside it causes: the workspace's panels ask for series by width)
  useLayoutEffect(() => {
    const el = ref.current;
    if (el) setW(el.clientWidth || initial);
  }, [ref, initial]);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    // rounded as clientWidth is: the observer's first report must not change a width already set
    const ro = new ResizeObserver(([e]) => setW(Math.max(200, Math.round(e.contentRect.width))));
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref, initial]);
  return w;
}
