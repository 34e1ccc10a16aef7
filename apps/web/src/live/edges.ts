// What the kernel says about each link of the canvas, from the live state: broken (which end,
// and why: admin-down, no carrier, node stopped) and its traffic (bits per second, the busier
// direction). Pure: the canvas is drawn from this by a stylesheet, never re-rendered per event.
//
// Knows: which kernel end belongs to which link end (a host end by node:interface, a switch
// end by its port's endpoint). Leaves to others: getting the live state (liveStore.ts).

import type { LiveNode, LivePort } from "@topolab/protocol";
import { linkKey, type Lab } from "@topolab/topology";

export interface EndState {
  end: string;
  adminUp: boolean;
  carrier: boolean;
}

export interface LinkLive {
  id: string;
  broken: boolean;
  /** "h1:eth0 is administratively down; s1:eth1 has no carrier" */
  reason: string;
  /** bits per second, the busier direction */
  bps: number;
}

export interface Rates {
  [endpoint: string]: { rxBps: number; txBps: number };
}

/** The kernel state of one end of a link, or null when it is not known (a switch patch port). */
export function endState(end: string, nodes: Record<string, LiveNode | null>, ports: LivePort[], lab: Lab): EndState | null {
  const [node, iface] = end.split(":") as [string, string];
  const n = lab.nodes.find((x) => x.name === node);
  if (!n) return null;
  if (n.kind === "host" || n.kind === "router") {
    const live = nodes[node];
    if (live === null) return { end, adminUp: false, carrier: false };
    const i = live?.interfaces.find((x) => (x.interface ?? x.name) === iface);
    return i ? { end, adminUp: i.adminUp, carrier: i.carrier } : null;
  }
  const p = ports.find((x) => x.endpoint === end);
  return p ? { end, adminUp: p.adminUp, carrier: p.carrier } : null;
}

function why(e: EndState, stoppedNode: boolean): string | null {
  if (stoppedNode) return `${e.end.split(":")[0]} is stopped (no namespace)`;
  if (!e.adminUp) return `${e.end} is administratively down`;
  if (!e.carrier) return `${e.end} has no carrier`;
  return null;
}

export function linksLive(lab: Lab, nodes: Record<string, LiveNode | null>, ports: LivePort[], rates: Rates): LinkLive[] {
  return lab.links.map((l) => {
    const id = linkKey(l.endpoints[0], l.endpoints[1]);
    const ends = l.endpoints.map((e) => `${e.node}:${e.interface}`);
    const reasons: string[] = [];
    for (const end of ends) {
      const s = endState(end, nodes, ports, lab);
      const r = s && why(s, nodes[end.split(":")[0]!] === null);
      if (r) reasons.push(r);
    }
    const bps = Math.max(0, ...ends.map((e) => Math.max(rates[e]?.rxBps ?? 0, rates[e]?.txBps ?? 0)));
    return { id, broken: reasons.length > 0, reason: reasons.join("; "), bps };
  });
}

export function formatBps(bps: number): string {
  if (bps >= 1e9) return `${(bps / 1e9).toFixed(1)} Gbit/s`;
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(1)} Mbit/s`;
  if (bps >= 1e3) return `${(bps / 1e3).toFixed(0)} kbit/s`;
  return `${Math.round(bps)} bit/s`;
}

const cssString = (s: string) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/**
 * The stylesheet that draws the links' live state on the canvas: broken links red and dashed,
 * busy links thicker. One text for the whole canvas: updating it re-renders nothing.
 */
export function edgeStylesheet(links: LinkLive[]): string {
  const rules: string[] = [];
  for (const l of links) {
    const sel = `.react-flow__edge[data-id=${cssString(l.id)}] .lab-edge`;
    if (l.broken) rules.push(`${sel} { stroke: var(--live-broken, #d33); stroke-dasharray: 6 5; }`);
    else if (l.bps >= 1000) {
      const width = Math.min(8, 2 + Math.log10(l.bps / 1000) * 1.5);
      rules.push(`${sel} { stroke-width: ${width.toFixed(1)}px; stroke: var(--live-busy, #2a7de1); }`);
    }
  }
  return rules.join("\n");
}
