// Trace: the path a packet takes from one node of a running lab to another node (or an
// address), hop by hop, drawn on the lab's own nodes and links; and where and why it stops.
//
// Knows: the traceroute command line (ICMP echo probes, numeric, short waits, bounded hops), run
// inside the source's namespace as an argument vector; how each answering address maps to the
// lab's node and interface, from the kernel (the addresses the namespaces have now, never the
// document's); how an L3 hop expands to its L2 path across switches: each switch's MAC table
// (OVS `ovs-appctl fdb/show`, a Linux bridge's fdb) says which port leads to the next hop's MAC,
// and where a switch has not learned it, the shortest path in the lab's graph through switches
// (the segment says which it was); and how a stop is explained from the kernel: the route the
// last node that answered would use (`ip route get`), its interface's state, its neighbour
// entry for the next hop, and whether the next node forwards at all (net.ipv4.ip_forward).
// Reads only what the trace needs (KernelReader): the source, the target and the nodes that
// answered (the document's owner of an address first, every node when the kernel has it
// elsewhere), and the switches on the way. A trace silent after its last answer, whose last node
// had not resolved its next hop (a cold lab under load), or with silent hops before an answer,
// runs once more before it is believed.
// The model part (traceModel, l2Path, diagnose) is pure and unit-tested on graphs; traceLab
// does the reads.
// Leaves to others: parsing (parse/traceroute.ts, parse/*), reading a namespace (inspect.ts),
// the lab's kernel names (topology), who may trace (the server), drawing it (the web app).

import { hostIfNames, isHostLike, linkKey, nsName, switchIfName, type Lab } from "@topolab/topology";
import { pool, run, type RunResult } from "./exec";
import { InspectError, readNetns, readOvsPorts, switchPortNames } from "./inspect";
import {
  markMeaning,
  parseBridgeFdb,
  parseOvsFdb,
  parseRouteGet,
  parseTraceroute,
  routeGetRefusal,
  tracerouteSendFailure,
  type NeighbourInfo,
  type RouteGet,
  type TraceProbe,
} from "./parse/index";

/** A trace that could not run; `field` names the request's field at fault (bad input), absent for a failure of the machine. */
export class TraceError extends Error {
  constructor(
    message: string,
    readonly field?: "from" | "to" | "options",
  ) {
    super(message);
    this.name = "TraceError";
  }
}

// ---- what the kernel says, as the model reads it ----

/** One interface of a host or router, by its lab name, as the kernel has it now. */
export interface KernelInterface {
  node: string;
  /** the lab's name (eth0), also for internal ports whose kernel name differs */
  interface: string;
  mac: string;
  /** "10.1.10.2/24", without link-local and loopback addresses */
  addresses: string[];
  /** administratively up and with carrier */
  up: boolean;
  /** why not up: "administratively down", "no carrier" */
  down?: string;
}

export interface KernelView {
  /** hosts and routers that have a namespace now (a stopped node has none) */
  interfaces: KernelInterface[];
  /** node -> its neighbour table, devices by their lab names */
  neighbours: Map<string, NeighbourInfo[]>;
  /** switch -> its learned MAC table; a switch missing here was not read */
  macs: Map<string, { mac: string; vlan?: number; endpoint: string }[]>;
}

// ---- the result ----

export interface TraceHop {
  ttl: number;
  probes: TraceProbe[];
  /** the first address that answered, or null when no probe of the hop got an answer */
  address: string | null;
  node?: string;
  interface?: string;
  /** the fastest answer, milliseconds */
  rttMs: number | null;
  /** an ICMP unreachable mark of a probe ("!H") */
  mark?: string;
}

export interface TraceSegment {
  /** the TTL of the hop this segment reaches; 0 for the expected segment after the stop */
  hop: number;
  from: { node: string; interface: string };
  to: { node: string; interface: string; address?: string };
  /** every node crossed, both ends included: h1, s1, s2, r1 */
  nodes: string[];
  /** the lab's links crossed, in order, as the protocol names them (h1:eth0|s1:eth1) */
  links: string[];
  /** how the switches were crossed: a direct link, their MAC tables, or the lab's graph (a switch had not learned the MAC) */
  l2: "direct" | "mac-table" | "graph";
  /** "s2 has not learned r1:eth0's MAC (…): shortest path in the lab" */
  detail?: string;
  rttMs: number | null;
  /** not crossed: where the packet should have gone next after the stop */
  expected?: boolean;
}

export type StopCode =
  | "no-route"
  | "blackhole"
  | "link-down"
  | "no-neighbour"
  | "no-arp"
  | "forwarding-off"
  | "net-unreachable"
  | "host-unreachable"
  | "prohibited"
  | "unreachable"
  | "no-answer";

export interface TraceStop {
  /** the node where the packet died: the mark goes there */
  at: string;
  /** the last node that answered (the source when none did) */
  last: string;
  /** the node the packet should have reached next, when the kernel says */
  next?: string;
  code: StopCode;
  reason: string;
}

export interface TraceResult {
  lab: string;
  from: string;
  /** as asked: a node, node:interface, or an address */
  to: string;
  /** the address traced */
  target: string;
  /** the node that has the target address, when one has */
  targetNode?: string;
  reached: boolean;
  hops: TraceHop[];
  segments: TraceSegment[];
  stop?: TraceStop;
  /** the traceroute command, as a shell would show it */
  command: string;
  /** what traceroute printed (stdout, then stderr) */
  output: string;
  durationMs: number;
}

export interface TraceOptions {
  /** the most hops probed (traceroute -m); default 8, at most 30 */
  maxHops?: number;
  /** seconds each probe is waited for (traceroute -w); default 1 */
  timeoutSeconds?: number;
  /** probes per hop (traceroute -q); default 3 */
  queries?: number;
}

export function tracerouteArgv(target: string, o: TraceOptions = {}): string[] {
  const maxHops = o.maxHops ?? 8;
  const wait = o.timeoutSeconds ?? 1;
  const queries = o.queries ?? 3;
  if (!Number.isInteger(maxHops) || maxHops < 1 || maxHops > 30) throw new TraceError(`maxHops must be a whole number from 1 to 30, not ${maxHops}`, "options");
  if (!(wait > 0 && wait <= 10)) throw new TraceError(`timeoutSeconds must be more than 0 and at most 10, not ${wait}`, "options");
  if (!Number.isInteger(queries) || queries < 1 || queries > 10) throw new TraceError(`queries must be a whole number from 1 to 10, not ${queries}`, "options");
  // -I: ICMP echo probes (what ping sends: not stopped by a host without a UDP port closed);
  // -n: numbers, no DNS; -w MAX,0,0: each probe waits its full time (traceroute's default
  // waits only 3 times the hop's first reply: sub-millisecond in a lab, too short under load)
  // -N: two hops' probes in flight at a time, not traceroute's 16: a router answers a host with
  // at most 6 ICMP errors at once, then about one a second (icmp_ratelimit), and 16 probes that
  // all die at the first router would use that up (the next trace would see only "*")
  return ["traceroute", "-n", "-I", "-q", String(queries), "-N", String(queries * 2), "-w", `${wait},0,0`, "-m", String(maxHops), target];
}

// ---- the lab's graph ----

interface Graph {
  /** "h1:eth0" -> the other end of its link and the link's id */
  peer: Map<string, { end: string; link: string }>;
  kind: Map<string, "hostlike" | "switch" | "nat">;
  /** link id -> its access VLAN, for the links that have one */
  vlan: Map<string, number>;
  /** link id -> the VLANs it carries tagged, for trunk links */
  trunk: Map<string, number[]>;
}

export function labGraph(lab: Lab): Graph {
  const peer = new Map<string, { end: string; link: string }>();
  const vlan = new Map<string, number>();
  const trunk = new Map<string, number[]>();
  for (const l of lab.links) {
    const [a, b] = l.endpoints;
    const id = linkKey(a, b);
    if (l.vlan !== undefined) vlan.set(id, l.vlan);
    if (l.trunk !== undefined) trunk.set(id, l.trunk);
    peer.set(`${a.node}:${a.interface}`, { end: `${b.node}:${b.interface}`, link: id });
    peer.set(`${b.node}:${b.interface}`, { end: `${a.node}:${a.interface}`, link: id });
  }
  const kind = new Map(lab.nodes.map((n) => [n.name, isHostLike(n) ? ("hostlike" as const) : n.kind === "switch" ? ("switch" as const) : ("nat" as const)]));
  return { peer, kind, vlan, trunk };
}

/** Whether a link carries frames of a VLAN (0: untagged): an access link its own, a trunk its list, a plain link any. */
export function carries(g: Graph, link: string, vlan: number): boolean {
  const access = g.vlan.get(link);
  if (access !== undefined) return access === vlan;
  const trunk = g.trunk.get(link);
  return trunk ? trunk.includes(vlan) : true;
}

const nodeOf = (end: string) => end.slice(0, end.indexOf(":"));

/** The endpoints of a node ("s1:eth1", …), from the lab's links. */
function endsOf(g: Graph, node: string): string[] {
  return [...g.peer.keys()].filter((e) => nodeOf(e) === node);
}

/**
 * The shortest path from a switch to an endpoint, through switches only (in one VLAN when
 * given): the links crossed and the nodes after `from`; null when there is none.
 */
export function shortestThroughSwitches(g: Graph, from: string, goal: string, vlan?: number): { nodes: string[]; links: string[] } | null {
  const prev = new Map<string, { node: string; link: string } | null>([[from, null]]);
  const queue = [from];
  while (queue.length) {
    const s = queue.shift()!;
    for (const e of endsOf(g, s)) {
      const p = g.peer.get(e)!;
      // within one VLAN (when known): a switch does not carry a frame to a port of another
      if (vlan !== undefined && !carries(g, p.link, vlan)) continue;
      if (p.end === goal) {
        const links = [p.link];
        const nodes = [nodeOf(goal)];
        let at: string = s;
        while (at !== from) {
          const back = prev.get(at)!;
          nodes.unshift(at);
          links.unshift(back.link);
          at = back.node;
        }
        return { nodes, links };
      }
      const n = nodeOf(p.end);
      if (g.kind.get(n) !== "switch" || prev.has(n)) continue;
      prev.set(n, { node: s, link: p.link });
      queue.push(n);
    }
  }
  return null;
}

/**
 * The shortest path from one node to another through any nodes of the lab (for hops that did not
 * answer between two that did): the nodes and links, and the first and last endpoints; null when
 * none.
 */
export function shortestInLab(g: Graph, from: string, to: string): { nodes: string[]; links: string[]; first: string; last: string } | null {
  const prev = new Map<string, { node: string; link: string; via: string; at: string } | null>([[from, null]]);
  const queue = [from];
  while (queue.length) {
    const n = queue.shift()!;
    if (n === to) break;
    for (const e of endsOf(g, n)) {
      const p = g.peer.get(e)!;
      const m = nodeOf(p.end);
      if (prev.has(m) || g.kind.get(m) === "nat") continue;
      prev.set(m, { node: n, link: p.link, via: e, at: p.end });
      queue.push(m);
    }
  }
  if (!prev.has(to) || from === to) return null;
  const nodes = [to];
  const links: string[] = [];
  let first = "";
  let last = "";
  let at = to;
  while (at !== from) {
    const step = prev.get(at)!;
    if (at === to) last = step.at;
    links.unshift(step.link);
    nodes.unshift(step.node);
    first = step.via;
    at = step.node;
  }
  return { nodes, links, first, last };
}

/** Two endpoints of hosts or routers on the same L2 segment (joined by a link, or through switches). */
export function sameSegment(g: Graph, a: string, b: string): boolean {
  const p = g.peer.get(a);
  if (!p) return false;
  if (p.end === b) return true;
  // a host's frames enter the switch in its link's access VLAN, or untagged (0)
  return g.kind.get(nodeOf(p.end)) === "switch" && shortestThroughSwitches(g, nodeOf(p.end), b, g.vlan.get(p.link) ?? 0) !== null;
}

/**
 * The L2 path from one host or router endpoint to another on its segment. Each switch on the
 * way forwards to the port its MAC table has for the goal's MAC; a switch that has not learned
 * it (or whose table leads nowhere sensible) hands over to the shortest path in the lab's graph.
 */
export function l2Path(
  g: Graph,
  from: string,
  goal: string,
  goalMac: string | undefined,
  macs: KernelView["macs"],
): Pick<TraceSegment, "nodes" | "links" | "l2" | "detail"> | null {
  const first = g.peer.get(from);
  if (!first) return null;
  const nodes = [nodeOf(from)];
  const links = [first.link];
  if (first.end === goal) return { nodes: [...nodes, nodeOf(goal)], links, l2: "direct" };
  let arrived = first.end;
  let vlan: number | undefined;
  const seen = new Set<string>();
  for (;;) {
    const sw = nodeOf(arrived);
    if (g.kind.get(sw) !== "switch" || seen.has(sw)) return null;
    seen.add(sw);
    nodes.push(sw);
    const table = macs.get(sw);
    // the frame's VLAN: the access VLAN of the last access link it came in by (a trunk keeps it)
    vlan = g.vlan.get(g.peer.get(arrived)!.link) ?? vlan;
    const found = goalMac ? (table ?? []).filter((e) => e.mac === goalMac.toLowerCase() && e.endpoint !== arrived) : [];
    const entry = found.find((e) => vlan === undefined || e.vlan === undefined || e.vlan === vlan) ?? found[0];
    const next = entry ? g.peer.get(entry.endpoint) : undefined;
    const sensible = next && (next.end === goal || (g.kind.get(nodeOf(next.end)) === "switch" && !seen.has(nodeOf(next.end))));
    if (!entry || !next || !sensible) {
      const rest = shortestThroughSwitches(g, sw, goal, vlan ?? 0);
      if (!rest) return null;
      const why = !table
        ? `${sw}'s MAC table was not read`
        : !entry
          ? `${sw} has not learned ${goal}'s MAC${goalMac ? ` (${goalMac})` : ""}`
          : `${sw}'s MAC table sends ${goalMac} to ${entry.endpoint}, which does not lead to ${goal}`;
      return { nodes: [...nodes, ...rest.nodes], links: [...links, ...rest.links], l2: "graph", detail: `${why}: the shortest path in the lab` };
    }
    links.push(next.link);
    if (next.end === goal) return { nodes: [...nodes, nodeOf(goal)], links, l2: "mac-table" };
    arrived = next.end;
  }
}

// ---- the model: hops on the lab ----

const bare = (cidr: string) => cidr.split("/")[0]!;

/** The interfaces that have an address, on any node. */
export function addressOwners(k: KernelView, address: string): KernelInterface[] {
  return k.interfaces.filter((i) => i.addresses.some((a) => bare(a) === address));
}

/** The address a node is traced at: node:interface's first address, or the node's first IPv4 one. */
export function targetAddress(k: KernelView, node: string, iface?: string): string | null {
  const own = k.interfaces.filter((i) => i.node === node && (iface === undefined || i.interface === iface));
  for (const i of own) {
    const v4 = i.addresses.find((a) => !a.includes(":"));
    if (v4) return bare(v4);
  }
  for (const i of own) if (i.addresses[0]) return bare(i.addresses[0]);
  return null;
}

/**
 * The endpoints joining node A to node B for one hop: B's interface that answered (or any of
 * B's on a segment with A), and A's interface on that segment (preferring one whose subnet
 * holds B's address).
 */
function hopEnds(g: Graph, k: KernelView, a: string, b: string, bIface?: string): { from: string; to: string } | null {
  const aIfs = k.interfaces.filter((i) => i.node === a);
  const bIfs = k.interfaces.filter((i) => i.node === b).sort((x, y) => Number(y.interface === bIface) - Number(x.interface === bIface));
  for (const bi of bIfs) {
    const on = aIfs.filter((ai) => sameSegment(g, `${a}:${ai.interface}`, `${b}:${bi.interface}`));
    if (on.length) return { from: `${a}:${on[0]!.interface}`, to: `${b}:${bi.interface}` };
  }
  return null;
}

function segment(g: Graph, k: KernelView, a: string, b: string, hop: number, rttMs: number | null, bIface?: string, address?: string): TraceSegment | null {
  const ends = hopEnds(g, k, a, b, bIface);
  if (!ends) return null;
  const goal = k.interfaces.find((i) => `${i.node}:${i.interface}` === ends.to);
  const path = l2Path(g, ends.from, ends.to, goal?.mac, k.macs);
  if (!path) return null;
  const [toNode, toIf] = [nodeOf(ends.to), ends.to.slice(ends.to.indexOf(":") + 1)];
  return {
    hop,
    from: { node: a, interface: ends.from.slice(ends.from.indexOf(":") + 1) },
    to: { node: toNode, interface: toIf, ...(address ? { address } : {}) },
    ...path,
    rttMs,
  };
}

/** Hops that did not answer between two nodes that did: the shortest way in the lab, said so. */
function gap(g: Graph, a: string, b: string, hop: number, rttMs: number | null, address: string): TraceSegment | null {
  const p = shortestInLab(g, a, b);
  if (!p) return null;
  const after = (end: string) => end.slice(end.indexOf(":") + 1);
  return {
    hop,
    from: { node: a, interface: after(p.first) },
    to: { node: b, interface: after(p.last), address },
    nodes: p.nodes,
    links: p.links,
    l2: "graph",
    detail: `the hops between ${a} and ${b} did not answer: the shortest path in the lab`,
    rttMs,
  };
}

/** The owner of an answering address: on the segment of the previous node when several nodes have it (overlapping labs' tenants). */
function ownerOf(g: Graph, k: KernelView, address: string, prev: string | undefined): KernelInterface | undefined {
  const owners = addressOwners(k, address);
  if (owners.length <= 1 || !prev) return owners[0];
  return owners.find((o) => k.interfaces.some((i) => i.node === prev && sameSegment(g, `${prev}:${i.interface}`, `${o.node}:${o.interface}`))) ?? owners[0];
}

export interface TraceModelInput {
  lab: Lab;
  from: string;
  target: string;
  targetNode?: string;
  hops: { ttl: number; probes: TraceProbe[] }[];
  kernel: KernelView;
}

/** Hops named by the lab's nodes, their segments, and whether the target answered. Pure. */
export function traceModel(input: TraceModelInput): { hops: TraceHop[]; segments: TraceSegment[]; reached: boolean; last: string; lastHop?: TraceHop } {
  const g = labGraph(input.lab);
  const hops: TraceHop[] = [];
  const segments: TraceSegment[] = [];
  let last = input.from;
  let lastHop: TraceHop | undefined;
  let reached = false;
  for (const h of input.hops) {
    const answered = h.probes.filter((p) => p.address !== null);
    const address = answered[0]?.address ?? null;
    const rtts = answered.map((p) => p.rttMs!).filter((x) => x !== null);
    const mark = answered.find((p) => p.mark)?.mark;
    const owner = address ? ownerOf(g, input.kernel, address, last) : undefined;
    const hop: TraceHop = {
      ttl: h.ttl,
      probes: h.probes,
      address,
      ...(owner ? { node: owner.node, interface: owner.interface } : {}),
      rttMs: rtts.length ? Math.min(...rtts) : null,
      ...(mark ? { mark } : {}),
    };
    hops.push(hop);
    if (!address) continue;
    lastHop = hop;
    if (owner && owner.node !== last) {
      const s = segment(g, input.kernel, last, owner.node, h.ttl, hop.rttMs, owner.interface, address) ?? gap(g, last, owner.node, h.ttl, hop.rttMs, address);
      if (s) segments.push(s);
      last = owner.node;
    }
    // an address outside the lab (beyond a NAT gateway): the path on the canvas ends where it left the lab
    if (!mark && (address === input.target || (input.targetNode !== undefined && owner?.node === input.targetNode))) reached = true;
  }
  return { hops, segments, reached, last, ...(lastHop ? { lastHop } : {}) };
}

// ---- where it stopped, and why ----

export interface StopFacts {
  from: string;
  target: string;
  targetNode?: string;
  /** the last node that answered (the source when none did) */
  last: string;
  /** the hop whose answer was an ICMP unreachable, with its node */
  mark?: { node: string; mark: string };
  /** traceroute could not send at all */
  sendFailure?: "no-route" | "host-unreachable";
  /** the route of the stop's node (`last`, or the marking node) to the target, or why the kernel refused one */
  route?: RouteGet | { refused: "no-route" | "unreachable" | "prohibit" | "blackhole" };
  /** the interface that route leaves by (lab name), as the kernel has it */
  outInterface?: KernelInterface;
  /** the node and interface that have the route's next hop, on the out interface's segment */
  next?: { node: string; interface: string };
  /** the stop's node's neighbour entry for that next hop */
  neighbour?: NeighbourInfo;
  /** whether the next node forwards IPv4 (net.ipv4.ip_forward), when read */
  nextForwards?: boolean;
  /** the next node's own route to the target, when it forwards and is not the target */
  nextRoute?: RouteGet | { refused: "no-route" | "unreachable" | "prohibit" | "blackhole" };
}

/** Where a trace that did not reach its target stopped, and why, from the kernel's facts. Pure. */
export function diagnose(f: StopFacts): TraceStop {
  const target = `${f.target}${f.targetNode && f.targetNode !== f.target ? ` (${f.targetNode})` : ""}`;
  const refusal = f.route && "refused" in f.route ? f.route.refused : undefined;
  const routeWords = (node: string, refusal: "no-route" | "unreachable" | "prohibit" | "blackhole" | undefined) =>
    refusal === "no-route"
      ? `${node} has no route to ${target}`
      : refusal === "unreachable"
        ? `${node}'s route to ${target} is an "unreachable" route`
        : refusal === "prohibit"
          ? `${node}'s route to ${target} is a "prohibit" route`
          : refusal === "blackhole"
            ? `${node}'s route to ${target} is a blackhole: it drops the packets without a word`
            : undefined;
  if (f.mark) {
    const code: StopCode =
      f.mark.mark === "!N" ? "net-unreachable" : f.mark.mark === "!H" ? "host-unreachable" : f.mark.mark === "!X" ? "prohibited" : "unreachable";
    const why =
      routeWords(f.mark.node, refusal) ??
      (f.neighbour && (f.neighbour.state === "FAILED" || f.neighbour.state === "INCOMPLETE")
        ? `no one answers ARP for ${f.neighbour.address} on ${f.mark.node}:${f.neighbour.dev}`
        : code === "prohibited"
          ? "a firewall rule refuses it"
          : undefined);
    return { at: f.mark.node, last: f.mark.node, code, reason: `${f.mark.node} answered ${markMeaning(f.mark.mark)}${why ? `: ${why}` : ""}` };
  }
  const at = f.last;
  if (f.sendFailure || refusal) {
    const code: StopCode = refusal === "blackhole" ? "blackhole" : "no-route";
    return { at, last: f.last, code, reason: routeWords(at, refusal) ?? `${at} has no route to ${target}` };
  }
  const next = f.next?.node;
  const withNext = next ? { next } : {};
  if (f.outInterface && !f.outInterface.up) {
    return { at, last: f.last, ...withNext, code: "link-down", reason: `${at}:${f.outInterface.interface} is ${f.outInterface.down ?? "down"}` };
  }
  const route = f.route && !("refused" in f.route) ? f.route : undefined;
  const hopAddress = route ? (route.gateway ?? f.target) : undefined;
  if (route && !f.next) {
    return {
      at,
      last: f.last,
      code: "no-neighbour",
      reason: route.gateway
        ? `no node of the lab has ${route.gateway}, the gateway of ${at}'s route to ${target}, on ${at}:${route.dev}'s segment`
        : `no node of the lab has ${target} on ${at}:${route.dev}'s segment`,
    };
  }
  if (next && f.neighbour && (f.neighbour.state === "FAILED" || f.neighbour.state === "INCOMPLETE")) {
    return {
      at,
      last: f.last,
      next,
      code: "no-arp",
      reason: `${next} (${hopAddress}) does not answer ${at}'s ARP on ${at}:${route?.dev ?? f.neighbour.dev}: the segment between them is cut (a link down, a VLAN, a switch)`,
    };
  }
  const nextHasTarget = next !== undefined && f.targetNode === next;
  if (next && !nextHasTarget && f.nextForwards === false) {
    return {
      at: next,
      last: f.last,
      next,
      code: "forwarding-off",
      reason: f.target.includes(":")
        ? `${next} does not forward IPv6 (net.ipv6.conf.all.forwarding = 0): it drops packets for other hosts`
        : `${next} does not forward IPv4 (net.ipv4.ip_forward = 0): it drops packets for other hosts without a word`,
    };
  }
  const nextRefusal = f.nextRoute && "refused" in f.nextRoute ? f.nextRoute.refused : undefined;
  if (next && nextRefusal) {
    const code: StopCode =
      nextRefusal === "blackhole" ? "blackhole" : nextRefusal === "prohibit" ? "prohibited" : nextRefusal === "unreachable" ? "host-unreachable" : "no-route";
    const unseen = nextRefusal === "blackhole" ? "" : " (its ICMP answer did not come back: the kernel sends at most about one a second to each host)";
    return { at: next, last: f.last, next, code, reason: `${routeWords(next, nextRefusal)}${unseen}` };
  }
  if (next) {
    return {
      at: next,
      last: f.last,
      next,
      code: "no-answer",
      reason: nextHasTarget
        ? `${next} does not answer (a firewall, or ICMP echo ignored)`
        : `nothing answered beyond ${next} (ICMP errors limited, or filtered by a firewall)`,
    };
  }
  return { at, last: f.last, code: "no-answer", reason: `nothing answered after ${at}` };
}

// ---- reading the kernel ----

function must(what: string, r: RunResult): string {
  if (r.code !== 0) throw new TraceError(`${what} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n")[0] || "no message"}`);
  return r.stdout;
}

export type TraceExec = (argv: string[]) => Promise<RunResult>;

/**
 * The kernel around a trace, read as far as it is needed (a trace in a lab of 500 nodes reads
 * the few on its way, not all): hosts' and routers' interfaces and neighbours, and switches' MAC
 * tables. What is asked for again is not read again.
 */
export class KernelReader {
  readonly view: KernelView = { interfaces: [], neighbours: new Map(), macs: new Map() };
  private readonly hostsRead = new Set<string>();
  private readonly names: Map<string, Map<string, string>>;
  private readonly ports: Map<string, { endpoint: string; peer: string }>;

  constructor(
    private readonly lab: Lab,
    private readonly tag: string,
    private readonly exec: TraceExec,
  ) {
    this.names = hostIfNames(lab, tag);
    this.ports = switchPortNames(lab, tag);
  }

  /** hosts and routers that have a namespace now */
  private hostLike(): string[] {
    return this.lab.nodes.filter((n) => isHostLike(n) && n.state !== "stopped").map((n) => n.name);
  }

  /** Reads these hosts or routers (all of them without a list). */
  async hosts(nodes: string[] = this.hostLike()): Promise<void> {
    const want = [...new Set(nodes)].filter((n) => !this.hostsRead.has(n) && this.hostLike().includes(n));
    for (const n of want) this.hostsRead.add(n);
    await pool(
      want.map((n) => async () => {
        const net = await readNetns(nsName(this.lab.name, n));
        const toLab = new Map([...(this.names.get(n) ?? new Map<string, string>())].map(([l, k]) => [k, l]));
        const labName = (kernel: string) => toLab.get(kernel) ?? kernel;
        for (const i of net.interfaces) {
          if (i.name === "lo") continue;
          this.view.interfaces.push({
            node: n,
            interface: labName(i.name),
            mac: i.mac.toLowerCase(),
            addresses: i.addresses.filter((a) => a.scope !== "link" && a.scope !== "host").map((a) => a.cidr),
            up: i.adminUp && i.carrier,
            ...(!i.adminUp ? { down: "administratively down" } : !i.carrier ? { down: "without carrier (the other end is down, or the link is pulled)" } : {}),
          });
        }
        this.view.neighbours.set(
          n,
          net.neighbours.map((x) => ({ ...x, dev: labName(x.dev) })),
        );
      }),
      8,
    );
    this.view.interfaces.sort((a, b) => (a.node === b.node ? a.interface.localeCompare(b.interface) : a.node.localeCompare(b.node)));
  }

  /** Whether every host and router has been read. */
  allHostsRead(): boolean {
    return this.hostLike().every((n) => this.hostsRead.has(n));
  }

  /** Reads the MAC tables of these switches: one ovs-vsctl for the OVS ones' ports, then each table. */
  async switches(names: string[]): Promise<void> {
    const want = [...new Set(names)].filter((n) => !this.view.macs.has(n));
    const nodes = this.lab.nodes.filter((n) => n.kind === "switch" && want.includes(n.name));
    const ovs = nodes.filter((n) => n.kind === "switch" && n.type !== "bridge");
    let byOfport = new Map<string, Map<number, string>>();
    if (ovs.length) {
      const bridges = ovs.map((n) => switchIfName(this.tag, n.name));
      const ports = await readOvsPorts(bridges, this.exec).catch((e: unknown) => {
        throw e instanceof InspectError ? new TraceError(e.message) : e;
      });
      byOfport = new Map(bridges.map((b) => [b, new Map<number, string>()]));
      for (const p of ports) if (p.ofport !== null) byOfport.get(p.bridge)?.set(p.ofport, p.name);
    }
    await pool(
      nodes.map((n) => async () => {
        const bridge = switchIfName(this.tag, n.name);
        if (n.kind === "switch" && n.type === "bridge") {
          const r = must(
            `reading the forwarding database of ${n.name} (bridge fdb show br ${bridge})`,
            await this.exec(["bridge", "-j", "fdb", "show", "br", bridge]),
          );
          this.view.macs.set(
            n.name,
            parseBridgeFdb(r)
              .filter((e) => e.learned && this.ports.has(e.port))
              .map((e) => ({ mac: e.mac.toLowerCase(), ...(e.vlan !== undefined ? { vlan: e.vlan } : {}), endpoint: this.ports.get(e.port)!.endpoint })),
          );
        } else {
          const r = must(
            `reading the MAC table of ${n.name} (ovs-appctl fdb/show ${bridge})`,
            await this.exec(["ovs-appctl", "--timeout=30", "fdb/show", bridge]),
          );
          const ofports = byOfport.get(bridge)!;
          this.view.macs.set(
            n.name,
            parseOvsFdb(r).flatMap((e) => {
              const end = this.ports.get(ofports.get(e.ofport) ?? "");
              return end ? [{ mac: e.mac, vlan: e.vlan, endpoint: end.endpoint }] : [];
            }),
          );
        }
      }),
      8,
    );
  }

  /**
   * Makes sure the owners of these addresses are read: the nodes the document gives them first
   * (confirmed by the kernel), every host and router when one is still without an owner (an
   * address added by hand, a DHCP lease).
   */
  async owners(addresses: string[]): Promise<void> {
    const want = addresses.filter((a) => !addressOwners(this.view, a).length);
    if (!want.length) return;
    await this.hosts(
      this.lab.nodes
        .filter((n) => isHostLike(n) && Object.values(n.interfaces).some((i) => (i.addresses ?? []).some((c) => want.includes(bare(c)))))
        .map((n) => n.name),
    );
    if (want.some((a) => !addressOwners(this.view, a).length) && !this.allHostsRead()) await this.hosts();
  }
}

/** Switches a set of segments crossed (or the graph offered) whose MAC tables are not read yet. */
function unreadSwitches(g: Graph, k: KernelView, segments: TraceSegment[]): string[] {
  return [...new Set(segments.flatMap((s) => s.nodes.filter((n) => g.kind.get(n) === "switch" && !k.macs.has(n))))];
}

/** `ip route get` in a node: its route to the address, or why the kernel refuses one. */
async function routeGet(lab: string, node: string, address: string, exec: TraceExec): Promise<NonNullable<StopFacts["route"]>> {
  const r = await exec(["ip", "-n", nsName(lab, node), "-j", "route", "get", address]);
  if (r.code === 0) return parseRouteGet(r.stdout);
  const refused = routeGetRefusal(r.stderr);
  if (refused) return { refused };
  throw new TraceError(`ip -n ${nsName(lab, node)} route get ${address} failed (exit ${r.code}): ${r.stderr.trim() || "no message"}`);
}

/** The sysctl that says whether a node forwards the target's family. */
export const forwardingKey = (target: string) => (target.includes(":") ? "net.ipv6.conf.all.forwarding" : "net.ipv4.ip_forward");

async function forwards(lab: string, node: string, target: string, exec: TraceExec): Promise<boolean> {
  const key = forwardingKey(target);
  const out = must(`reading ${key} in ${node}`, await exec(["ip", "netns", "exec", nsName(lab, node), "sysctl", "-n", key]));
  return out.trim() === "1";
}

/** What the trace needs of the kernel around its stop (the last node's route, interface, neighbour, and whether the next node forwards). */
async function stopFacts(lab: Lab, reader: KernelReader, base: StopFacts, exec: TraceExec): Promise<StopFacts> {
  const k = reader.view;
  const node = base.mark?.node ?? base.last;
  if (!k.interfaces.some((i) => i.node === node)) return base; // outside the lab (a NAT gateway's address): nothing to read
  const route = await routeGet(lab.name, node, base.target, exec);
  const facts: StopFacts = { ...base, route };
  if ("refused" in route) return facts;
  const out = k.interfaces.find((i) => i.node === node && i.interface === route.dev);
  if (out) facts.outInterface = out;
  const hopAddress = route.gateway ?? base.target;
  const neighbour = k.neighbours.get(node)?.find((n) => n.address === hopAddress && n.dev === route.dev);
  if (neighbour) facts.neighbour = neighbour;
  await reader.owners([hopAddress]);
  const g = labGraph(lab);
  const owner = addressOwners(k, hopAddress).find((o) => sameSegment(g, `${node}:${route.dev}`, `${o.node}:${o.interface}`));
  if (owner) {
    facts.next = { node: owner.node, interface: owner.interface };
    if (!base.mark && owner.node !== base.targetNode) {
      facts.nextForwards = await forwards(lab.name, owner.node, base.target, exec);
      if (facts.nextForwards) facts.nextRoute = await routeGet(lab.name, owner.node, base.target, exec);
    }
  }
  return facts;
}

/** Hops without any answer before the last hop that answered. */
export function holes(hops: { probes: TraceProbe[] }[]): number {
  const answered = (h: { probes: TraceProbe[] }) => h.probes.some((p) => p.address !== null);
  let last = -1;
  hops.forEach((h, i) => {
    if (answered(h)) last = i;
  });
  return last < 0 ? 0 : hops.slice(0, last).filter((h) => !answered(h)).length;
}

/** ARP states in which the source knows its next hop's MAC (or needs none). */
const RESOLVED = new Set(["REACHABLE", "STALE", "DELAY", "PROBE", "PERMANENT", "NOARP"]);

/** A trace silent after `from` deserves a second run when `from` had not resolved its next hop towards the target, or that next hop is the target. */
async function worthAnotherLook(reader: KernelReader, lab: string, from: string, target: string, exec: TraceExec): Promise<boolean> {
  const route = await routeGet(lab, from, target, exec);
  if ("refused" in route) return false;
  const hop = route.gateway ?? target;
  if (hop === target) return true;
  await reader.hosts([from]);
  const entry = reader.view.neighbours.get(from)?.find((n) => n.address === hop);
  return !entry || !RESOLVED.has(entry.state);
}

export interface TraceRequest {
  lab: Lab;
  tag: string;
  from: string;
  /** a node, node:interface, or an address */
  to: string;
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const IPV6 = /^[0-9a-f:]+:[0-9a-f:.]*$/i;

/**
 * Traces from a host or router of a running lab to another node or an address: traceroute in
 * the source's namespace, then the kernel read to name the hops, expand them across the
 * switches and explain a stop. `exec` runs a command (tests may record it; every command is
 * also what the lab's command log shows).
 */
export async function traceLab(
  req: TraceRequest,
  options: TraceOptions = {},
  exec: TraceExec = (argv) => run(argv, { timeoutMs: 60_000 }),
): Promise<TraceResult> {
  const started = Date.now();
  const { lab, from } = req;
  const src = lab.nodes.find((n) => n.name === from);
  if (!src) throw new TraceError(`lab ${lab.name} has no node named ${from}`, "from");
  if (!isHostLike(src)) throw new TraceError(`${from} is a ${src.kind}: only a host or a router sends packets (it has a namespace)`, "from");
  if (src.state === "stopped") throw new TraceError(`${from} is stopped: start it to trace from it`, "from");
  const reader = new KernelReader(lab, req.tag, exec);
  let target: string;
  let targetNode: string | undefined;
  if (IPV4.test(req.to) || IPV6.test(req.to)) {
    target = req.to;
  } else {
    const [node, iface] = req.to.split(":") as [string, string | undefined];
    const n = lab.nodes.find((x) => x.name === node);
    if (!n) throw new TraceError(`to: lab ${lab.name} has no node named ${node} (give a node, node:interface, or an address)`, "to");
    if (!isHostLike(n)) throw new TraceError(`to: ${node} is a ${n.kind}: it has no address of its own to trace to`, "to");
    if (n.state === "stopped") throw new TraceError(`to: ${node} is stopped: it has no address now`, "to");
    await reader.hosts([node]);
    const a = targetAddress(reader.view, node, iface);
    if (!a) throw new TraceError(`to: ${req.to} has no address in the kernel now (nothing to trace to)`, "to");
    target = a;
    targetNode = node;
  }
  if (targetNode === from) throw new TraceError(`to: ${req.to} is ${from} itself: trace to another node`, "to");
  const argv = tracerouteArgv(target, options);
  const full = ["ip", "netns", "exec", nsName(lab.name, from), ...argv];
  const r = await exec(full);
  const sendFailure = r.code !== 0 ? tracerouteSendFailure(r.stderr) : null;
  if (r.code !== 0 && !sendFailure)
    throw new TraceError(`${argv.join(" ")} in ${from} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n")[0] || "no message"}`);
  let parsed = sendFailure ? { hops: [] } : parseTraceroute(r.stdout);
  let output = `${r.stdout}${r.stderr}`;
  // traceroute once more (warm now); its run is kept, after a note saying why, when it does better
  const traceAgain = async (why: string, better: (second: typeof parsed.hops) => boolean): Promise<void> => {
    const again = await exec(full);
    if (again.code !== 0) return;
    const second = parseTraceroute(again.stdout);
    if (!better(second.hops)) return;
    parsed = second;
    output = `${output}(${why}: traced again)\n${again.stdout}${again.stderr}`;
  };
  // silence after the last answer (or from the start), without an ICMP error: on a cold lab, the
  // last node's ARP for its next hop (or a busy userspace switch) can hold the probes past their
  // wait. When that node had not resolved its next hop, or the next hop is the target itself,
  // the trace runs once more (warm now), and the second run is kept when it got further. A router
  // that resolved its next hop but does not forward stays silent at once: that is the result,
  // without a second run.
  const lastAnswer = [...parsed.hops].reverse().flatMap((h) => h.probes.flatMap((p) => (p.address ? [p.address] : [])))[0];
  const marked = parsed.hops.some((h) => h.probes.some((p) => p.mark));
  if (!sendFailure && !marked && parsed.hops.length && lastAnswer !== target) {
    if (lastAnswer) await reader.owners([lastAnswer]);
    const last = lastAnswer ? addressOwners(reader.view, lastAnswer)[0]?.node : from;
    if (last && last !== targetNode && (await worthAnotherLook(reader, lab.name, last, target, exec))) {
      const reach = (hops: typeof parsed.hops) => hops.filter((h) => h.probes.some((p) => p.address !== null)).length;
      await traceAgain(
        `no answer after ${last}, which had not resolved its next hop`,
        (second) => reach(second) > reach(parsed.hops) || second.some((h) => h.probes.some((p) => p.address === target)),
      );
    }
  }
  // silent hops before an answer: on a cold lab, a router's ARP for the next hop holds the first
  // probes past their wait (later ones, sent once it resolved, answer). Once more, now warm; the
  // run with fewer holes is kept (a router that never answers keeps its hole either way)
  if (!sendFailure && holes(parsed.hops) > 0) await traceAgain("hops without an answer before the last one", (second) => holes(second) < holes(parsed.hops));
  // after the probes (the switches have learned the MACs they carried): the source, the target
  // and whoever answered, then the switches on their way (by the graph first, then by the MAC
  // tables read, where they lead elsewhere)
  const g = labGraph(lab);
  // at once: the nodes and switches of the lab's shortest way to the target (the likely path:
  // what the kernel says of them is read, the document only guesses which to read)
  const docTarget =
    targetNode ?? lab.nodes.find((n) => isHostLike(n) && Object.values(n.interfaces).some((i) => (i.addresses ?? []).some((c) => bare(c) === target)))?.name;
  const likely = docTarget ? (shortestInLab(g, from, docTarget)?.nodes ?? []) : [];
  await Promise.all([
    reader.hosts([from, ...(targetNode ? [targetNode] : []), ...likely.filter((n) => g.kind.get(n) === "hostlike")]),
    reader.switches(likely.filter((n) => g.kind.get(n) === "switch")),
  ]);
  const answered = parsed.hops.flatMap((h) => h.probes.flatMap((p) => (p.address ? [p.address] : [])));
  await reader.owners([...new Set([...answered, ...(targetNode ? [] : [target])])]);
  // an address given: the node that has it (on the source's segment when several have it)
  const addressGiven = targetNode === undefined;
  if (addressGiven) {
    const owners = addressOwners(reader.view, target);
    const mine = reader.view.interfaces.filter((i) => i.node === from);
    targetNode = (owners.find((o) => mine.some((i) => sameSegment(g, `${from}:${i.interface}`, `${o.node}:${o.interface}`))) ?? owners[0])?.node;
  }
  const modelNow = () => traceModel({ lab, from, target, ...(targetNode ? { targetNode } : {}), hops: parsed.hops, kernel: reader.view });
  let model = modelNow();
  // ...or the one that answered as the target
  const answeredAs = model.hops.find((h) => h.address === target)?.node;
  if (addressGiven && answeredAs && answeredAs !== targetNode) {
    targetNode = answeredAs;
    model = modelNow();
  }
  for (let round = 0; round < 4; round++) {
    const unread = unreadSwitches(g, reader.view, model.segments);
    if (!unread.length) break;
    await reader.switches(unread);
    model = modelNow();
  }
  const result: TraceResult = {
    lab: lab.name,
    from,
    to: req.to,
    target,
    ...(targetNode ? { targetNode } : {}),
    reached: model.reached,
    hops: model.hops,
    segments: model.segments,
    command: full.join(" "),
    output,
    durationMs: 0,
  };
  if (!model.reached) {
    const markHop = model.hops.find((h) => h.mark);
    const base: StopFacts = {
      from,
      target,
      ...(targetNode ? { targetNode } : {}),
      last: model.last,
      ...(markHop ? { mark: { node: markHop.node ?? markHop.address!, mark: markHop.mark! } } : {}),
      ...(sendFailure ? { sendFailure } : {}),
    };
    const facts = await stopFacts(lab, reader, base, exec);
    result.stop = diagnose(facts);
    // the segment the packet should have crossed next, drawn as expected
    if (facts.next && !facts.mark) {
      const expected = () => segment(g, reader.view, model.last, facts.next!.node, 0, null, facts.next!.interface);
      let s = expected();
      for (let round = 0; s && round < 4; round++) {
        const unread = unreadSwitches(g, reader.view, [s]);
        if (!unread.length) break;
        await reader.switches(unread);
        s = expected();
      }
      if (s) result.segments.push({ ...s, expected: true });
    }
  }
  result.durationMs = Date.now() - started;
  return result;
}
