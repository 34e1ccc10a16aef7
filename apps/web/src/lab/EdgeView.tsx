// A link on the canvas: a straight line between the borders of its two nodes, with what a
// teacher points at: the interface name and address at each end (the kernel's, while the lab
// runs: a DHCP lease, an address added by hand, marked when it differs from the document), the VLAN tag (access) or the
// trunk's VLANs, and shaping in the middle, placed clear of the nodes (edgeLabels.ts). Labels are SVG text, hidden by one CSS class on
// the canvas (no re-render). Memoized like the nodes.
//
// Knows: geometry and labels. Leaves to others: the link's data (Canvas).

import { memo } from "react";
import { layoutEdgeLabels } from "./edgeLabels";
import { LinkTitle, useKernelAddresses } from "../live/marks";
import { endAddress } from "../live/edges";
import { BaseEdge, useInternalNode, type Edge, type EdgeProps, type InternalNode } from "@xyflow/react";

export interface EndLabel {
  iface: string;
  address?: string;
  /** the VLAN note shown at a switch end: "vlan 100" or "trunk 100,200" */
  vlan?: string;
  /** the kernel's addresses differ from the document's (live/edges.ts endAddress) */
  differs?: boolean;
}

export interface LabEdgeData extends Record<string, unknown> {
  a: EndLabel;
  b: EndLabel;
  middle?: string;
  error?: boolean;
  /** 1: this end's label sits further along (another link leaves the same node beside it) */
  staggerA?: number;
  staggerB?: number;
}

const lines = (l: EndLabel) => [l.iface, ...(l.address ? [l.address] : []), ...(l.vlan ? [l.vlan] : [])];

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
        <tspan x={x} dy="1.15em" className={`edge-address${label.differs ? " edge-address-differs" : ""}`}>
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

/** An end's label with the addresses the kernel has (a DHCP lease, one added by hand), when known. */
function liveLabel(label: EndLabel, kernel: string | undefined): EndLabel {
  if (kernel === undefined) return label;
  const { address: _doc, ...rest } = label;
  const e = endAddress(label.address, kernel);
  return { ...rest, ...(e.text ? { address: e.text } : {}), ...(e.differs ? { differs: true } : {}) };
}

function EdgeViewImpl({ id, source, target, data: docData, selected }: EdgeProps<LabFlowEdge>) {
  const s = useInternalNode(source);
  const t = useInternalNode(target);
  // the interfaces' addresses as the kernel has them: this edge re-renders when they change
  const kernelA = useKernelAddresses(source, docData?.a.iface ?? "");
  const kernelB = useKernelAddresses(target, docData?.b.iface ?? "");
  if (!s || !t || !docData) return null;
  const data = { ...docData, a: liveLabel(docData.a, kernelA), b: liveLabel(docData.b, kernelB) };
  const cs = center(s);
  const ct = center(t);
  const p1 = border(cs, ct);
  const p2 = border(ct, cs);
  const path = `M ${p1.x},${p1.y} L ${p2.x},${p2.y}`;
  // labels beside the line, clear of both nodes and of each other (edgeLabels.ts)
  const box = (c: { x: number; y: number; w: number; h: number }) => ({ x: c.x - c.w / 2, y: c.y - c.h / 2, w: c.w, h: c.h });
  const l = layoutEdgeLabels(
    p1,
    p2,
    { a: box(cs), b: box(ct) },
    { a: lines(data.a), b: lines(data.b), ...(data.middle ? { middle: data.middle } : {}) },
    { a: data.staggerA ?? 0, b: data.staggerB ?? 0 },
  );
  return (
    <>
      {/* the kernel's word on this link (why it is broken, its loss): the tooltip of the whole edge */}
      <LinkTitle id={id} />
      <BaseEdge id={id} path={path} className={`lab-edge ${selected ? "selected" : ""} ${data.error ? "error" : ""}`} interactionWidth={14} />
      <g className="edge-labels" data-testid={`edge-${id}`}>
        <EndText x={l.a.x} y={l.a.y} label={data.a} side="a" />
        <EndText x={l.b.x} y={l.b.y} label={data.b} side="b" />
        {data.middle && l.middle && (
          <text x={l.middle.x} y={l.middle.y} className="edge-label edge-middle" textAnchor="middle">
            {data.middle}
          </text>
        )}
      </g>
    </>
  );
}

export const EdgeView = memo(EdgeViewImpl);
