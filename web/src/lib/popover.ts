// Popovers close on a click outside and on Esc, and Esc gives the focus back to the
// button that opened them (keyboard users land where they were).
import { useCallback, useEffect, useRef, useState, type RefObject } from "react";

/** A popover's open state and the refs `useDismiss` needs: spread `wrap` on the element
 * holding the button and the panel, `opener` on the button. */
export function usePopover() {
  const [open, setOpen] = useState(false);
  const wrap = useRef<HTMLDivElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  const close = useCallback(() => setOpen(false), []);
  useDismiss(open, close, wrap, opener);
  return { open, setOpen, close, wrap, opener };
}

export function useDismiss(
  open: boolean,
  close: () => void,
  wrap: RefObject<HTMLElement | null>,
  opener: RefObject<HTMLElement | null>,
): void {
  useEffect(() => {
    if (!open) return;
    const onPointer = (e: PointerEvent) => {
      if (wrap.current && e.target instanceof Node && !wrap.current.contains(e.target)) close();
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      e.preventDefault();
      e.stopPropagation();
      close();
      opener.current?.focus();
    };
    document.addEventListener("pointerdown", onPointer, true);
    document.addEventListener("keydown", onKey, true);
    return () => {
      document.removeEventListener("pointerdown", onPointer, true);
      document.removeEventListener("keydown", onKey, true);
    };
  }, [open, close, wrap, opener]);
}
