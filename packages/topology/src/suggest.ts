// Suggestions that make a beginner productive on the canvas: the next free interface name of a
// node, the next free address for a new interface (from its segment's subnet, or a subnet of
// its own from the lab's address plan), and a default route for a host through the router of
// its segment, so that hosts and routers dropped on the canvas and linked can ping at once,
// across the router too. Also the warnings about addresses that are valid but will not work as
// a person expects (two interfaces of a node in one subnet).
//
// The address plan: its network is the first segment's subnet, and its prefix (at least /24
// wide) the size of every segment's subnet. Each L2 segment (the interfaces one broadcast
// reaches: a link, or everything on a switch, per VLAN) gets a subnet of its own, the first
// block of that size at or after the plan's network that nothing in the lab uses: with the plan
// 10.0.0.0/24, the first switch's hosts get 10.0.0.x/24, a router's second link 10.0.1.x/24;
// with 10.0.0.0/16, segments are the /24s inside it.
//
// Knows: which addresses a lab already uses (static ones, NAT gateways, DHCP ranges) and which
// interfaces share a segment. Leaves to others: whether the person takes the suggestion (the
// canvas, apps/web/src/lab/linking.ts), and the rules that make a lab invalid (validate.ts).

import { contains, formatCidr, formatIp, hostCount, networkOf, nthAddress, parseCidr, parseIp, type Cidr } from "./address";
import { isHostLike } from "./kinds";
import type { Endpoint, Lab, LabNode } from "./schema";

/** The interface name validate() would give a node's next link: eth0.. on hosts, eth1.. on switches. */
export function nextInterfaceName(lab: Lab, node: string): string {
  const n = lab.nodes.find((x) => x.name === node);
  const used = new Set(lab.links.flatMap((l) => l.endpoints.filter((e) => e.node === node).map((e) => e.interface)));
  let i = n?.kind === "switch" ? 1 : 0;
  while (used.has(`eth${i}`)) i++;
  return `eth${i}`;
}

/** The IPv4 addresses an interface of a host, router or NAT gateway holds, parsed. */
function v4Of(node: LabNode | undefined, iface: string): Cidr[] {
  if (!node || node.kind === "switch") return [];
  const out: Cidr[] = [];
  // own keys only: the canvas may ask about any name, "constructor" included
  for (const a of (Object.hasOwn(node.interfaces, iface) ? node.interfaces[iface] : undefined)?.addresses ?? []) {
    const c = parseCidr(a);
    if (typeof c !== "string" && c.ip.family === 4) out.push(c);
  }
  return out;
}

/** Every address the lab gives out or holds, as 32-bit numbers (IPv4 only). */
function usedAddresses(lab: Lab): Set<bigint> {
  const used = new Set<bigint>();
  for (const node of lab.nodes) {
    if (node.kind === "switch") continue;
    for (const iface of Object.keys(node.interfaces)) for (const c of v4Of(node, iface)) used.add(c.ip.value);
    if (isHostLike(node)) {
      for (const svc of node.services) {
        if (svc.type !== "dhcp-server") continue;
        const [a, b] = svc.range.map((x) => parseIp(x));
        if (a && b) for (let v = a.value; v <= b.value && v - a.value < 65536n; v++) used.add(v);
      }
    }
  }
  return used;
}

/** Every IPv4 subnet the lab uses somewhere (any interface of any node). */
function usedSubnets(lab: Lab): Cidr[] {
  const out: Cidr[] = [];
  for (const node of lab.nodes) {
    if (node.kind === "switch") continue;
    for (const iface of Object.keys(node.interfaces)) {
      if (iface === "lo") continue;
      for (const c of v4Of(node, iface)) out.push(networkOf(c));
    }
  }
  return out;
}

const key = (e: Endpoint) => `${e.node}:${e.interface}`;

/**
 * The other interfaces of hosts, routers and NAT gateways on the same L2 segment as
 * `node:iface`: across its link, and through switches (an access port stays in its VLAN, a
 * trunk carries it on). Empty when the interface has no link.
 */
export function segmentOf(lab: Lab, node: string, iface: string): Endpoint[] {
  const byName = new Map(lab.nodes.map((n) => [n.name, n]));
  const start = lab.links.find((l) => l.endpoints.some((e) => e.node === node && e.interface === iface));
  if (!start) return [];
  const out: Endpoint[] = [];
  const seenEnds = new Set<string>([`${node}:${iface}`]);
  const seenSwitches = new Set<string>();
  // (switch, VLAN) pairs still to walk; an untagged port carries the untagged segment only
  const queue: { sw: string; vlan: number | undefined }[] = [];
  const reach = (e: Endpoint, vlan: number | undefined) => {
    const n = byName.get(e.node);
    if (!n) return;
    if (n.kind === "switch") {
      const k = `${n.name}|${vlan ?? ""}`;
      if (!seenSwitches.has(k)) {
        seenSwitches.add(k);
        queue.push({ sw: n.name, vlan });
      }
    } else if (!seenEnds.has(key(e))) {
      seenEnds.add(key(e));
      out.push(e);
    }
  };
  const other = start.endpoints.find((e) => !(e.node === node && e.interface === iface))!;
  reach(other, start.vlan);
  while (queue.length) {
    const { sw, vlan } = queue.shift()!;
    for (const l of lab.links) {
      const here = l.endpoints.findIndex((e) => e.node === sw);
      if (here < 0) continue;
      const there = l.endpoints[1 - here]!;
      const thereNode = byName.get(there.node);
      if (thereNode?.kind === "switch") {
        // between switches: an access link joins its VLAN, a trunk its VLANs, a plain link all
        if (l.vlan !== undefined) {
          if (l.vlan === vlan) reach(there, vlan);
        } else if (l.trunk !== undefined) {
          if (vlan !== undefined && l.trunk.includes(vlan)) reach(there, vlan);
        } else reach(there, vlan);
      } else if (l.vlan !== undefined ? l.vlan === vlan : l.trunk === undefined && vlan === undefined) {
        // a host on an access port of this VLAN, or on an untagged port of the untagged segment
        reach(there, vlan);
      }
    }
  }
  return out;
}

/** The subnet most of these interfaces use, or null. */
function commonSubnet(lab: Lab, ends: Endpoint[]): Cidr | null {
  const byName = new Map(lab.nodes.map((n) => [n.name, n]));
  const counts = new Map<string, { net: Cidr; n: number }>();
  for (const e of ends) {
    for (const c of v4Of(byName.get(e.node), e.interface)) {
      const net = networkOf(c);
      const k = formatCidr(net);
      const entry = counts.get(k) ?? counts.set(k, { net, n: 0 }).get(k)!;
      entry.n++;
    }
  }
  return [...counts.values()].sort((a, b) => b.n - a.n)[0]?.net ?? null;
}

const overlaps = (a: Cidr, b: Cidr) => contains(a, b.ip) || contains(b, a.ip);

/**
 * The subnet the address plan gives a new segment: the first block of the segment size (the
 * plan's prefix, at most /24 wide) from the plan's network on that no address of the lab falls
 * in. For a plan wider than /24 the blocks stay inside it; a plan of /24 or narrower names the
 * first segment's subnet, and the next segments take the blocks after it.
 */
export function freeSubnet(lab: Lab): Cidr | null {
  if (!lab.addressPlan) return null;
  const plan = parseCidr(lab.addressPlan);
  if (typeof plan === "string" || plan.ip.family !== 4) return null;
  const base = networkOf(plan);
  const prefix = Math.max(plan.prefix, 24);
  const size = hostCount({ ip: base.ip, prefix });
  const blocks = plan.prefix < 24 ? hostCount(base) / size : 4096n;
  const used = usedSubnets(lab);
  for (let k = 0n; k < blocks; k++) {
    const value = base.ip.value + k * size;
    if (value + size > 1n << 32n) break;
    const block: Cidr = { ip: { family: 4, value }, prefix };
    if (!used.some((u) => overlaps(u, block))) return block;
  }
  return null;
}

/** The first address of `net` that the lab does not use, as "a.b.c.d/len"; null when full. */
function freeAddressIn(lab: Lab, net: Cidr): string | null {
  const used = usedAddresses(lab);
  const size = hostCount(net);
  for (let i = 1n; i < size - 1n && i < 65536n; i++) {
    const ip = nthAddress(net, i);
    if (!used.has(ip.value) && contains(net, ip)) return `${formatIp(ip)}/${net.prefix}`;
  }
  return null;
}

/**
 * An address for interface `iface` of `node`, whose link is in `lab` already: the next free
 * one in the subnet its segment uses, else the first of a subnet of its own from the lab's
 * address plan; null when neither says (no plan, or the plan is full).
 */
export function suggestAddress(lab: Lab, node: string, iface: string): string | null {
  const net = commonSubnet(lab, segmentOf(lab, node, iface)) ?? freeSubnet(lab);
  return net ? freeAddressIn(lab, net) : null;
}

/** Whether a host has a default route of its own (IPv4), or takes one by DHCP. */
function hasDefault(node: LabNode): boolean {
  if (!isHostLike(node)) return true;
  if (Object.values(node.interfaces).some((i) => i.dhcp)) return true;
  return node.routes.some((r) => r.to === "0.0.0.0/0" || r.to === "default" || r.to === "default4");
}

/**
 * Default routes the canvas gives with automatic addresses: a host (not a router) that has no
 * default route and no DHCP gets one via the router of its segment, the first router (in link
 * order) with an address in the host's subnet there. A segment with a NAT gateway that gives
 * default routes already is left to it. Only the hosts among `nodes` are considered.
 */
export function suggestDefaultRoutes(lab: Lab, nodes: Iterable<string>): { node: string; via: string }[] {
  const byName = new Map(lab.nodes.map((n) => [n.name, n]));
  const out: { node: string; via: string }[] = [];
  for (const name of new Set(nodes)) {
    const host = byName.get(name);
    if (!host || host.kind !== "host" || hasDefault(host)) continue;
    let via: string | null = null;
    for (const l of lab.links) {
      const mine = l.endpoints.find((e) => e.node === name);
      if (!mine || via) continue;
      const own = v4Of(host, mine.interface);
      if (!own.length) continue;
      const seg = segmentOf(lab, name, mine.interface);
      if (
        seg.some((e) => {
          const n = byName.get(e.node);
          return n?.kind === "nat" && n.defaultRoute;
        })
      )
        continue;
      for (const e of seg) {
        const n = byName.get(e.node);
        if (n?.kind !== "router") continue;
        const gw = v4Of(n, e.interface).find((c) => own.some((o) => contains(networkOf(o), c.ip)));
        if (gw) {
          via = formatIp(gw.ip);
          break;
        }
      }
    }
    if (via) out.push({ node: name, via });
  }
  return out;
}

/** A warning: the lab is valid and can be built, but it will not work as a person expects. */
export interface LabWarning {
  /** e.g. `nodes[2].interfaces.eth1.addresses[0]` */
  path: string;
  message: string;
  node: string;
}

/**
 * Warnings about a valid lab: a node with two interfaces in one subnet (a router whose links
 * share a subnet cannot route between them: the kernel sends that subnet's traffic out of one).
 */
export function labWarnings(lab: Lab): LabWarning[] {
  const out: LabWarning[] = [];
  lab.nodes.forEach((node, i) => {
    if (node.kind === "switch") return;
    // The node's earlier subnets, found without comparing every pair (a node with thousands of
    // addresses took seconds): `at` by their own network, `within` by their network cut to
    // every shorter prefix. Per key, the first subnet and the first on another interface.
    type Seen = { iface: string; text: string; net: Cidr; order: number };
    const at = new Map<string, Map<bigint, Seen[]>>();
    const within = new Map<string, Map<bigint, Seen[]>>();
    const prefixes = new Map<number, Set<number>>();
    const put = (index: Map<string, Map<bigint, Seen[]>>, key: string, value: bigint, seen: Seen) => {
      let byValue = index.get(key);
      if (!byValue) index.set(key, (byValue = new Map<bigint, Seen[]>()));
      const list = byValue.get(value);
      if (!list) byValue.set(value, [seen]);
      else if (list.length < 2 && list[0]!.iface !== seen.iface) list.push(seen);
    };
    let order = 0;
    for (const [iface, cfg] of Object.entries(node.interfaces)) {
      if (iface === "lo") continue;
      cfg.addresses.forEach((text, k) => {
        const c = parseCidr(text);
        if (typeof c === "string") return;
        const net = networkOf(c);
        const fam = c.ip.family;
        const bits = fam === 4 ? 32 : 128;
        const cut = (v: bigint, p: number) => (v >> BigInt(bits - p)) << BigInt(bits - p);
        let clash: Seen | undefined;
        const consider = (list: Seen[] | undefined) => {
          const x = list?.find((s) => s.iface !== iface);
          if (x && (!clash || x.order < clash.order)) clash = x;
        };
        // an earlier subnet that holds this address, or one inside this subnet
        for (const p of prefixes.get(fam) ?? []) consider(at.get(`${fam}/${p}`)?.get(cut(c.ip.value, p)));
        consider(within.get(`${fam}/${net.prefix}`)?.get(net.ip.value));
        if (clash) {
          out.push({
            path: `nodes[${i}].interfaces${/^[A-Za-z_][A-Za-z0-9_-]*$/.test(iface) ? `.${iface}` : `[${JSON.stringify(iface)}]`}.addresses[${k}]`,
            node: node.name,
            message:
              `${node.name} has ${clash.iface} (${clash.text}) and ${iface} (${text}) in the same subnet ${formatCidr(clash.net.prefix <= net.prefix ? clash.net : net)}: ` +
              `the kernel sends that subnet's traffic out of one of them only` +
              (node.kind === "router"
                ? ", so the router cannot route between them: give each link a subnet of its own"
                : ": give each interface a subnet of its own"),
          });
        }
        const seen: Seen = { iface, text, net, order: order++ };
        put(at, `${fam}/${net.prefix}`, net.ip.value, seen);
        let ps = prefixes.get(fam);
        if (!ps) prefixes.set(fam, (ps = new Set()));
        ps.add(net.prefix);
        for (let p = 0; p <= net.prefix; p++) put(within, `${fam}/${p}`, cut(net.ip.value, p), seen);
      });
    }
  });
  return out;
}
