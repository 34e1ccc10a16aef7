// A link on the canvas: a straight line between the borders of its two nodes, with what a
// teacher points at: the interface name and address at each end, the VLAN tag (access) or the
// trunk's VLANs, and shaping in the middle. Labels are SVG text, hidden by one CSS class on
// the canvas (no re-render). Memoized like the nodes.
//
// Knows: geometry and labels. Leaves to others: the link's data (Canvas).

import { memo } from "react";
import { BaseEdge, useInternalNode, type Edge, type EdgeProps, type InternalNode } from "@xyflow/react";

export interface EndLabel {
  iface: string;
  address?: string;
  /** the VLAN note shown at a switch end: "vlan 100" or "trunk 100,200" */
  vlan?: string;
}

export interface LabEdgeData extends Record<string, unknown> {
  a: EndLabel;
  b: EndLabel;
  middle?: string;
  error?: boolean;
}

export type LabFlowEdge = Edge<LabEdgeData, "lab">;

function center(n: InternalNode): { x: number; y: number; w: number; h: number } {
  const w = n.measured.width ?? 140;
  const h = n.measured.height ?? 48;
  return { x: n.internals.positionAbsolute.x + w / 2, y: n.internals.positionAbsolute.y + h / 2, w, h };
}

/** Where the line from the centre of `a` towards `b` leaves a's box. */
function border(a: { x: number; y: number; w: number; h: number }, b: { x: number; y: number }) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  if (!dx && !dy) return { x: a.x, y: a.y };
  const sx = Math.abs(dx) / (a.w / 2 + 4);
  const sy = Math.abs(dy) / (a.h / 2 + 4);
  const s = Math.max(sx, sy);
  return { x: a.x + dx / s, y: a.y + dy / s };
}

function EndText({ x, y, label, side }: { x: number; y: number; label: EndLabel; side: "a" | "b" }) {
  return (
    <text x={x} y={y} className={`edge-label edge-label-${side}`} textAnchor="middle">
      <tspan x={x} className="edge-iface">
        {label.iface}
      </tspan>
      {label.address && (
        <tspan x={x} dy="1.15em" className="edge-address">
          {label.address}
        </tspan>
      )}
      {label.vlan && (
        <tspan x={x} dy="1.15em" className="edge-vlan">
          {label.vlan}
        </tspan>
      )}
    </text>
  );
}

function EdgeViewImpl({ id, source, target, data, selected }: EdgeProps<LabFlowEdge>) {
  const s = useInternalNode(source);
  const t = useInternalNode(target);
  if (!s || !t || !data) return null;
  const cs = center(s);
  const ct = center(t);
  const p1 = border(cs, ct);
  const p2 = border(ct, cs);
  const path = `M ${p1.x},${p1.y} L ${p2.x},${p2.y}`;
  const len = Math.hypot(p2.x - p1.x, p2.y - p1.y) || 1;
  const ux = (p2.x - p1.x) / len;
  const uy = (p2.y - p1.y) / len;
  const along = Math.min(34, len / 3);
  // labels sit beside the line a little way from each end, the two ends on opposite sides
  // (short links would have them meet); a label above the line grows upwards
  const nx = -uy * 12;
  const ny = ux * 12;
  const lines = (l: EndLabel) => 1 + (l.address ? 1 : 0) + (l.vlan ? 1 : 0);
  const place = (x: number, y: number, sx: number, sy: number, l: EndLabel) => ({ x: x + sx, y: y + sy + (sy < 0 ? -(lines(l) - 1) * 13 : 8) });
  const la = place(p1.x + ux * along, p1.y + uy * along, nx, ny, data.a);
  const lb = place(p2.x - ux * along, p2.y - uy * along, -nx, -ny, data.b);
  return (
    <>
      <BaseEdge id={id} path={path} className={`lab-edge ${selected ? "selected" : ""} ${data.error ? "error" : ""}`} interactionWidth={14} />
      <g className="edge-labels" data-testid={`edge-${id}`}>
        <EndText x={la.x} y={la.y} label={data.a} side="a" />
        <EndText x={lb.x} y={lb.y} label={data.b} side="b" />
        {data.middle && (
          <text x={(p1.x + p2.x) / 2 - nx} y={(p1.y + p2.y) / 2 - ny} className="edge-label edge-middle" textAnchor="middle">
            {data.middle}
          </text>
        )}
      </g>
    </>
  );
}

export const EdgeView = memo(EdgeViewImpl);
