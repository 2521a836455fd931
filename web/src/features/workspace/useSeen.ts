import { useEffect, useLayoutEffect, useState, type RefObject } from "react";

const MARGIN = 300; // px around the screen

/** Whether the element is within 300 px of the screen now (a layout read). */
export function nearScreen(el: HTMLElement): boolean {
  const r = el.getBoundingClientRect();
  return r.bottom > -MARGIN && r.top < window.innerHeight + MARGIN;
}

/**
 * Whether the element has come within 300 px of the screen (once true, stays true).
 * Checked once as the element is first laid out (before the page paints: an
 * IntersectionObserver would answer only after the next frame, slow on a loaded
 * machine with a tall page to draw), then by an IntersectionObserver as it scrolls.
 */
export function useSeen(ref: RefObject<HTMLElement | null>): boolean {
  const [seen, setSeen] = useState(false);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (nearScreen(el)) setSeen(true);
  }, [ref]);
  useEffect(() => {
    if (seen || !ref.current) return;
    const io = new IntersectionObserver(([e]) => e.isIntersecting && setSeen(true), {
      rootMargin: `${MARGIN}px`,
    });
    io.observe(ref.current);
    return () => io.disconnect();
  }, [seen, ref]);
  return seen;
}
