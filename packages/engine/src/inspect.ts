// Inspecting one node of a running lab, from the kernel (never from the document): for a host
// or router its interfaces (state, carrier, MAC, MTU, addresses, counters), routes with their
// proto, neighbours, listening sockets and processes; for an OVS switch its ports (VLAN mode,
// tag, trunks, OpenFlow port) and MAC table; for a Linux bridge its ports and forwarding
// database. Switch ports and MAC entries are named as the lab names them (s1:eth1, and the
// host interface at the other end of the link, h1:eth0).
//
// Knows: which commands read each of these (one `ip -batch` per namespace, ss, ovs-vsctl,
// ovs-appctl, bridge, /proc) and the lab's kernel names (realize.ts). A read that fails is an
// InspectError that says what failed, never an empty answer.
// Leaves to others: parsing (parse/*), live updates (monitor.ts), comparing with the document
// (drift.ts). The views' shapes are also the socket contract's (protocol inspect.ts, zod): the
// server checks at compile time that NodeInspect is InspectSchema's type, so change both together.

import { readFile } from "node:fs/promises";
import { hostIfNames, isHostLike, nsName, portIfName, switchIfName, type Lab, type LabNode } from "@topolab/topology";
import { run, type RunResult } from "./exec";
import {
  parseAddresses,
  parseBridgeFdb,
  parseLinks,
  parseNeighbours,
  parseOvsBridgePorts,
  parseOvsFdb,
  parseOvsPortRows,
  parseRoutes,
  parseSockets,
  type AddressInfo,
  type BridgeFdbEntry,
  type LinkCounters,
  type NeighbourInfo,
  type OvsPortInfo,
  type RouteInfo,
  type SocketInfo,
} from "./parse/index";
import { pidsInNetns } from "./processes";

export class InspectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InspectError";
  }
}

export interface InterfaceView {
  /** the kernel name */
  name: string;
  /** the lab's name for it when it differs (internal ports) */
  interface?: string;
  kind: string;
  adminUp: boolean;
  carrier: boolean;
  operstate: string;
  mac: string;
  mtu: number;
  addresses: AddressInfo[];
  counters: LinkCounters | null;
  /** "s1:eth1": the other end of its link, from the document */
  peer?: string;
}

export interface ProcessView {
  pid: number;
  name: string;
  command: string;
}

export interface HostInspect {
  kind: "host" | "router";
  lab: string;
  node: string;
  ns: string;
  interfaces: InterfaceView[];
  routes: RouteInfo[];
  neighbours: NeighbourInfo[];
  sockets: SocketInfo[];
  processes: ProcessView[];
}

export interface SwitchPortView extends OvsPortInfo {
  /** the lab's endpoint of this port, "s1:eth1" */
  endpoint?: string;
  /** the other end of its link, "h1:eth0" */
  peer?: string;
}

export interface MacEntryView {
  mac: string;
  vlan: number;
  /** the kernel port name (or LOCAL) */
  port: string;
  ofport: number;
  /** seconds; null for a static entry */
  age: number | null;
  /** "s1:eth1" */
  endpoint?: string;
  /** "h1:eth0": the link's other end */
  peer?: string;
  /** the lab's node:interface whose MAC this is, when the lab has it */
  owner?: string;
}

export interface OvsInspect {
  kind: "ovs";
  lab: string;
  node: string;
  bridge: string;
  ports: SwitchPortView[];
  macs: MacEntryView[];
}

export interface BridgeInspect {
  kind: "bridge";
  lab: string;
  node: string;
  bridge: string;
  ports: (InterfaceView & { endpoint?: string })[];
  fdb: (BridgeFdbEntry & { endpoint?: string; peer?: string })[];
}

export type NodeInspect = HostInspect | OvsInspect | BridgeInspect;

function must(what: string, r: RunResult): string {
  if (r.code !== 0) throw new InspectError(`${what} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n")[0] || "no message"}`);
  return r.stdout;
}

/** Lines of a JSON-per-line `ip -batch` output, in order; an error naming the command when one is missing. */
function batchParts(what: string, text: string, n: number): string[] {
  const parts = text.split("\n").filter((l) => l.trim());
  if (parts.length !== n) throw new InspectError(`${what}: expected ${n} answers, got ${parts.length}`);
  return parts;
}

/** Kernel name of a switch end -> the lab endpoint and the other end of its link. */
export function switchPortNames(lab: Lab, tag: string): Map<string, { endpoint: string; peer: string }> {
  const out = new Map<string, { endpoint: string; peer: string }>();
  const byName = new Map(lab.nodes.map((n) => [n.name, n]));
  for (const link of lab.links) {
    link.endpoints.forEach((e, i) => {
      const node = byName.get(e.node);
      const other = link.endpoints[1 - i]!;
      const peer = `${other.node}:${other.interface}`;
      if (node?.kind === "switch") out.set(portIfName(tag, e.node, e.interface), { endpoint: `${e.node}:${e.interface}`, peer });
      // an internal port carries the host's name
      if (link.internal && node && isHostLike(node))
        out.set(portIfName(tag, e.node, e.interface), { endpoint: `${other.node}:${other.interface}`, peer: `${e.node}:${e.interface}` });
    });
  }
  return out;
}

function nodeOf(lab: Lab, node: string): LabNode {
  const n = lab.nodes.find((x) => x.name === node);
  if (!n) throw new InspectError(`lab ${lab.name} has no node ${node}`);
  return n;
}

/** Everything about one namespace's network, in two `ip` calls. */
export async function readNetns(ns: string): Promise<{ interfaces: InterfaceView[]; routes: RouteInfo[]; neighbours: NeighbourInfo[] }> {
  // one spawn: inside a batch, `route show` after `addr show` lists both families (told apart
  // by parseRoutes "mixed")
  const batch = await run(["ip", "-n", ns, "-j", "-s", "-d", "-batch", "-"], {
    input: "link show\naddr show\nroute show table all\nneigh show\n",
    timeoutMs: 10_000,
  });
  const [links, addrs, routes, neigh] = batchParts(
    `ip -n ${ns} -batch (link, addr, route, neigh)`,
    must(`reading namespace ${ns} (ip -n ${ns} -batch)`, batch),
    4,
  );
  const addrByIndex = new Map(parseAddresses(addrs!).map((a) => [a.ifindex, a.addresses]));
  const interfaces = parseLinks(links!).map((l) => ({
    name: l.name,
    kind: l.kind,
    adminUp: l.adminUp,
    carrier: l.carrier,
    operstate: l.operstate,
    mac: l.mac,
    mtu: l.mtu,
    addresses: addrByIndex.get(l.ifindex) ?? [],
    counters: l.counters,
  }));
  return { interfaces, routes: parseRoutes(routes!, "mixed"), neighbours: parseNeighbours(neigh!) };
}

/** Processes living in a namespace, with their command lines. */
export async function netnsProcesses(ns: string): Promise<ProcessView[]> {
  const pids = (await pidsInNetns([ns])).get(ns);
  if (!pids) throw new InspectError(`namespace ${ns} does not exist`);
  const out: ProcessView[] = [];
  for (const pid of pids.sort((a, b) => a - b)) {
    try {
      const [comm, cmdline] = await Promise.all([readFile(`/proc/${pid}/comm`, "utf8"), readFile(`/proc/${pid}/cmdline`, "utf8")]);
      out.push({ pid, name: comm.trim(), command: cmdline.split("\0").filter(Boolean).join(" ") });
    } catch {
      /* ended while read */
    }
  }
  return out;
}

async function inspectHost(lab: Lab, tag: string, node: LabNode & { kind: "host" | "router" }): Promise<HostInspect> {
  const ns = nsName(lab.name, node.name);
  const [net, ss, processes] = await Promise.all([
    readNetns(ns),
    run(["ip", "netns", "exec", ns, "ss", "-H", "-ltnup"], { timeoutMs: 10_000 }),
    netnsProcesses(ns),
  ]);
  const sockets = parseSockets(must(`listing sockets in ${ns} (ss -H -ltnup)`, ss));
  const kernelToLab = new Map([...(hostIfNames(lab, tag).get(node.name) ?? new Map<string, string>())].map(([labName, kernel]) => [kernel, labName]));
  const peers = new Map<string, string>();
  for (const link of lab.links) {
    link.endpoints.forEach((e, i) => {
      const o = link.endpoints[1 - i]!;
      if (e.node === node.name) peers.set(e.interface, `${o.node}:${o.interface}`);
    });
  }
  const interfaces = net.interfaces.map((i) => {
    const labName = kernelToLab.get(i.name) ?? i.name;
    const peer = peers.get(labName);
    return { ...i, ...(labName !== i.name ? { interface: labName } : {}), ...(peer ? { peer } : {}) };
  });
  return { kind: node.kind, lab: lab.name, node: node.name, ns, ...net, interfaces, sockets, processes };
}

const PORT_COLUMNS = "_uuid,name,tag,trunks,vlan_mode,interfaces";
const INTERFACE_COLUMNS = "_uuid,name,ofport,type,mac_in_use,statistics,link_state";

/**
 * readOvsPorts' first ovs-vsctl run: the bridges' rows (their ports' uuids) and their interfaces'
 * names; with `known` (what the last read of the same bridges found), those ports' and
 * interfaces' rows too, in the same run.
 */
export function ovsBridgePortsArgv(bridges: string[], known?: { ports: string[]; interfaces: string[] }): string[] {
  const argv = ["ovs-vsctl", "--timeout=30", "--format=json", "--", "--columns=_uuid,name,ports", "list", "Bridge", ...bridges];
  for (const b of bridges) argv.push("--", "list-ifaces", b);
  return known ? [...argv, ...ovsPortRowsArgv(known).slice(3)] : argv;
}

/** Its second: only the ports' and interfaces' rows the first named (one removed in between is left out, not an error). */
export function ovsPortRowsArgv(q: { ports: string[]; interfaces: string[] }): string[] {
  return [
    "ovs-vsctl",
    "--timeout=30",
    "--format=json",
    "--",
    "--if-exists",
    `--columns=${PORT_COLUMNS}`,
    "list",
    "Port",
    ...q.ports,
    "--",
    "--if-exists",
    `--columns=${INTERFACE_COLUMNS}`,
    "list",
    "Interface",
    ...q.interfaces,
  ];
}

/** What the last reads found (ports' uuids, interfaces' names) per set of bridges; the oldest forgotten past KNOWN_MAX. */
const known = new Map<string, { ports: string[]; interfaces: string[] }>();
const KNOWN_MAX = 256;
const sameSet = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join(" ") === [...b].sort().join(" ");

/**
 * The ports of OVS bridges, each with its bridge: the asked bridges' rows only, never every port
 * of the machine (all labs'). A Port row does not name its bridge, so the bridges are read with
 * their ports' uuids and interfaces' names, and then those rows: in the same ovs-vsctl run when
 * the last read of these bridges found the same ports (the run checks that they still are), in
 * a second run when not. `exec` runs the commands: a caller that logs its commands (trace)
 * passes its own.
 */
export async function readOvsPorts(
  bridges: string[],
  exec: (argv: string[]) => Promise<RunResult> = (argv) => run(argv, { timeoutMs: 35_000 }),
): Promise<OvsPortInfo[]> {
  if (!bridges.length) return []; // (`list Bridge` without a name would list them all)
  const what = bridges.join(", ");
  const key = bridges.join(" ");
  const last = known.get(key);
  const first = parseOvsBridgePorts(must(`reading the ports of ${what} (ovs-vsctl list Bridge, list-ifaces)`, await exec(ovsBridgePortsArgv(bridges, last))));
  known.delete(key);
  if (!first.ports.length) return [];
  known.set(key, { ports: first.ports, interfaces: first.interfaces });
  if (known.size > KNOWN_MAX) known.delete(known.keys().next().value!);
  if (last && sameSet(last.ports, first.ports) && sameSet(last.interfaces, first.interfaces)) return parseOvsPortRows(first.bridges, first.rows);
  const rows = must(`reading the ports of ${what} (ovs-vsctl list Port, list Interface)`, await exec(ovsPortRowsArgv(first)));
  return parseOvsPortRows(first.bridges, rows);
}

/** OVS ports (with VLANs, ofport, counters) and MAC table of one bridge. */
export async function readOvsBridge(bridge: string): Promise<{ ports: OvsPortInfo[]; fdb: ReturnType<typeof parseOvsFdb> }> {
  const [ports, fdb] = await Promise.all([readOvsPorts([bridge]), run(["ovs-appctl", "--timeout=10", "fdb/show", bridge], { timeoutMs: 15_000 })]);
  return { ports, fdb: parseOvsFdb(must(`reading the MAC table of ${bridge} (ovs-appctl fdb/show)`, fdb)) };
}

/** The lab's node:interface of each MAC address the kernel gives the lab's host interfaces. */
async function macOwners(lab: Lab, tag: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const names = hostIfNames(lab, tag);
  await Promise.all(
    lab.nodes.filter(isHostLike).map(async (n) => {
      const r = await run(["ip", "-n", nsName(lab.name, n.name), "-j", "link", "show"], { timeoutMs: 10_000 });
      if (r.code !== 0) return; // a stopped node: its MACs are simply not named
      const kernelToLab = new Map([...(names.get(n.name) ?? new Map<string, string>())].map(([l, k]) => [k, l]));
      for (const l of parseLinks(r.stdout)) if (l.name !== "lo") out.set(l.mac.toLowerCase(), `${n.name}:${kernelToLab.get(l.name) ?? l.name}`);
    }),
  );
  return out;
}

/**
 * An OVS bridge's ports and MAC table as the lab names them (s1:eth1, the link's other end),
 * from one readOvsBridge(): what the inspector shows and the live sampler sends.
 */
export async function readOvsViews(lab: Lab, tag: string, bridge: string): Promise<{ ports: SwitchPortView[]; macs: MacEntryView[] }> {
  const { ports, fdb } = await readOvsBridge(bridge);
  const names = switchPortNames(lab, tag);
  const byOfport = new Map(ports.filter((p) => p.ofport !== null).map((p) => [p.ofport!, p.name]));
  return {
    ports: ports.filter((p) => p.name !== bridge).map((p) => ({ ...p, ...names.get(p.name) })),
    macs: fdb.map((e) => {
      const port = e.ofport === 65534 ? "LOCAL" : (byOfport.get(e.ofport) ?? String(e.ofport));
      return { mac: e.mac, vlan: e.vlan, port, ofport: e.ofport, age: e.age, ...names.get(port) };
    }),
  };
}

async function inspectOvs(lab: Lab, tag: string, node: LabNode): Promise<OvsInspect> {
  const bridge = switchIfName(tag, node.name);
  const [{ ports, macs }, owners] = await Promise.all([readOvsViews(lab, tag, bridge), macOwners(lab, tag)]);
  return {
    kind: "ovs",
    lab: lab.name,
    node: node.name,
    bridge,
    ports,
    macs: macs.map((m) => {
      const owner = owners.get(m.mac);
      return owner ? { ...m, owner } : m;
    }),
  };
}

async function inspectBridge(lab: Lab, tag: string, node: LabNode): Promise<BridgeInspect> {
  const bridge = switchIfName(tag, node.name);
  const [links, fdb] = await Promise.all([
    run(["ip", "-j", "-s", "-d", "link", "show", "master", bridge], { timeoutMs: 10_000 }),
    run(["bridge", "-j", "fdb", "show", "br", bridge], { timeoutMs: 10_000 }),
  ]);
  const names = switchPortNames(lab, tag);
  const ports = parseLinks(must(`listing the ports of bridge ${bridge}`, links)).map((l) => ({
    name: l.name,
    kind: l.kind,
    adminUp: l.adminUp,
    carrier: l.carrier,
    operstate: l.operstate,
    mac: l.mac,
    mtu: l.mtu,
    addresses: [],
    counters: l.counters,
    ...names.get(l.name),
  }));
  const entries = parseBridgeFdb(must(`reading the forwarding database of ${bridge}`, fdb))
    .filter((e) => e.learned || e.state === "permanent")
    .map((e) => ({ ...e, ...names.get(e.port) }));
  return { kind: "bridge", lab: lab.name, node: node.name, bridge, ports, fdb: entries };
}

/** One node of a running lab, read from the kernel. `tag` is the lab's tag (StateStore meta). */
export async function inspectNode(lab: Lab, tag: string, nodeName: string): Promise<NodeInspect> {
  const node = nodeOf(lab, nodeName);
  if (isHostLike(node)) return inspectHost(lab, tag, node);
  if (node.kind === "switch") return node.type === "ovs" ? inspectOvs(lab, tag, node) : inspectBridge(lab, tag, node);
  throw new InspectError(`${nodeName} is a NAT gateway: it has no namespace of its own (its address is in the root namespace)`);
}
