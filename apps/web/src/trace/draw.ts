// What a trace puts on the canvas, pure: the links it crossed (highlighted, in the packet's
// direction, each with its hop's number), the link it should have crossed next (dashed red), the
// nodes on the way, and the node where it stopped. The canvas is drawn from one stylesheet and a
// few badges: showing or clearing a trace re-renders none of the canvas's nodes or edges.
//
// Knows: the trace's shape (protocol) and the canvas's DOM (edges by data-id, their .lab-edge
// path; nodes by data-id, their .lab-node box). Leaves to others: placing the badges (TraceHost).

import type { Trace } from "@topolab/protocol";
import type { Lab } from "@topolab/topology";
import { linkKey } from "@topolab/topology";

export interface LinkMark {
  /** the link's id (h1:eth0|s1:eth1) */
  link: string;
  /** the two nodes, as the canvas's edge has them (source, target) */
  source: string;
  target: string;
  /** the hop this link belongs to (1, 2, …); 0: the expected link after a stop */
  hop: number;
  /** the packet goes from the edge's target to its source */
  reverse: boolean;
  expected: boolean;
  /** tooltip: "hop 1: h1:eth0 → s1 → s2 → r1:eth0, 0.6 ms, by the switches' MAC tables" */
  title: string;
}

export interface TraceMarks {
  links: LinkMark[];
  /** nodes on the path (crossed), in order, without repeats */
  nodes: string[];
  stop?: { node: string; reason: string; code: string };
}

const ms = (x: number | null) => (x === null ? "" : `, ${x < 10 ? x.toFixed(2) : x.toFixed(0)} ms`);

const how = (l2: string, detail?: string) =>
  l2 === "direct"
    ? "a direct link"
    : l2 === "mac-table"
      ? "by the switches' MAC tables"
      : `by the lab's graph (${detail ?? "a switch had not learned the MAC"})`;

/** The marks of a trace on the lab as drawn (links the lab no longer has are left out). */
export function traceMarks(trace: Trace, lab: Lab): TraceMarks {
  const byId = new Map(lab.links.map((l) => [linkKey(l.endpoints[0], l.endpoints[1]), l]));
  const links: LinkMark[] = [];
  const nodes: string[] = [];
  for (const s of trace.segments) {
    const path = `${s.from.node}:${s.from.interface} → ${[...s.nodes.slice(1, -1), `${s.to.node}:${s.to.interface}`].join(" → ")}`;
    const title = s.expected ? `expected next, not crossed: ${path}` : `hop ${s.hop}: ${path}${ms(s.rttMs)}, ${how(s.l2, s.detail)}`;
    s.links.forEach((id, i) => {
      const l = byId.get(id);
      if (!l) return;
      // the packet enters this link from the i-th node of the segment
      const from = s.nodes[i];
      links.push({
        link: id,
        source: l.endpoints[0].node,
        target: l.endpoints[1].node,
        hop: s.expected ? 0 : s.hop,
        reverse: from !== undefined && from === l.endpoints[1].node,
        expected: !!s.expected,
        title,
      });
    });
    if (!s.expected) for (const n of s.nodes) if (!nodes.includes(n)) nodes.push(n);
  }
  if (!nodes.length) nodes.push(trace.from);
  return { links, nodes, ...(trace.stop ? { stop: { node: trace.stop.at, reason: trace.stop.reason, code: trace.stop.code } } : {}) };
}

const cssString = (s: string) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/** One stylesheet for the whole trace: updating it re-renders nothing. */
export function traceStylesheet(m: TraceMarks | null): string {
  if (!m) return "";
  const rules: string[] = [];
  for (const l of m.links) {
    const sel = `.lab-page .react-flow__edge[data-id=${cssString(l.link)}] .lab-edge`;
    rules.push(
      l.expected
        ? `${sel} { stroke: var(--trace-stop, #d33); stroke-width: 3px; stroke-dasharray: 4 5; }`
        : `${sel} { stroke: var(--trace, #7b3fe4); stroke-width: 4px; stroke-dasharray: 10 6; animation: trace-flow${l.reverse ? "-reverse" : ""} 0.9s linear infinite; }`,
    );
  }
  for (const n of m.nodes) {
    if (n === m.stop?.node) continue;
    rules.push(`.lab-page .react-flow__node[data-id=${cssString(n)}] .lab-node { box-shadow: 0 0 0 3px var(--trace, #7b3fe4); }`);
  }
  if (m.stop) rules.push(`.lab-page .react-flow__node[data-id=${cssString(m.stop.node)}] .lab-node { box-shadow: 0 0 0 3px var(--trace-stop, #d33); }`);
  return rules.join("\n");
}
