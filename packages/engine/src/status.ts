// Status: how each node of a lab is doing, from what the kernel says against what the
// document asks for.
//
// Knows: a node is up when everything the document gives it exists as asked, down when none of
// it exists, and degraded in between (with what is missing); that an OVS port whose kernel
// device is not the one Open vSwitch has open (the reader's `stale`) does not count as there,
// for its switch nor for the host at the other end of its link; and what to show per interface
// (kernel state, MAC, MTU, every address including those leased by DHCP, the far end).
// Leaves to others: reading the kernel (actual.ts).

import { hostIfNames, isHostLike, nsName, parseNsName, sameResource, type Lab, type Resource } from "@topolab/topology";
import type { LabActual } from "./actual";
import type { ServiceInfo } from "./services";
import type { LabMeta } from "./state";

export type NodeState = "up" | "down" | "degraded";

export interface InterfaceStatus {
  /** the name a person uses (eth0) */
  name: string;
  /** the kernel's name when it differs (OVS internal ports) */
  kernelName?: string;
  state: "up" | "down" | "missing";
  mac?: string;
  mtu?: number;
  addresses: string[];
  /** the other end of its link, "s1:eth1" */
  peer?: string;
  /** the DHCP lease it holds, when it takes its address by DHCP */
  lease?: DhcpLease;
}

export interface DhcpLease {
  address: string;
  /** the DHCP server's identifier (its address) */
  server?: string;
  expires?: string;
}

export interface ServiceStatus {
  name: string;
  command: string[];
  state: "running" | "exited" | "stopped";
  pid?: number;
  exitCode?: number | null;
}

export interface NodeStatus {
  name: string;
  kind: string;
  type?: string;
  state: NodeState;
  namespace?: string;
  interfaces: InterfaceStatus[];
  services: ServiceStatus[];
  /** what is missing or different, in words */
  problems: string[];
}

export interface LabStatus {
  name: string;
  tag?: string;
  running: boolean;
  /** orphan: objects in the kernel with no document in the state directory; foreign: objects another state directory made (owner.ts) */
  state: NodeState | "orphan" | "foreign";
  /** who made the kernel objects, when another state directory did */
  owner?: { id: string; stateDir?: string };
  updatedAt?: string;
  source?: string;
  nodes: NodeStatus[];
}

/** The node a resource belongs to. */
function nodeOf(r: Resource, switchOfBridge: Map<string, string>, rootOwner: Map<string, string>): string | null {
  switch (r.kind) {
    case "netns":
    case "nat":
    case "proc":
      return r.node;
    case "ovsBridge":
    case "lbridge":
      return r.node;
    case "ovsPort":
    case "bport":
      return switchOfBridge.get(r.bridge) ?? null;
    case "veth":
      return null;
    case "iface":
    case "qdisc":
      return r.ns ? (parseNsName(r.ns)?.node ?? null) : (rootOwner.get(r.kind === "iface" ? r.name : r.dev) ?? null);
    case "addr":
      return r.ns ? (parseNsName(r.ns)?.node ?? null) : (rootOwner.get(r.dev) ?? null);
    default:
      return parseNsName(r.ns)?.node ?? null;
  }
}

/** The last lease in a dhclient lease file. */
export function parseDhclientLease(text: string): DhcpLease | null {
  const blocks = text.split(/^lease \{/m).slice(1);
  const last = blocks.at(-1);
  if (!last) return null;
  const address = /fixed-address ([0-9.]+);/.exec(last)?.[1];
  if (!address) return null;
  const server = /option dhcp-server-identifier ([0-9.]+);/.exec(last)?.[1];
  const expire = /expire \d+ (\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d);/.exec(last)?.[1];
  return { address, ...(server ? { server } : {}), ...(expire ? { expires: `${expire.replace(/\//g, "-").replace(" ", "T")}Z` } : {}) };
}

export interface StatusExtras {
  services: ServiceInfo[];
  /** "node/ifname" -> lease */
  leases: Map<string, DhcpLease>;
}

export function buildStatus(
  name: string,
  meta: LabMeta | null,
  doc: Lab | null,
  desired: Resource[],
  actual: LabActual,
  extras: StatusExtras = { services: [], leases: new Map() },
): LabStatus {
  const A = new Map(actual.resources.map((r) => [r.key, r]));
  if (!doc) {
    const nodes = new Set(actual.resources.map((r) => (r.kind === "netns" ? r.node : null)).filter((n): n is string => !!n));
    return {
      name,
      running: false,
      state: "orphan",
      nodes: [...nodes].map((n) => ({
        name: n,
        kind: "unknown",
        state: "degraded",
        interfaces: [],
        services: [],
        problems: ["no document: run topolab down or clean"],
      })),
    };
  }
  const switchOfBridge = new Map<string, string>();
  const rootOwner = new Map<string, string>();
  for (const r of desired) {
    if (r.kind === "ovsBridge" || r.kind === "lbridge") switchOfBridge.set(r.name, r.node);
    if (r.kind === "nat") rootOwner.set(r.iface, r.node);
  }
  const perNode = new Map<string, { want: number; have: number; problems: string[] }>();
  const entryOf = (node: string) => perNode.get(node) ?? perNode.set(node, { want: 0, have: 0, problems: [] }).get(node)!;
  // the far end of each root-side veth end: the node whose traffic a stale port stops
  const farEnd = new Map<string, string>();
  for (const d of desired) {
    if (d.kind !== "veth") continue;
    const root = d.ends.find((e) => e.ns === null);
    const other = d.ends.find((e) => e.ns !== null);
    const node = other?.ns ? parseNsName(other.ns)?.node : undefined;
    if (root && other && node) farEnd.set(root.name, `${node}:${other.name}`);
  }
  for (const d of desired) {
    const node = nodeOf(d, switchOfBridge, rootOwner);
    if (!node) continue;
    const entry = entryOf(node);
    entry.want++;
    const a = A.get(d.key);
    const stale = a ? actual.stale?.get(d.key) : undefined;
    if (stale) {
      entry.problems.push(`stale: ${describeShort(d)}: ${stale}; topolab up makes it again`);
      const port = d.kind === "ovsPort" ? d.name : "";
      const far = farEnd.get(port);
      if (far) {
        const host = entryOf(far.slice(0, far.indexOf(":")));
        host.want++;
        host.problems.push(`stale: OVS port ${port} of its ${far.slice(far.indexOf(":") + 1)} forwards nothing; topolab up makes it again`);
      }
    } else if (a && sameResource(d, a)) entry.have++;
    else if (d.kind !== "file") entry.problems.push(`${a ? "differs" : "missing"}: ${describeShort(d)}`);
    else entry.have++; // the hosts file is a convenience, not the node's state
  }
  const kernelNames = hostIfNames(doc, meta?.tag ?? "");
  const peers = new Map<string, string>();
  for (const l of doc.links) {
    const [a, b] = l.endpoints;
    peers.set(`${a.node}:${a.interface}`, `${b.node}:${b.interface}`);
    peers.set(`${b.node}:${b.interface}`, `${a.node}:${a.interface}`);
  }
  const nodes: NodeStatus[] = doc.nodes.map((n) => {
    const e = perNode.get(n.name) ?? { want: 0, have: 0, problems: [] };
    const state: NodeState = e.have === e.want ? "up" : e.have === 0 ? "down" : "degraded";
    const services: ServiceStatus[] = extras.services
      .filter((x) => x.node === n.name)
      .map((x) => ({
        name: x.name,
        command: x.argv,
        state: x.status.state,
        ...(x.status.state === "running" ? { pid: x.status.pid } : {}),
        ...(x.status.state === "exited" ? { exitCode: x.status.code } : {}),
      }));
    const out: NodeStatus = { name: n.name, kind: n.kind, state, interfaces: [], services, problems: e.problems };
    if (n.kind === "nat") {
      const rootByName = new Map<
        string,
        { flags: string[]; address?: string; mtu: number; addr_info?: { local: string; prefixlen: number; scope?: string }[] }
      >();
      for (const l of actual.rootLinks) rootByName.set(l.ifname, l);
      const nat = desired.find((r) => r.kind === "nat" && r.node === n.name) as { iface: string } | undefined;
      for (const l of doc.links) {
        for (const end of l.endpoints) {
          if (end.node !== n.name) continue;
          const link = nat ? rootByName.get(nat.iface) : undefined;
          out.interfaces.push({
            name: end.interface,
            ...(nat ? { kernelName: nat.iface } : {}),
            state: !link ? "missing" : link.flags.includes("UP") ? "up" : "down",
            ...(link?.address ? { mac: link.address } : {}),
            ...(link ? { mtu: link.mtu } : {}),
            addresses: (link?.addr_info ?? []).filter((a) => a.scope !== "link").map((a) => `${a.local}/${a.prefixlen}`),
            peer: peers.get(`${n.name}:${end.interface}`)!,
          });
        }
      }
      return out;
    }
    if (!isHostLike(n)) {
      out.type = n.type;
      for (const l of doc.links) {
        for (const end of l.endpoints) {
          if (end.node === n.name)
            out.interfaces.push({
              name: end.interface,
              state: state === "down" ? "missing" : "up",
              addresses: [],
              peer: peers.get(`${n.name}:${end.interface}`)!,
            });
        }
      }
      return out;
    }
    const ns = nsName(doc.name, n.name);
    out.namespace = ns;
    const info = actual.ns.get(ns);
    const names = kernelNames.get(n.name) ?? new Map<string, string>();
    const seen = new Set<string>();
    for (const [ifname, kernel] of names) {
      seen.add(kernel);
      const link = info?.links.find((l) => l.ifname === kernel);
      // a lease file outlives the address: the lease is shown only while the kernel holds it
      const lease = extras.leases.get(`${n.name}/${ifname}`);
      const held = lease && (link?.addr_info ?? []).some((a) => a.local === lease.address);
      out.interfaces.push({
        name: ifname,
        ...(kernel !== ifname ? { kernelName: kernel } : {}),
        state: !link ? "missing" : link.flags.includes("UP") ? "up" : "down",
        ...(link?.address ? { mac: link.address } : {}),
        ...(link ? { mtu: link.mtu } : {}),
        addresses: (link?.addr_info ?? []).filter((a) => a.scope !== "link").map((a) => `${a.local}/${a.prefixlen}`),
        peer: peers.get(`${n.name}:${ifname}`)!,
        ...(held ? { lease } : {}),
      });
    }
    // interfaces made by hand in a shell, and extra loopback addresses, are shown too
    for (const link of info?.links ?? []) {
      if (seen.has(link.ifname)) continue;
      const addrs = (link.addr_info ?? []).filter((a) => a.scope !== "link" && a.scope !== "host").map((a) => `${a.local}/${a.prefixlen}`);
      if (link.ifname === "lo" && addrs.length === 0) continue;
      out.interfaces.push({
        name: link.ifname,
        state: link.flags.includes("UP") ? "up" : "down",
        mtu: link.mtu,
        ...(link.address ? { mac: link.address } : {}),
        addresses: addrs,
      });
    }
    return out;
  });
  const states = new Set(nodes.map((n) => n.state));
  const state: NodeState = states.size === 0 ? "up" : states.size === 1 ? [...states][0]! : "degraded";
  return {
    name,
    ...(meta ? { tag: meta.tag, updatedAt: meta.updatedAt, running: meta.running } : { running: false }),
    ...(meta?.source ? { source: meta.source } : {}),
    state: nodes.length === 0 ? (meta?.running ? "up" : "down") : state,
    nodes,
  };
}

function describeShort(r: Resource): string {
  switch (r.kind) {
    case "netns":
      return `namespace ${r.ns}`;
    case "iface":
      return `interface ${r.name}`;
    case "addr":
      return `address ${r.cidr} on ${r.dev}`;
    case "route":
      return `route to ${r.to}`;
    case "ovsBridge":
      return `OVS bridge ${r.name}`;
    case "ovsPort":
      return `OVS port ${r.name}`;
    case "lbridge":
      return `Linux bridge ${r.name}`;
    case "bport":
      return `bridge port ${r.name}`;
    case "qdisc":
      return `shaping on ${r.dev}`;
    case "sysctl":
      return "forwarding";
    default:
      return r.key;
  }
}
