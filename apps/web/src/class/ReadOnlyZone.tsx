// A part of the page that stays readable but takes no edits while the instructor watches a
// student's lab (issue 15): every field, checkbox, select and button in it is disabled, but
// those marked readOnlyOk where they are made (class/readOnly.ts: the inspector's tabs, its
// capture buttons), so the inspector's views can still be read. Controls the part renders later are caught as they appear; leaving read-only enables
// exactly what this disabled. The server refuses edits from a watching page anyway (lab:open
// with watch): this is what the person sees.
//
// Knows: the DOM of its children. Leaves to others: what they show.

import { useEffect, useRef, type ReactNode } from "react";
import { READ_ONLY_OK_ATTRIBUTE } from "./readOnly";

/** what takes edits: every control not marked readOnlyOk (a tab, a capture: it only reads, and the server allows it while watching) */
const CONTROLS = `:is(input, select, textarea, button):not([${READ_ONLY_OK_ATTRIBUTE}])`;
const MARK = "data-watch-disabled";

export function ReadOnlyZone({ readOnly, children, testId }: { readOnly: boolean; children: ReactNode; testId?: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || !readOnly) return;
    const lock = () => {
      for (const c of el.querySelectorAll<HTMLInputElement | HTMLButtonElement>(CONTROLS)) {
        if (c.disabled && !c.hasAttribute(MARK)) continue; // disabled by its own part: left as it is
        if (!c.disabled) c.disabled = true;
        c.setAttribute(MARK, "");
      }
    };
    lock();
    const observer = new MutationObserver(lock);
    observer.observe(el, { subtree: true, childList: true, attributes: true, attributeFilter: ["disabled"] });
    return () => {
      observer.disconnect();
      for (const c of el.querySelectorAll<HTMLInputElement | HTMLButtonElement>(`[${MARK}]`)) {
        c.removeAttribute(MARK);
        c.disabled = false;
      }
    };
  }, [readOnly]);
  return (
    <div ref={box} className="watch-readonly" data-testid={testId} data-read-only={readOnly ? "yes" : "no"}>
      {children}
    </div>
  );
}
