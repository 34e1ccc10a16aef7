// The canvas' dotted grid. Drawn once as a CSS pattern on a layer of its own that panning only
// moves (by less than one grid step: a whole step looks the same), so a pan costs no repaint;
// only a zoom redraws it. xyflow's <Background> moves its SVG pattern instead, a full-screen
// repaint on every frame of a pan wherever the browser rasterises in software.
//
// Knows: xyflow's viewport transform. Leaves to others: when a grid is wanted (Canvas).

import { useEffect, useRef } from "react";
import { useStoreApi } from "@xyflow/react";

/** Grid step in canvas units, as xyflow's default Background. */
const GAP = 20;

export function DotGrid() {
  const ref = useRef<HTMLDivElement>(null);
  const flow = useStoreApi();
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let zoom = NaN;
    const follow = ([x, y, z]: [number, number, number]) => {
      const step = GAP * z;
      if (z !== zoom) {
        zoom = z;
        el.style.backgroundSize = `${step}px ${step}px`;
        el.style.backgroundPosition = `${-step / 2}px ${-step / 2}px`; // a dot on each multiple of the step
      }
      const ox = (((x % step) + step) % step) - step;
      const oy = (((y % step) + step) % step) - step;
      el.style.transform = `translate(${ox}px, ${oy}px)`;
    };
    follow(flow.getState().transform);
    return flow.subscribe((s) => follow(s.transform));
  }, [flow]);
  return <div ref={ref} className="dot-grid" aria-hidden="true" />;
}
