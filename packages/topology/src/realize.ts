// Realization: a canonical Lab becomes the set of kernel resources that should exist.
//
// Knows: how each node and link maps onto namespaces, veth pairs, OVS bridges and ports
// (patch ports between two OVS switches, except where switchlinks.ts breaks a long run of them
// with a veth pair; internal ports moved into hosts), Linux bridges,
// interface settings, addresses, routes, qdiscs, forwarding sysctls and /etc/netns/<ns>/hosts;
// services (dnsmasq, dhclient, any program) as processes; NAT gateways as an address in the
// root namespace plus MASQUERADE rules, and default routes for the hosts behind them.
// Leaves to others: what exists now (engine) and what to change (plan.ts).

import { dhcpClientName, nsName, ownerAlias, rootIfName } from "./names";
import { keys, linkKey, netnsEtcDir, type End, type IfaceRes, type Resource } from "./resources";
import { contains, formatCidr, networkOf, parseCidr, parseIp, type Cidr } from "./address";
import { isHostLike } from "./kinds";
import type { DhcpServerService, HostNode, Lab, LabNode, Link, NatNode } from "./schema";
import { patchLinks } from "./switchlinks";

export interface RealizeEnv {
  /** the lab's short tag, prefix of its root-namespace names (names.ts) */
  tag: string;
  /** OVS datapath_type for bridges: "system" (kernel module) or "netdev" (userspace) */
  ovsDatapath: string;
  /** turn tx checksum offload off on veths attached to OVS (userspace datapath without TSO) */
  checksumOffloadOff?: boolean;
  /** how NAT rules are written: nftables, or iptables on machines without nft */
  natBackend?: "nft" | "iptables";
  /** the owner id of the state directory that makes the lab, carried in its marks (names.ts) */
  owner?: string;
  /**
   * The root namespace takes no part in the labs' IPv6 (set when the kernel has IPv6): the
   * switches' root-side ports and Linux bridges get no link-local address and their IPv6
   * packets are not taken up by the root's stack. As on a real switch, whose ports have no
   * addresses: otherwise every neighbour solicitation, MLD report and router solicitation a
   * host floods is also handled by the root namespace, once per port it crosses, each time
   * with a route lookup that walks one fe80::/64 and one ff00::/8 route per interface of the
   * machine (thousands with big labs, in ovs-vswitchd's time when it forwards between two
   * root-side ends), and hosts could reach the root namespace at its ports' link-local addresses.
   */
  rootIpv6Off?: boolean;
}

/** The owner mark of an OVS bridge or port, when the lab has an owner. */
const owned = (env: RealizeEnv): { owner?: string } => (env.owner ? { owner: env.owner } : {});

export const DEFAULT_MTU = 1500;

export const FORWARDING_SYSCTLS: Record<string, string> = {
  "net.ipv4.ip_forward": "1",
  "net.ipv6.conf.all.forwarding": "1",
};

/** The sysctls a node's namespace is given: a router's forwarding, then the node's own; null for none. */
export function nodeSysctls(node: HostNode): Record<string, string> | null {
  const values = { ...(node.kind === "router" ? FORWARDING_SYSCTLS : {}), ...node.sysctls };
  return Object.keys(values).length ? values : null;
}

/** Kernel name of a switch (OVS bridge or Linux bridge). */
export function switchIfName(tag: string, node: string): string {
  return rootIfName(tag, node);
}

/** Root-side name of a switch port, or of an internal port (node = the host). */
export function portIfName(tag: string, node: string, ifname: string): string {
  return rootIfName(tag, node, ifname);
}

/** The kernel name of a host-like node's interface (internal ports get a generated name). */
export function hostIfNames(lab: Lab, tag: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  const byName = new Map(lab.nodes.map((n) => [n.name, n]));
  for (const link of lab.links) {
    for (const end of link.endpoints) {
      const node = byName.get(end.node);
      if (!node || !isHostLike(node)) continue;
      let m = out.get(node.name);
      if (!m) out.set(node.name, (m = new Map<string, string>()));
      m.set(end.interface, link.internal ? portIfName(tag, node.name, end.interface) : end.interface);
    }
  }
  return out;
}

export function hostsFileContent(lab: Lab): string {
  const lines = [
    `# /etc/hosts of lab ${lab.name}, written by topolab (edits are overwritten)`,
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
  ];
  const linkOrder = new Map<string, number>();
  lab.links.forEach((l, i) => l.endpoints.forEach((e) => linkOrder.set(`${e.node}:${e.interface}`, i)));
  for (const node of lab.nodes) {
    if (node.kind === "nat") {
      for (const cfg of Object.values(node.interfaces)) for (const a of cfg.addresses) lines.push(`${a.slice(0, a.indexOf("/"))}\t${node.name}`);
      continue;
    }
    if (!isHostLike(node)) continue;
    const ifs = Object.keys(node.interfaces).sort((a, b) => (linkOrder.get(`${node.name}:${a}`) ?? 1e9) - (linkOrder.get(`${node.name}:${b}`) ?? 1e9));
    const addrs: string[] = [];
    for (const ifname of ifs) {
      if (ifname === "lo" && ifs.length > 1) continue;
      for (const cidr of node.interfaces[ifname]!.addresses) addrs.push(cidr.slice(0, cidr.indexOf("/")));
    }
    const v4 = addrs.filter((a) => !a.includes(":"));
    const v6 = addrs.filter((a) => a.includes(":"));
    for (const a of [...v4, ...v6]) lines.push(`${a}\t${node.name}`);
  }
  return lines.join("\n") + "\n";
}

/** The resources a lab needs, in no particular order. */
export function realize(lab: Lab, env: RealizeEnv): Resource[] {
  const out: Resource[] = [];
  const byName = new Map<string, LabNode>(lab.nodes.map((n) => [n.name, n]));
  const ns = (node: string) => nsName(lab.name, node);
  const ifNames = hostIfNames(lab, env.tag);
  const hostsContent = hostsFileContent(lab);
  const natGateways = lab.nodes.flatMap((x) =>
    x.kind === "nat" && x.defaultRoute ? Object.values(x.interfaces).flatMap((cfg) => cfg.addresses.map((a) => parseCidr(a) as Cidr)) : [],
  );

  for (const node of lab.nodes) {
    if (isHostLike(node)) {
      const n = ns(node.name);
      out.push({ kind: "netns", key: keys.netns(n), deps: [], ns: n, node: node.name });
      out.push({ kind: "iface", key: keys.iface(n, "lo"), deps: [keys.netns(n)], ns: n, name: "lo", up: true });
      const sysctls = nodeSysctls(node);
      if (sysctls) out.push({ kind: "sysctl", key: keys.sysctl(n), deps: [keys.netns(n)], ns: n, values: sysctls });
      const path = `${netnsEtcDir(n)}/hosts`;
      out.push({ kind: "file", key: keys.file(path), deps: [keys.netns(n)], ns: n, path, content: hostsContent });
      out.push(...hostConfig(node, n, ifNames.get(node.name) ?? new Map<string, string>(), natGateways));
    } else if (node.kind === "nat") {
      out.push(natRule(lab, node, env));
    } else {
      const name = switchIfName(env.tag, node.name);
      if (node.type === "ovs") {
        out.push({
          kind: "ovsBridge",
          lab: lab.name,
          ...owned(env),
          key: keys.ovsBridge(name),
          deps: [],
          name,
          node: node.name,
          datapath: env.ovsDatapath,
          stp: node.stp,
        });
      } else {
        out.push({
          kind: "lbridge",
          key: keys.lbridge(name),
          deps: [],
          name,
          node: node.name,
          alias: ownerAlias(lab.name, `node:${node.name}`, env.owner),
          stp: node.stp,
          ...(env.rootIpv6Off ? { ipv6Off: true } : {}),
        });
      }
    }
  }

  // OVS-to-OVS links are patch ports, except where a veth must break a long run of them (switchlinks.ts)
  const patches = patchLinks(lab);
  lab.links.forEach((link, i) => out.push(...linkResources(lab, link, byName, env, ns, ifNames, patches.has(i))));
  return out;
}

function hostConfig(node: HostNode, n: string, ifNames: Map<string, string>, natGateways: Cidr[]): Resource[] {
  const out: Resource[] = [];
  const kernel = (ifname: string) => ifNames.get(ifname) ?? ifname;
  const addrKeys: string[] = [];
  for (const [ifname, cfg] of Object.entries(node.interfaces)) {
    const dev = kernel(ifname);
    for (const cidr of cfg.addresses) {
      const key = keys.addr(n, dev, cidr);
      addrKeys.push(key);
      out.push({ kind: "addr", key, deps: [keys.iface(n, dev)], ns: n, dev, cidr });
    }
  }
  const routes = [...node.routes];
  // a NAT gateway in one of the node's subnets is its default route, unless it has one
  if (!routes.some((r) => r.to === "0.0.0.0/0")) {
    const mine = Object.values(node.interfaces).flatMap((cfg) => cfg.addresses.map((a) => parseCidr(a) as Cidr));
    const gw = natGateways.find((g) => mine.some((m) => m.ip.family === 4 && contains(networkOf(m), g.ip) && m.prefix === g.prefix));
    if (gw) routes.push({ to: "0.0.0.0/0", via: formatCidr(gw).split("/")[0]! });
  }
  for (const route of routes) {
    const dev = route.dev !== undefined ? kernel(route.dev) : undefined;
    out.push({
      kind: "route",
      key: keys.route(n, route.to),
      deps: dev ? [keys.netns(n), keys.iface(n, dev)] : [keys.netns(n)],
      after: addrKeys,
      ns: n,
      to: route.to,
      ...(route.via !== undefined ? { via: route.via } : {}),
      ...(dev !== undefined ? { dev } : {}),
      ...(route.metric !== undefined ? { metric: route.metric } : {}),
    });
  }
  // services start once the node's interfaces and addresses are there, and again when they are re-made
  for (const svc of node.services) {
    const argv = svc.type === "process" ? svc.command : dnsmasqArgv(node, svc, kernel(svc.interface));
    out.push({
      kind: "proc",
      key: keys.proc(n, svc.name),
      deps: [keys.netns(n)],
      after: svc.type === "dhcp-server" ? [keys.iface(n, kernel(svc.interface)), ...addrKeys] : [],
      ns: n,
      node: node.name,
      name: svc.name,
      argv,
      ...(svc.type === "process" && svc.env ? { env: svc.env } : {}),
    });
  }
  for (const [ifname, cfg] of Object.entries(node.interfaces)) {
    if (!cfg.dhcp) continue;
    const dev = kernel(ifname);
    const name = dhcpClientName(ifname);
    out.push({
      kind: "proc",
      key: keys.proc(n, name),
      deps: [keys.netns(n)],
      after: [keys.iface(n, dev)],
      ns: n,
      node: node.name,
      name,
      argv: [
        "dhclient",
        "-d",
        "-4",
        "-v",
        "-pf",
        `@RUN@/${name}.dhclient.pid`,
        "-lf",
        `@RUN@/${name}.leases`,
        "-sf",
        "@DHCLIENT_SCRIPT@",
        "-cf",
        "@DHCLIENT_CONF@",
        dev,
      ],
    });
  }
  return out;
}

function dottedMask(prefix: number): string {
  const m = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 255).join(".");
}

/** dnsmasq as a DHCP server only (no DNS), on one interface, with nothing read from /etc. */
export function dnsmasqArgv(node: HostNode, svc: DhcpServerService, dev: string): string[] {
  const first = parseIp(svc.range[0])!;
  const own = node.interfaces[svc.interface]!.addresses.map((a) => parseCidr(a) as Cidr).find((c) => c.ip.family === 4 && contains(networkOf(c), first))!;
  const argv = [
    "dnsmasq",
    "--keep-in-foreground",
    "--conf-file=/dev/null",
    "--no-resolv",
    "--no-hosts",
    "--port=0",
    "--bind-interfaces",
    `--interface=${dev}`,
    "--except-interface=lo",
    "--dhcp-authoritative",
    `--dhcp-range=${svc.range[0]},${svc.range[1]},${dottedMask(own.prefix)},${svc.lease}`,
    `--dhcp-leasefile=@RUN@/${svc.name}.leases`,
    "--pid-file=",
    "--log-dhcp",
    "--log-facility=-",
    "--user=root",
  ];
  if (svc.gateway) argv.push(`--dhcp-option=option:router,${svc.gateway}`);
  if (svc.dns?.length) argv.push(`--dhcp-option=option:dns-server,${svc.dns.join(",")}`);
  return argv;
}

function natRule(lab: Lab, node: NatNode, env: RealizeEnv): Resource {
  const link = lab.links.find((l) => l.endpoints.some((e) => e.node === node.name))!;
  const end = link.endpoints.find((e) => e.node === node.name)!;
  const subnets = [...new Set(Object.values(node.interfaces).flatMap((cfg) => cfg.addresses.map((a) => formatCidr(networkOf(parseCidr(a) as Cidr)))))];
  return {
    kind: "nat",
    key: keys.nat(lab.name, node.name),
    deps: [],
    lab: lab.name,
    node: node.name,
    backend: env.natBackend ?? "nft",
    iface: portIfName(env.tag, node.name, end.interface),
    subnets,
  };
}

function linkResources(
  lab: Lab,
  link: Link,
  byName: Map<string, LabNode>,
  env: RealizeEnv,
  ns: (node: string) => string,
  ifNames: Map<string, Map<string, string>>,
  patch: boolean,
): Resource[] {
  const out: Resource[] = [];
  const id = linkKey(link.endpoints[0], link.endpoints[1]);
  const alias = ownerAlias(lab.name, `link:${id}`, env.owner);
  const nodes = link.endpoints.map((e) => byName.get(e.node)!) as [LabNode, LabNode];
  const vlan = { ...(link.vlan !== undefined ? { tag: link.vlan } : {}), ...(link.trunk ? { trunks: link.trunk } : {}) };
  // loss is an nftables rule of its own (lossOf), not a qdisc
  const shaped = link.bandwidth !== undefined || link.delay !== undefined;
  const down = linkDown(link, nodes);
  const hostMtu = (node: HostNode, ifname: string) => ownIface(node, ifname)?.mtu ?? DEFAULT_MTU;

  if (link.internal) {
    const hostIdx = isHostLike(nodes[0]) ? 0 : 1;
    const host = nodes[hostIdx] as HostNode;
    const sw = nodes[1 - hostIdx]!;
    const ifname = link.endpoints[hostIdx].interface;
    const name = portIfName(env.tag, host.name, ifname);
    const n = ns(host.name);
    const bridge = switchIfName(env.tag, sw.name);
    const portKey = keys.ovsPort(name);
    // a new namespace means a new tap: the port is made again (its old tap went with the old namespace)
    out.push({
      kind: "ovsPort",
      lab: lab.name,
      ...owned(env),
      key: portKey,
      deps: [keys.ovsBridge(bridge)],
      after: [keys.netns(n)],
      bridge,
      name,
      type: "internal",
      ...vlan,
    });
    out.push(
      hostIface(host, ifname, n, name, [portKey, keys.netns(n)], {
        moveFromRoot: true,
        ...(name !== ifname ? { altname: ifname } : {}),
        ...(down ? { up: false } : {}),
      }),
    );
    if (shaped) out.push(qdisc(link, n, name));
    if (link.loss !== undefined) out.push(lossOf(link, n, name));
    return out;
  }

  if (patch) {
    const names = link.endpoints.map((e) => portIfName(env.tag, e.node, e.interface));
    link.endpoints.forEach((e, i) => {
      const bridge = switchIfName(env.tag, e.node);
      out.push({
        kind: "ovsPort",
        lab: lab.name,
        ...owned(env),
        key: keys.ovsPort(names[i]!),
        deps: [keys.ovsBridge(bridge)],
        bridge,
        name: names[i]!,
        type: "patch",
        peer: names[1 - i]!,
        ...vlan,
      });
    });
    return out;
  }

  // a veth pair; host ends live in the host's namespace, switch ends in the root namespace
  const ends = link.endpoints.map((e, i): End => {
    const node = nodes[i]!;
    if (isHostLike(node)) return { ns: ns(node.name), name: ifNames.get(node.name)?.get(e.interface) ?? e.interface };
    return { ns: null, name: portIfName(env.tag, e.node, e.interface) };
  }) as [End, End];
  const vethKey = keys.veth(id);
  out.push({
    kind: "veth",
    key: vethKey,
    deps: ends.filter((e) => e.ns !== null).map((e) => keys.netns(e.ns!)),
    link: id,
    alias,
    ends,
  });
  // a pulled cable: the root-side ends go down, so the host ends see NO-CARRIER and stay up;
  // between two hosts (no root-side end), the second end goes down
  const rootEnds = ends.filter((e) => e.ns === null).length;
  const downAt = (i: number) => down && (ends[i]!.ns === null || (rootEnds === 0 && i === 1));
  const hostMtus = nodes.flatMap((node, i) => (isHostLike(node) ? [hostMtu(node, link.endpoints[i]!.interface)] : []));
  const linkMtu = hostMtus.length ? Math.max(...hostMtus) : DEFAULT_MTU;
  const touchesOvs = nodes.some((n) => n.kind === "switch" && n.type === "ovs");
  nodes.forEach((node, i) => {
    const end = ends[i]!;
    const offload = touchesOvs && env.checksumOffloadOff ? { offloadOff: true } : {};
    if (isHostLike(node)) {
      out.push(
        hostIface(node, link.endpoints[i]!.interface, end.ns!, end.name, [vethKey, keys.netns(end.ns!)], {
          alias,
          ...offload,
          ...(downAt(i) ? { up: false } : {}),
        }),
      );
    } else if (node.kind === "nat") {
      // the gateway address lives in the root namespace, on the NAT's end of the link
      const ifaceKey = keys.iface(null, end.name);
      out.push({ kind: "iface", key: ifaceKey, deps: [vethKey], ns: null, name: end.name, alias, mtu: linkMtu, up: !downAt(i), ...offload });
      for (const cidr of ownIface(node, link.endpoints[i]!.interface)?.addresses ?? []) {
        out.push({ kind: "addr", key: keys.addr(null, end.name, cidr), deps: [ifaceKey], ns: null, dev: end.name, cidr });
      }
    } else {
      out.push({
        kind: "iface",
        key: keys.iface(null, end.name),
        deps: [vethKey],
        ns: null,
        name: end.name,
        alias,
        mtu: linkMtu,
        up: !downAt(i),
        ...offload,
        ...(env.rootIpv6Off ? { ipv6Off: true } : {}),
      });
      const bridge = switchIfName(env.tag, node.name);
      if (node.type === "ovs") {
        out.push({
          kind: "ovsPort",
          lab: lab.name,
          ...owned(env),
          key: keys.ovsPort(end.name),
          deps: [keys.ovsBridge(bridge)],
          after: [vethKey],
          bridge,
          name: end.name,
          type: "system",
          ...vlan,
        });
      } else {
        out.push({
          kind: "bport",
          key: keys.bport(end.name),
          deps: [keys.iface(null, end.name), keys.lbridge(bridge)],
          bridge,
          name: end.name,
        });
      }
    }
    if (shaped) out.push(qdisc(link, end.ns, end.name));
  });
  const lossEnd = ends.find((e) => e.ns !== null);
  if (link.loss !== undefined && lossEnd) out.push(lossOf(link, lossEnd.ns!, lossEnd.name));
  return out;
}

/** A link is down when the document says so, or when a node at one of its ends is stopped. */
export function linkDown(link: Link, nodes: LabNode[]): boolean {
  return link.state === "down" || nodes.some((n) => n.state === "stopped");
}

/** Loss on a link: dropped as packets come into its first end inside a node. */
function lossOf(link: Link, ns: string, dev: string): Resource {
  return { kind: "loss", key: keys.loss(ns, dev), deps: [keys.iface(ns, dev)], ns, dev, percent: link.loss! };
}

/** A node's settings for an interface: its own key only (validation refuses "constructor" and the like; this makes sure). */
function ownIface<T>(node: { interfaces: Record<string, T> }, ifname: string): T | undefined {
  return Object.hasOwn(node.interfaces, ifname) ? node.interfaces[ifname] : undefined;
}

function hostIface(node: HostNode, ifname: string, n: string, kernelName: string, deps: string[], extra: Partial<IfaceRes>): IfaceRes {
  const cfg = ownIface(node, ifname);
  return {
    kind: "iface",
    key: keys.iface(n, kernelName),
    deps,
    ns: n,
    name: kernelName,
    mtu: cfg?.mtu ?? DEFAULT_MTU,
    up: cfg?.up ?? true,
    ...(cfg?.mac !== undefined ? { mac: cfg.mac } : {}),
    ...extra,
  };
}

function qdisc(link: Link, ns: string | null, dev: string): Resource {
  return {
    kind: "qdisc",
    key: keys.qdisc(ns, dev),
    deps: [keys.iface(ns, dev)],
    ns,
    dev,
    ...(link.bandwidth !== undefined ? { rate: Math.round(link.bandwidth * 1e6) } : {}),
    ...(link.delay !== undefined ? { delay: link.delay } : {}),
    ...(link.jitter !== undefined ? { jitter: link.jitter } : {}),
  };
}

/** The root-namespace (or OVS) names a resource claims; an OVS system port shares its veth end's name. */
function claimedNames(r: Resource): string[] {
  if (r.kind === "ovsBridge" || r.kind === "lbridge") return [r.name];
  if (r.kind === "ovsPort" && r.type !== "system") return [r.name];
  if (r.kind === "veth") return r.ends.filter((e) => e.ns === null).map((e) => e.name);
  return [];
}

/** Every root-namespace name a lab's resources use, for collision checks. */
export function rootNames(resources: Resource[]): string[] {
  return [...new Set(resources.flatMap(claimedNames))];
}

/** Root-namespace names that two objects of a lab would share (node names that collide once joined). */
export function duplicateRootNames(resources: Resource[]): string[] {
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const name of resources.flatMap(claimedNames)) {
    if (seen.has(name)) dups.add(name);
    seen.add(name);
  }
  return [...dups];
}
