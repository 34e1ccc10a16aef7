// Kernel resources: the flat, comparable form of a lab that the planner diffs.
//
// Knows: every kind of kernel object topolab manages (namespaces, veth pairs, OVS bridges and
// ports, Linux bridges, interface settings, addresses, routes, qdiscs, sysctls, /etc/netns
// files), the key that identifies each one, and what each depends on. The same types describe
// the desired state (realize.ts, from a Lab) and the actual state (the engine, from the kernel).
// Leaves to others: deciding what to change (plan.ts) and running commands (engine).

/** null is the root namespace. */
export type NsRef = string | null;

export interface End {
  ns: NsRef;
  name: string;
}

interface Base {
  key: string;
  /** keys whose removal removes this resource too (a namespace takes its interfaces with it) */
  deps: string[];
  /** keys whose re-creation requires this one to be applied again */
  after?: string[];
}

export interface NetnsRes extends Base {
  kind: "netns";
  ns: string;
  node: string;
}

export interface SysctlRes extends Base {
  kind: "sysctl";
  ns: string;
  /** sysctl name -> value, e.g. net.ipv4.ip_forward -> "1" */
  values: Record<string, string>;
}

export interface LinuxBridgeRes extends Base {
  kind: "lbridge";
  name: string;
  node: string;
  alias: string;
  stp: boolean;
  /** the bridge device takes no part in IPv6 (no link-local address, packets not taken up): see RealizeEnv.rootIpv6Off */
  ipv6Off?: boolean;
}

export interface VethRes extends Base {
  kind: "veth";
  /** the link's identity, e.g. "h1:eth0|s1:eth1" */
  link: string;
  alias: string;
  ends: [End, End];
}

export interface OvsBridgeRes extends Base {
  kind: "ovsBridge";
  lab: string;
  /** owner id of the state directory that made it (external_ids:topolab-owner) */
  owner?: string;
  name: string;
  node: string;
  datapath: string;
  stp: boolean;
}

export interface OvsPortRes extends Base {
  kind: "ovsPort";
  lab: string;
  /** owner id of the state directory that made it (external_ids:topolab-owner) */
  owner?: string;
  bridge: string;
  name: string;
  type: "system" | "internal" | "patch";
  peer?: string;
  tag?: number;
  trunks?: number[];
}

export interface IfaceRes extends Base {
  kind: "iface";
  ns: NsRef;
  name: string;
  /** the name a person uses for an interface whose kernel name was generated (internal ports) */
  altname?: string;
  alias?: string;
  /** undefined: leave as it is */
  mtu?: number;
  mac?: string;
  up: boolean;
  /** an OVS internal port, created in the root namespace and moved into `ns` */
  moveFromRoot?: boolean;
  /** turn tx checksum offload off (userspace OVS datapath without userspace TSO) */
  offloadOff?: boolean;
  /** a root-namespace switch port: no IPv6 on it (no link-local address, packets not taken up): see RealizeEnv.rootIpv6Off */
  ipv6Off?: boolean;
}

export interface BridgePortRes extends Base {
  kind: "bport";
  bridge: string;
  name: string;
}

export interface AddrRes extends Base {
  kind: "addr";
  /** null: the root namespace (a NAT gateway's address) */
  ns: NsRef;
  dev: string;
  /** canonical CIDR */
  cidr: string;
}

export interface RouteRes extends Base {
  kind: "route";
  ns: string;
  /** canonical prefix, 0.0.0.0/0 and ::/0 for defaults */
  to: string;
  via?: string;
  dev?: string;
  metric?: number;
}

export interface QdiscRes extends Base {
  kind: "qdisc";
  ns: NsRef;
  dev: string;
  /** bit/s */
  rate?: number;
  /** ms */
  delay?: number;
  jitter?: number;
  /** percent */
  loss?: number;
}

export interface FileRes extends Base {
  kind: "file";
  ns: string;
  path: string;
  content: string;
}

/** A program running inside a node, started and watched by topolab. */
export interface ProcRes extends Base {
  kind: "proc";
  ns: string;
  node: string;
  name: string;
  /** argv; "@RUN@" (the node's run directory) and "@DHCLIENT_SCRIPT@" are filled in at start */
  argv: string[];
  env?: Record<string, string>;
}

/** A NAT gateway's MASQUERADE and forwarding rules in the root namespace. */
export interface NatRes extends Base {
  kind: "nat";
  lab: string;
  node: string;
  backend: "nft" | "iptables";
  /** the gateway interface (root side of its link) */
  iface: string;
  /** the subnets let out, canonical network prefixes */
  subnets: string[];
}

/** Packet loss on a link: an nftables netdev ingress rule dropping `numgen random mod 100 < N`. */
export interface LossRes extends Base {
  kind: "loss";
  ns: string;
  /** the interface whose incoming packets are dropped */
  dev: string;
  /** percent */
  percent: number;
}

export type Resource =
  | LossRes
  | NetnsRes
  | SysctlRes
  | LinuxBridgeRes
  | VethRes
  | OvsBridgeRes
  | OvsPortRes
  | IfaceRes
  | BridgePortRes
  | AddrRes
  | RouteRes
  | QdiscRes
  | FileRes
  | ProcRes
  | NatRes;

export type ResourceKind = Resource["kind"];

/** Creation order; deletion runs the other way round. */
export const KIND_ORDER: ResourceKind[] = [
  "netns",
  "lbridge",
  "veth",
  "ovsBridge",
  "ovsPort",
  "iface",
  "bport",
  "addr",
  "route",
  "qdisc",
  "loss",
  "sysctl",
  "file",
  "nat",
  "proc",
];

const rootOr = (ns: NsRef) => ns ?? "root";

export const keys = {
  netns: (ns: string) => `netns:${ns}`,
  sysctl: (ns: string) => `sysctl:${ns}`,
  lbridge: (name: string) => `lbridge:${name}`,
  veth: (link: string) => `veth:${link}`,
  ovsBridge: (name: string) => `ovsBridge:${name}`,
  ovsPort: (name: string) => `ovsPort:${name}`,
  iface: (ns: NsRef, name: string) => `iface:${rootOr(ns)}/${name}`,
  bport: (name: string) => `bport:${name}`,
  addr: (ns: NsRef, dev: string, cidr: string) => `addr:${rootOr(ns)}/${dev}/${cidr}`,
  route: (ns: string, to: string) => `route:${ns}/${to}`,
  qdisc: (ns: NsRef, dev: string) => `qdisc:${rootOr(ns)}/${dev}`,
  loss: (ns: string, dev: string) => `loss:${ns}/${dev}`,
  file: (path: string) => `file:${path}`,
  proc: (ns: string, name: string) => `proc:${ns}/${name}`,
  nat: (lab: string, node: string) => `nat:${lab}/${node}`,
};

/** The nftables table of a lab's NAT gateway (names with dots are fine there). */
export function natTableName(lab: string, node: string): string {
  return `topolab.${lab}.${node}`;
}

/**
 * The nftables netdev table of a link's loss rule on `dev`: tl_loss_ and the name, each byte of
 * its UTF-8 (the kernel's interface names are bytes) other than a letter or digit as _xx.
 */
export function lossTableName(dev: string): string {
  let out = "tl_loss_";
  for (const byte of new TextEncoder().encode(dev)) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9]/.test(ch) ? ch : `_${byte.toString(16).padStart(2, "0")}`;
  }
  return out;
}

/** The device of a loss table (lossTableName's inverse), or null for another table. */
export function lossTableDev(table: string): string | null {
  if (!table.startsWith("tl_loss_")) return null;
  const bytes: number[] = [];
  for (const [, hex, ch] of table.slice(8).matchAll(/_([0-9a-f]{2})|([^_])/g)) bytes.push(hex !== undefined ? parseInt(hex, 16) : ch!.charCodeAt(0));
  return new TextDecoder().decode(Uint8Array.from(bytes));
}

/** The comment that marks a lab's iptables rules, for the machines without nft. */
export function natComment(lab: string, node: string): string {
  return `topolab:${lab}:nat:${node}`;
}

/** The directory `ip netns exec` binds files from, e.g. /etc/netns/<ns>/hosts. */
export function netnsEtcDir(ns: string): string {
  return `/etc/netns/${ns}`;
}

/** The identity of a link: its two endpoints, sorted. */
export function linkKey(a: { node: string; interface: string }, b: { node: string; interface: string }): string {
  const x = `${a.node}:${a.interface}`;
  const y = `${b.node}:${b.interface}`;
  return x < y ? `${x}|${y}` : `${y}|${x}`;
}
