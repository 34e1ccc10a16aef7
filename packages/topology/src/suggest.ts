// Suggestions that make a beginner productive on the canvas: the next free interface name of a
// node, and the next free address for a new interface (from its segment's subnet, or the
// lab's address plan), so that two hosts dropped on a switch and linked can ping at once.
//
// Knows: which addresses a lab already uses (static ones, NAT gateways, DHCP ranges) and which
// nodes share a segment. Leaves to others: whether the person takes the suggestion.

import { contains, formatCidr, formatIp, hostCount, networkOf, nthAddress, parseCidr, parseIp, type Cidr } from "./address";
import { isHostLike, type Lab } from "./schema";

/** The interface name validate() would give a node's next link: eth0.. on hosts, eth1.. on switches. */
export function nextInterfaceName(lab: Lab, node: string): string {
  const n = lab.nodes.find((x) => x.name === node);
  const used = new Set(lab.links.flatMap((l) => l.endpoints.filter((e) => e.node === node).map((e) => e.interface)));
  let i = n?.kind === "switch" ? 1 : 0;
  while (used.has(`eth${i}`)) i++;
  return `eth${i}`;
}

/** Every address the lab gives out or holds, as 32-bit numbers (IPv4 only). */
function usedAddresses(lab: Lab): Set<bigint> {
  const used = new Set<bigint>();
  for (const node of lab.nodes) {
    if (node.kind === "switch") continue;
    for (const cfg of Object.values(node.interfaces)) {
      for (const a of cfg.addresses) {
        const c = parseCidr(a);
        if (typeof c !== "string" && c.ip.family === 4) used.add(c.ip.value);
      }
    }
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

/** The subnets of the hosts that share a segment with `node` (through switches). */
function segmentSubnets(lab: Lab, node: string): Cidr[] {
  const byName = new Map(lab.nodes.map((n) => [n.name, n]));
  const seen = new Set<string>([node]);
  const queue = [node];
  const found: Cidr[] = [];
  while (queue.length) {
    const cur = queue.shift()!;
    const curNode = byName.get(cur);
    for (const l of lab.links) {
      const here = l.endpoints.find((e) => e.node === cur);
      if (!here) continue;
      const there = l.endpoints.find((e) => e !== here)!;
      const other = byName.get(there.node);
      if (!other || seen.has(other.name)) continue;
      if (curNode?.kind !== "switch" && cur !== node) continue;
      seen.add(other.name);
      if (other.kind === "switch") queue.push(other.name);
      else {
        for (const a of other.interfaces[there.interface]?.addresses ?? []) {
          const c = parseCidr(a);
          if (typeof c !== "string" && c.ip.family === 4) found.push(c);
        }
      }
    }
  }
  return found;
}

/**
 * An address for a new interface of `node` linked to `peer`: the next free one in the subnet
 * already used on the peer's segment, else in the lab's address plan; null when neither says.
 */
export function suggestAddress(lab: Lab, peer: string): string | null {
  const candidates = segmentSubnets(lab, peer);
  let net: Cidr | null = null;
  if (candidates.length) {
    // the subnet most of the segment uses
    const counts = new Map<string, { net: Cidr; n: number }>();
    for (const c of candidates) {
      const key = formatCidr(networkOf(c));
      const e = counts.get(key) ?? counts.set(key, { net: networkOf(c), n: 0 }).get(key)!;
      e.n++;
    }
    net = [...counts.values()].sort((a, b) => b.n - a.n)[0]!.net;
  } else if (lab.addressPlan) {
    const c = parseCidr(lab.addressPlan);
    if (typeof c !== "string") net = c;
  }
  if (!net) return null;
  const used = usedAddresses(lab);
  const size = hostCount(net);
  for (let i = 1n; i < size - 1n && i < 65536n; i++) {
    const ip = nthAddress(net, i);
    if (!used.has(ip.value) && contains(net, ip)) return `${formatIp(ip)}/${net.prefix}`;
  }
  return null;
}
