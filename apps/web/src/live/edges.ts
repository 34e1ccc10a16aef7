// What the kernel says about each link of the canvas, from the live state: broken (which end,
// and why: taken down from topolab, admin-down by hand, no carrier, node stopped, interface
// missing in the kernel), its packet loss, and its traffic (bits per second, the busier
// direction); the kernel's addresses at a link's end; the hosts' reach after ping all. Pure:
// the canvas is drawn from this by a stylesheet and a tooltip per edge (marks.tsx), never
// re-rendered per event (keepUnchanged keeps each unchanged link's object).
//
// Knows: which kernel end belongs to which link end (a host end by node:interface, a switch
// end by its port's endpoint), what the document asked for (a link down, a node stopped, an
// interface down, loss) so the tooltip says who did it. Leaves to others: getting the live
// state (liveStore.ts).

import type { LiveNode, LivePort, PingAll } from "@topolab/protocol";
import { isHostLike, linkKey, type Lab, type Link } from "@topolab/topology";

export interface EndState {
  end: string;
  adminUp: boolean;
  carrier: boolean;
}

export interface LinkLive {
  id: string;
  broken: boolean;
  /** "h1:eth0 admin down (ip link set down); s1:eth1 no carrier", "link taken down from topolab: s1:eth1 admin down; h1:eth0 no carrier" */
  reason: string;
  /** bits per second, the busier direction */
  bps: number;
  /** packet loss the document sets on it, percent */
  loss?: number;
  /** the edge's tooltip: why it is broken, its loss; "" when there is nothing to say */
  title: string;
}

export interface Rates {
  [endpoint: string]: { rxBps: number; txBps: number };
}

// Lookups by name, made once per document and per ports list (they change only with an edit or
// a port event), not a scan per link end: a 500-node lab's links scanned the nodes 1000 times
// per counter sample (43 ms a call, a long frame every second while panning).
const nodeIndex = new WeakMap<Lab, Map<string, Lab["nodes"][number]>>();
const portIndex = new WeakMap<LivePort[], Map<string, LivePort>>();

function nodeNamed(lab: Lab, name: string): Lab["nodes"][number] | undefined {
  let m = nodeIndex.get(lab);
  if (!m) nodeIndex.set(lab, (m = new Map(lab.nodes.map((n) => [n.name, n]))));
  return m.get(name);
}

function portAt(ports: LivePort[], endpoint: string): LivePort | undefined {
  let m = portIndex.get(ports);
  if (!m) portIndex.set(ports, (m = new Map(ports.map((p) => [p.endpoint, p]))));
  return m.get(endpoint);
}

/**
 * The kernel state of one end of a link: null when it is not known (the live state not read
 * yet, an internal port), "missing" when the kernel was read and has no such interface.
 */
export function endState(end: string, nodes: Record<string, LiveNode | null>, ports: LivePort[], lab: Lab, link?: Link): EndState | "missing" | null {
  const [node, iface] = end.split(":") as [string, string];
  const n = nodeNamed(lab, node);
  if (!n) return null;
  if (isHostLike(n)) {
    const live = nodes[node];
    if (live === null) return { end, adminUp: false, carrier: false };
    if (live === undefined) return null;
    const i = live.interfaces.find((x) => (x.interface ?? x.name) === iface);
    return i ? { end, adminUp: i.adminUp, carrier: i.carrier } : "missing";
  }
  const p = portAt(ports, end);
  if (p) return { end, adminUp: p.adminUp, carrier: p.carrier };
  // a switch end is a root-side port, except an internal port's (it lives in the host)
  return n.kind === "switch" && link && !link.internal && Object.keys(nodes).length > 0 ? "missing" : null;
}

/** Why topolab itself breaks a link, from the document: it is taken down, or a node at an end is stopped. */
function topolabCause(lab: Lab, link: Link): string | null {
  if (link.state === "down") return "link taken down from topolab";
  const stopped = link.endpoints.map((e) => nodeNamed(lab, e.node)).filter((n) => n && isHostLike(n) && n.state === "stopped");
  return stopped.length ? `${stopped.map((n) => n!.name).join(" and ")} stopped from topolab` : null;
}

function why(lab: Lab, link: Link, end: string, e: EndState | "missing", liveNode: LiveNode | null | undefined, cause: string | null): string | null {
  const [name, iface] = end.split(":") as [string, string];
  const node = nodeNamed(lab, name);
  if (liveNode === null) return `${name} has no namespace (stopped or gone)`;
  if (e === "missing") return `${end} interface missing in the kernel`;
  if (!e.adminUp) {
    if (cause) return `${end} admin down`;
    const docDown = node && isHostLike(node) && node.interfaces[iface]?.up === false;
    return `${end} admin down (${docDown ? "the document has it down" : "ip link set down"})`;
  }
  if (!e.carrier) return `${end} no carrier`;
  return null;
}

/** A link's traffic: bits per second, the busier direction of its busier end. */
export function linkBps(l: Link, rates: Rates): number {
  let bps = 0;
  for (const e of l.endpoints) {
    const r = rates[`${e.node}:${e.interface}`];
    if (r) bps = Math.max(bps, r.rxBps, r.txBps);
  }
  return bps;
}

function linkLive(lab: Lab, l: Link, nodes: Record<string, LiveNode | null>, ports: LivePort[], rates: Rates, opts: { settling?: boolean }): LinkLive {
  const id = linkKey(l.endpoints[0], l.endpoints[1]);
  const ends = l.endpoints.map((e) => `${e.node}:${e.interface}`);
  const reasons: string[] = [];
  const cause = topolabCause(lab, l);
  for (const end of ends) {
    const s = endState(end, nodes, ports, lab, l);
    // while an edit is being applied, what it creates is not there yet: not "missing"
    if (!s || (s === "missing" && opts.settling)) continue;
    const r = why(lab, l, end, s, nodes[end.split(":")[0]!], cause);
    if (r && !reasons.includes(r)) reasons.push(r);
  }
  const bps = linkBps(l, rates);
  const broken = reasons.length > 0;
  // who broke it, when topolab did (the document says so), then what the kernel shows at each end
  const reason = `${broken && cause ? `${cause}: ` : ""}${reasons.join("; ")}`;
  const lines: string[] = [];
  if (broken) lines.push(cause ? reason : `broken: ${reason}`);
  if (l.loss !== undefined) lines.push(`loss ${l.loss} %`);
  return { id, broken, reason, bps, ...(l.loss !== undefined ? { loss: l.loss } : {}), title: lines.join("\n") };
}

/** What linksLiveSince() worked from last time. */
export interface LinksMemo {
  lab: Lab;
  nodes: Record<string, LiveNode | null>;
  ports: LivePort[];
  settling: boolean;
  /** lab.links' states, in order, without traffic */
  states: LinkLive[];
}

const NO_RATES: Rates = {};

/**
 * Each link's live state, working from the last answer (null: none, every link worked out):
 * only the links of nodes whose live state changed (another object: the live store replaces a changed node's entry and keeps the others) are
 * worked out again, and every link's traffic taken from the new rates. A counter sample then
 * costs one pass over the links, a node's change its own links: not every link end looked up
 * again per event (a 500-node lab under traffic has dozens of node events a second).
 * The same answer as linksLiveSince(null, lab, nodes, ports, rates, opts).
 */
export function linksLiveSince(
  memo: LinksMemo | null,
  lab: Lab,
  nodes: Record<string, LiveNode | null>,
  ports: LivePort[],
  rates: Rates,
  opts: { settling?: boolean } = {},
): { links: LinkLive[]; memo: LinksMemo } {
  const settling = !!opts.settling;
  let states: LinkLive[];
  if (!memo || memo.lab !== lab || memo.ports !== ports || memo.settling !== settling) {
    states = lab.links.map((l) => linkLive(lab, l, nodes, ports, NO_RATES, opts));
  } else if (memo.nodes === nodes) {
    states = memo.states;
  } else {
    const changed = new Set<string>();
    for (const k of Object.keys(nodes)) if (nodes[k] !== memo.nodes[k]) changed.add(k);
    for (const k of Object.keys(memo.nodes)) if (!(k in nodes)) changed.add(k);
    states = changed.size
      ? lab.links.map((l, i) => (l.endpoints.some((e) => changed.has(e.node)) ? linkLive(lab, l, nodes, ports, NO_RATES, opts) : memo.states[i]!))
      : memo.states;
  }
  const links = states.map((st, i) => {
    const bps = linkBps(lab.links[i]!, rates);
    return bps === st.bps ? st : { ...st, bps };
  });
  return { links, memo: { lab, nodes, ports, settling, states } };
}

/**
 * An end's address line: the kernel's when known (a DHCP lease, a hand-made address), else the
 * document's; `differs` when the kernel's differs from what the document asks (not for DHCP).
 */
export function endAddress(doc: string | undefined, kernel: string | undefined): { text?: string; differs: boolean } {
  if (kernel === undefined) return doc ? { text: doc, differs: false } : { differs: false };
  if (doc === "dhcp") return { text: kernel || "dhcp", differs: false };
  const set = (x: string | undefined) => [...new Set((x ?? "").split(/\s+/).filter(Boolean))].sort().join(" ");
  const differs = set(doc) !== set(kernel);
  return kernel ? { text: kernel, differs } : doc ? { text: doc, differs } : { differs };
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
 * busy links thicker, lossy ones dotted. One text for the whole canvas: updating it re-renders nothing.
 */
export function edgeStylesheet(links: LinkLive[]): string {
  const rules: string[] = [];
  for (const l of links) {
    const sel = `.react-flow__edge[data-id=${cssString(l.id)}] .lab-edge`;
    if (l.broken) rules.push(`${sel} { stroke: var(--live-broken, #d33); stroke-dasharray: 6 5; }`);
    else {
      if (l.bps >= 1000) {
        const width = Math.min(8, 2 + Math.log10(l.bps / 1000) * 1.5);
        rules.push(`${sel} { stroke-width: ${width.toFixed(1)}px; stroke: var(--live-busy, #2a7de1); }`);
      }
      // a lossy link: dotted amber (after the busy rule: its colour wins, its width stays)
      if (l.loss !== undefined && l.loss > 0) rules.push(`${sel} { stroke: var(--live-lossy, #d98a00); stroke-dasharray: 2 4; }`);
    }
  }
  return rules.join("\n");
}

/** Marks on the hosts after ping all: how many peers each reaches. */
export function reachStylesheet(p: PingAll | null): string {
  if (!p) return "";
  const by = new Map<string, { ok: number; all: number }>();
  for (const x of p.pairs) {
    const e = by.get(x.from) ?? { ok: 0, all: 0 };
    e.all++;
    if (x.ok) e.ok++;
    by.set(x.from, e);
  }
  return [...by]
    .map(
      ([node, e]) =>
        `.react-flow__node[data-id=${cssString(node)}]::after { content: ${cssString(`reaches ${e.ok}/${e.all}`)}; position: absolute; left: 50%; top: -20px; transform: translateX(-50%); font-size: 11px; padding: 0 6px; border-radius: 8px; white-space: nowrap; background: ${e.ok === e.all ? "#e3f6e6" : "#fbe3e3"}; color: ${e.ok === e.all ? "#1d6b2c" : "#a11"}; }`,
    )
    .join("\n");
}

/** Reuses the previous object of each link whose state did not change, so its edge does not re-render. */
export function keepUnchanged(prev: Record<string, LinkLive>, next: LinkLive[]): Record<string, LinkLive> {
  const out: Record<string, LinkLive> = {};
  let same = Object.keys(prev).length === next.length;
  for (const l of next) {
    const p = prev[l.id];
    if (p && p.broken === l.broken && p.reason === l.reason && p.bps === l.bps && p.title === l.title && p.loss === l.loss) out[l.id] = p;
    else {
      out[l.id] = l;
      same = false;
    }
  }
  return same ? prev : out;
}
