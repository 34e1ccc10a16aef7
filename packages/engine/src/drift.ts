// Drift: where a running lab's kernel differs from its document, item by item, each marked
// "made by hand" (in the kernel, not in the document) or "missing" (in the document, not in
// the kernel): addresses, routes (those a person or topolab adds: proto static or boot, the
// main table), interfaces' administrative state, and link state (the root-side ends of links).
// And putting the kernel back: the hand-made addresses and routes removed, then the planner's
// difference applied (missing state made again).
//
// Knows: what the document asks for (realize.ts: the same resources the planner compares),
// what the kernel has (inspect's readNetns, the root namespace's links by alias), and which
// kernel state is nobody's business here (link-local and DHCP addresses, kernel routes, DHCP
// interfaces' routes). Leaves to others: turning "take it into the document" into edits (the
// server, with protocol changes), locking and publishing (the server's lab queue).

import { aliasLab, canonicalIp, hostIfNames, isHostLike, nsName, parseNsName, realize, type Lab, type Resource } from "@topolab/topology";
import { pool, run } from "./exec";
import { readNetns } from "./inspect";
import { parseLinks, type RouteInfo } from "./parse/index";

export type DriftOrigin = "hand" | "missing";

export type DriftItem = {
  /** stable for one state of the kernel: "address:h1:eth0:10.9.9.9/24" */
  id: string;
  node: string;
  origin: DriftOrigin;
  /** a sentence: "10.9.9.9/24 on eth0 was added by hand" */
  text: string;
} & (
  | { kind: "address"; interface: string; dev: string; cidr: string }
  | { kind: "route"; to: string; via?: string; dev?: string; metric?: number }
  | { kind: "interface"; interface: string; dev: string; up: boolean }
  /** a link's root-side end: `up` is what the kernel has */
  | { kind: "link"; link: string; dev: string; up: boolean }
);

const cidrOf = (c: string) => {
  const [ip, len] = c.split("/");
  return `${canonicalIp(ip!) ?? ip}/${len}`;
};

function routeKey(to: string, via?: string): string {
  return `${cidrOf(to)} via ${via ? (canonicalIp(via) ?? via) : "-"}`;
}

/** What drift needs of a namespace: readNetns's interfaces (with each address's scope and dynamic flag) and routes. */
export interface DriftNet {
  interfaces: { name: string; adminUp: boolean; addresses: { cidr: string; scope: string; dynamic: boolean }[] }[];
  routes: RouteInfo[];
}

/** What drift needs of a root-side link end: its kernel name and administrative state. */
export interface DriftPort {
  name: string;
  adminUp: boolean;
}

/**
 * The document's side of drift, worked out once per document (realize, names): what each
 * namespace should hold, and the links' root-side ends. Pure.
 */
export interface DriftPlan {
  lab: Lab;
  tag: string;
  byNs: Map<string, (Resource & { ns: string })[]>;
  rootEnds: Extract<Resource, { kind: "iface" }>[];
  names: Map<string, Map<string, string>>;
}

export function driftPlan(lab: Lab, tag: string): DriftPlan {
  const desired = realize(lab, { tag, ovsDatapath: "netdev" });
  const byNs = new Map<string, (Resource & { ns: string })[]>();
  const rootEnds: Extract<Resource, { kind: "iface" }>[] = [];
  for (const r of desired) {
    if ("ns" in r && typeof r.ns === "string") {
      const list = byNs.get(r.ns) ?? byNs.set(r.ns, []).get(r.ns)!;
      list.push(r as Resource & { ns: string });
    } else if (r.kind === "iface" && r.ns === null && r.alias && (aliasLab(r.alias)?.what ?? "").startsWith("link:")) rootEnds.push(r);
  }
  return { lab, tag, byNs, rootEnds, names: hostIfNames(lab, tag) };
}

/**
 * One host's or router's drift: its document side (plan) against its namespace as read (net).
 * Pure: the same inputs give the same items, sorted by id. A node the document does not have,
 * or that is not a host or router, has none.
 */
export function nodeDrift(plan: DriftPlan, nodeName: string, net: DriftNet): DriftItem[] {
  const { lab } = plan;
  const node = lab.nodes.find((n) => n.name === nodeName);
  if (!node || !isHostLike(node)) return [];
  const items: DriftItem[] = [];
  const ns = nsName(lab.name, node.name);
  const toLab = new Map([...(plan.names.get(node.name) ?? new Map<string, string>())].map(([l, k]) => [k, l]));
  const labName = (dev: string) => toLab.get(dev) ?? dev;
  const dhcpDevs = new Set(
    Object.entries(node.interfaces)
      .filter(([, c]) => c.dhcp)
      .map(([i]) => plan.names.get(node.name)?.get(i) ?? i),
  );
  const mine = plan.byNs.get(ns) ?? [];

  // addresses
  const wantAddr = new Map<string, { dev: string; cidr: string }>();
  for (const r of mine) if (r.kind === "addr") wantAddr.set(`${r.dev} ${cidrOf(r.cidr)}`, { dev: r.dev, cidr: cidrOf(r.cidr) });
  const haveAddr = new Set<string>();
  for (const i of net.interfaces) {
    if (i.name === "lo") continue;
    for (const a of i.addresses) {
      if (a.scope === "link" || a.scope === "host" || a.dynamic) continue;
      const cidr = cidrOf(a.cidr);
      haveAddr.add(`${i.name} ${cidr}`);
      if (!wantAddr.has(`${i.name} ${cidr}`)) {
        items.push({
          id: `address:${node.name}:${labName(i.name)}:${cidr}`,
          node: node.name,
          origin: "hand",
          kind: "address",
          interface: labName(i.name),
          dev: i.name,
          cidr,
          text: `${cidr} on ${labName(i.name)} was added by hand`,
        });
      }
    }
  }
  for (const [k, a] of wantAddr) {
    if (haveAddr.has(k)) continue;
    items.push({
      id: `address:${node.name}:${labName(a.dev)}:${a.cidr}`,
      node: node.name,
      origin: "missing",
      kind: "address",
      interface: labName(a.dev),
      dev: a.dev,
      cidr: a.cidr,
      text: `${a.cidr} on ${labName(a.dev)} is missing`,
    });
  }

  // routes: main table, unicast, the kinds people and topolab add
  const wantRoute = new Map<string, Extract<Resource, { kind: "route" }>>();
  for (const r of mine) if (r.kind === "route") wantRoute.set(routeKey(r.to, r.via), r);
  const ours = (r: RouteInfo) => r.table === "main" && r.type === "unicast" && (r.proto === "static" || r.proto === "boot") && !(r.dev && dhcpDevs.has(r.dev));
  const haveRoute = new Set<string>();
  for (const r of net.routes.filter(ours)) {
    const k = routeKey(r.to, r.via);
    haveRoute.add(k);
    if (wantRoute.has(k)) continue;
    const via = r.via ? ` via ${r.via}` : "";
    items.push({
      id: `route:${node.name}:${k}`,
      node: node.name,
      origin: "hand",
      kind: "route",
      to: cidrOf(r.to),
      ...(r.via ? { via: r.via } : {}),
      ...(r.dev ? { dev: r.dev } : {}),
      ...(r.metric !== undefined ? { metric: r.metric } : {}),
      text: `route to ${cidrOf(r.to)}${via} was added by hand`,
    });
  }
  for (const [k, r] of wantRoute) {
    if (haveRoute.has(k)) continue;
    items.push({
      id: `route:${node.name}:${k}`,
      node: node.name,
      origin: "missing",
      kind: "route",
      to: r.to,
      ...(r.via ? { via: r.via } : {}),
      ...(r.dev ? { dev: r.dev } : {}),
      text: `route to ${r.to}${r.via ? ` via ${r.via}` : ""} is missing`,
    });
  }

  // interfaces' administrative state
  for (const r of mine) {
    if (r.kind !== "iface" || r.name === "lo") continue;
    const have = net.interfaces.find((i) => i.name === r.name);
    if (!have || have.adminUp === r.up) continue;
    items.push({
      id: `interface:${node.name}:${labName(r.name)}`,
      node: node.name,
      origin: "hand",
      kind: "interface",
      interface: labName(r.name),
      dev: r.name,
      up: have.adminUp,
      text: r.up ? `${labName(r.name)} was taken down by hand` : `${labName(r.name)} is up, but the document has it down`,
    });
  }
  return items.sort(byId);
}

/** The links' drift: their root-side ends (by kernel name) against the document. Pure; sorted by id. */
export function linkDrift(plan: DriftPlan, ports: Iterable<DriftPort>): DriftItem[] {
  const { lab } = plan;
  const rootLinks = new Map([...ports].map((l) => [l.name, l]));
  const items: DriftItem[] = [];
  for (const r of plan.rootEnds) {
    const what = aliasLab(r.alias)?.what ?? "";
    const have = rootLinks.get(r.name);
    if (!have || have.adminUp === r.up) continue;
    const link = what.slice(5);
    const node =
      link
        .split("|")
        .map((e) => e.split(":")[0]!)
        .find((n) => {
          const x = lab.nodes.find((y) => y.name === n);
          return x !== undefined && !isHostLike(x);
        }) ?? link.split(":")[0]!;
    items.push({
      id: `link:${link}`,
      node,
      origin: "hand",
      kind: "link",
      link,
      dev: r.name,
      up: have.adminUp,
      text: r.up ? `link ${link} was taken down by hand (${r.name} is down)` : `link ${link} is up, but the document has it down`,
    });
  }
  return items.sort(byId);
}

const byId = (a: DriftItem, b: DriftItem) => a.id.localeCompare(b.id);

/**
 * A lab's drift kept up to date piece by piece (the server's, from its live watch): each node's
 * items worked out again only when that node's namespace was read anew, the links' when the
 * root-side ends were, everything (from the kept states, no kernel read) when the document
 * changed. Each call answers the nodes whose items changed. Pure: no I/O.
 */
export class DriftTracker {
  private plan: DriftPlan;
  private planKey: string;
  private nets = new Map<string, DriftNet | null>();
  private ports: DriftPort[] | null = null;
  private byNode = new Map<string, DriftItem[]>();
  private linkItems: DriftItem[] = [];
  private keys = new Map<string, string>();

  constructor(lab: Lab, tag: string) {
    this.plan = driftPlan(lab, tag);
    this.planKey = JSON.stringify(lab);
  }

  get lab(): Lab {
    return this.plan.lab;
  }

  /** A node's namespace as read now (null: it is gone, the node is stopped or removed). */
  setNode(node: string, net: DriftNet | null): string[] {
    this.nets.set(node, net);
    this.byNode.set(node, net ? nodeDrift(this.plan, node, net) : []);
    return this.changed([node]);
  }

  /** The lab's root-side link ends as read now. */
  setPorts(ports: DriftPort[]): string[] {
    this.ports = ports;
    const before = new Set(this.linkItems.map((i) => i.node));
    this.linkItems = linkDrift(this.plan, ports);
    return this.changed([...new Set([...before, ...this.linkItems.map((i) => i.node)])]);
  }

  /** The document changed: every node's items again, from the kept states. */
  setLab(lab: Lab): string[] {
    const key = JSON.stringify(lab);
    if (key === this.planKey) return [];
    this.plan = driftPlan(lab, this.plan.tag);
    this.planKey = key;
    const hosts = new Set(lab.nodes.filter(isHostLike).map((n) => n.name));
    const touched = new Set([...this.keys.keys()]);
    for (const node of [...this.nets.keys()]) {
      if (!hosts.has(node)) {
        this.nets.delete(node);
        this.byNode.delete(node);
        continue;
      }
      const net = this.nets.get(node)!;
      this.byNode.set(node, net ? nodeDrift(this.plan, node, net) : []);
      touched.add(node);
    }
    if (this.ports) {
      for (const i of this.linkItems) touched.add(i.node);
      this.linkItems = linkDrift(this.plan, this.ports);
      for (const i of this.linkItems) touched.add(i.node);
    }
    return this.changed([...touched]);
  }

  /** A node's items now (its namespace's and the links it carries the drift of), sorted by id. */
  itemsOf(node: string): DriftItem[] {
    return [...(this.byNode.get(node) ?? []), ...this.linkItems.filter((i) => i.node === node)].sort(byId);
  }

  /** Every item of the lab, sorted by id (as readDrift answers). */
  items(): DriftItem[] {
    return [...[...this.byNode.values()].flat(), ...this.linkItems].sort(byId);
  }

  /** Of `nodes`, those whose items differ from the last time they were answered. */
  private changed(nodes: string[]): string[] {
    const out: string[] = [];
    for (const node of nodes) {
      const items = this.itemsOf(node);
      const key = JSON.stringify(items);
      const before = this.keys.get(node) ?? "[]";
      if (items.length) this.keys.set(node, key);
      else this.keys.delete(node);
      if (key !== before) out.push(node);
    }
    return out;
  }
}

/** The lab's drift now, read from the kernel (every namespace, the root's links). `tag`: the lab's tag (StateStore meta). */
export async function readDrift(lab: Lab, tag: string): Promise<DriftItem[]> {
  const plan = driftPlan(lab, tag);
  const items: DriftItem[] = [];
  const rootRead = run(["ip", "-j", "link", "show"], { timeoutMs: 10_000 });
  // a few namespaces at a time: a 500-node lab's reads all at once each wait out their timeout on a busy machine
  await pool(
    lab.nodes.filter(isHostLike).map((node) => async () => {
      items.push(...nodeDrift(plan, node.name, await readNetns(nsName(lab.name, node.name))));
    }),
    8,
  );
  // links: their root-side ends
  const root = await rootRead;
  if (root.code !== 0) throw new Error(`reading the root namespace's links failed: ${root.stderr.trim()}`);
  items.push(...linkDrift(plan, parseLinks(root.stdout)));
  return items.sort(byId);
}

/** Removes what was made by hand (addresses, routes); the rest is the planner's (Engine.up). */
export async function removeHandMade(lab: Lab, items: DriftItem[]): Promise<void> {
  for (const item of items) {
    if (item.origin !== "hand") continue;
    const ns = nsName(lab.name, item.node);
    if (parseNsName(ns)?.lab !== lab.name) continue;
    let argv: string[] | null = null;
    if (item.kind === "address") argv = ["ip", "-n", ns, "addr", "del", item.cidr, "dev", item.dev];
    else if (item.kind === "route")
      argv = ["ip", "-n", ns, "route", "del", item.to, ...(item.via ? ["via", item.via] : []), ...(item.dev ? ["dev", item.dev] : [])];
    if (!argv) continue; // interface and link states: the planner puts them back
    const r = await run(argv, { timeoutMs: 10_000 });
    if (r.code !== 0 && !/cannot assign|no such process|not found|does not exist/i.test(r.stderr)) {
      throw new Error(`${argv.join(" ")} failed: ${r.stderr.trim()}`);
    }
  }
}
