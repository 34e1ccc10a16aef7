// Packets drawn on the canvas while a capture runs: a dot per sampled packet travelling along
// the edge it crossed, coloured by protocol, from the end that sent it. One <canvas> over the
// lab's canvas, only as large as the captured links' edges, drawn on animation frames; at most
// MAX_DOTS at once, so a flood stays smooth.
//
// Knows: the edge of a captured interface (its link's two nodes), the direction (the frame's
// source MAC against the kernel's MACs of the two ends), the viewport. Leaves to others: which
// packets (the panel samples them).
import { useEffect, useRef, type RefObject } from "react";
import { createPortal } from "react-dom";
import { useReactFlow } from "@xyflow/react";
import type { CaptureInfo } from "@topolab/protocol";
import type { Lab } from "@topolab/topology";
import type { LabStore } from "../lab/labStore";

export interface Dot {
  iface: number;
  /** the frame's source MAC */
  src: string;
  color: string;
  born: number;
}

const MAX_DOTS = 60;
/** a dot's radius */
const R = 5;
const TRAVEL_MS = 700;

export function CaptureDots({ lab, interfaces, dots, status }: { lab: Lab; interfaces: CaptureInfo["interfaces"]; dots: RefObject<Dot[]>; status: LabStore }) {
  const flow = useReactFlow();
  const canvas = useRef<HTMLCanvasElement>(null);
  const host = document.querySelector<HTMLElement>('[data-testid="canvas"]');

  useEffect(() => {
    let frame = 0;
    const ends = interfaces.map((i) => {
      const link = lab.links.find((l) => l.endpoints.some((e) => e.node === i.node && e.interface === i.iface));
      const other = link?.endpoints.find((e) => !(e.node === i.node && e.interface === i.iface));
      return other ? { here: i.node, hereIf: i.iface, there: other.node, thereIf: other.interface } : null;
    });
    const macOf = (node: string, ifname: string) =>
      status.state
        .get()
        .status.get(node)
        ?.interfaces.find((x) => x.name === ifname)?.mac;
    const isSwitch = (node: string) => lab.nodes.find((n) => n.name === node)?.kind === "switch";
    const center = (id: string) => {
      const n = flow.getInternalNode(id);
      if (!n) return null;
      const w = n.measured?.width ?? 0;
      const h = n.measured?.height ?? 0;
      return { x: n.internals.positionAbsolute.x + w / 2, y: n.internals.positionAbsolute.y + h / 2 };
    };
    // what the last frame drew (the only part cleared: the canvas covers the whole drawing, and
    // without a GPU, clearing and recompositing all of it every frame costs the page its frames)
    let dirty: { x0: number; y0: number; x1: number; y1: number } | null = null;
    const draw = () => {
      frame = requestAnimationFrame(draw);
      const c = canvas.current;
      if (!c || !host) return;
      const now = performance.now();
      let list = dots.current.filter((d) => now - d.born < TRAVEL_MS);
      if (list.length > MAX_DOTS) list = list.slice(list.length - MAX_DOTS);
      dots.current = list;
      if (!list.length && !dirty) return;
      // the canvas covers only the captured links' edges (and a dot's radius): a small layer to
      // raster and composite each frame, not the whole drawing
      const vp = flow.getViewport();
      let bx0 = Infinity;
      let by0 = Infinity;
      let bx1 = -Infinity;
      let by1 = -Infinity;
      for (const e of ends) {
        for (const id of e ? [e.here, e.there] : []) {
          const p = center(id);
          if (!p) continue;
          const x = p.x * vp.zoom + vp.x;
          const y = p.y * vp.zoom + vp.y;
          [bx0, by0, bx1, by1] = [Math.min(bx0, x), Math.min(by0, y), Math.max(bx1, x), Math.max(by1, y)];
        }
      }
      const left = Math.max(0, Math.floor(bx0 - R - 2));
      const top = Math.max(0, Math.floor(by0 - R - 2));
      const w = Math.max(1, Math.min(host.clientWidth, Math.ceil(bx1 + R + 2)) - left);
      const h = Math.max(1, Math.min(host.clientHeight, Math.ceil(by1 + R + 2)) - top);
      if (!Number.isFinite(left + top + w + h)) return;
      if (c.width !== w || c.height !== h || c.style.left !== `${left}px` || c.style.top !== `${top}px`) {
        c.width = w;
        c.height = h;
        c.style.left = `${left}px`;
        c.style.top = `${top}px`;
        c.style.width = `${w}px`;
        c.style.height = `${h}px`;
        dirty = null;
      }
      const ctx = c.getContext("2d");
      if (!ctx) return;
      if (dirty) ctx.clearRect(dirty.x0 - R - 1, dirty.y0 - R - 1, dirty.x1 - dirty.x0 + 2 * R + 2, dirty.y1 - dirty.y0 + 2 * R + 2);
      dirty = null;
      if (!list.length) return;
      for (const d of list) {
        const e = ends[d.iface];
        if (!e) continue;
        const a = center(e.here);
        const b = center(e.there);
        if (!a || !b) continue;
        // from the end whose MAC sent it; else toward the captured host, or out of the captured switch
        const fromHere = d.src === macOf(e.here, e.hereIf) ? true : d.src === macOf(e.there, e.thereIf) ? false : isSwitch(e.here);
        const [p, q] = fromHere ? [a, b] : [b, a];
        const t = (now - d.born) / TRAVEL_MS;
        const x = (p.x + (q.x - p.x) * t) * vp.zoom + vp.x - left;
        const y = (p.y + (q.y - p.y) * t) * vp.zoom + vp.y - top;
        ctx.beginPath();
        ctx.fillStyle = d.color;
        ctx.arc(x, y, R, 0, Math.PI * 2);
        ctx.fill();
        dirty = dirty
          ? { x0: Math.min(dirty.x0, x), y0: Math.min(dirty.y0, y), x1: Math.max(dirty.x1, x), y1: Math.max(dirty.y1, y) }
          : { x0: x, y0: y, x1: x, y1: y };
      }
    };
    frame = requestAnimationFrame(draw);
    return () => cancelAnimationFrame(frame);
  }, [flow, lab, interfaces, dots, status, host]);

  if (!host) return null;
  return createPortal(<canvas ref={canvas} className="capture-dots" data-testid="capture-dots" aria-hidden="true" />, host);
}
