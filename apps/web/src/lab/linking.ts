// What a new link drawn on the canvas gets by default, so that a beginner is productive: the
// next free interface name at each end, the next free address for each host-like end (from
// its segment's subnet, or a subnet of its own from the lab's address plan: topology's
// suggestAddress), DHCP for a host joining a segment that has a DHCP server, for the "DHCP
// server" preset on its first link an address and a dnsmasq handing out part of that subnet,
// and for a host without a default route one via the router on its segment (topology's
// suggestDefaultRoutes), whichever of the two was linked first.
//
// Knows: the defaults. Leaves to others: whether they are valid (the server validates the
// edit like any other) and the address arithmetic (topology).

import type { Change } from "@topolab/protocol";
import {
  formatIp,
  labToDocument,
  networkOf,
  nextInterfaceName,
  nthAddress,
  hostCount,
  parseCidr,
  suggestAddress,
  suggestDefaultRoutes,
  type Lab,
  type LabNode,
} from "@topolab/topology";

/** The label of the palette's "DHCP server" preset: a host that gets a dnsmasq on its first link. */
export const DHCP_LABEL = "DHCP server";

type Cfg = { addresses?: string[]; dhcp?: boolean };

/** The nodes of the segment `start` is on (through switches), including start. */
function segment(lab: Lab, start: string): Set<string> {
  const byName = new Map(lab.nodes.map((n) => [n.name, n]));
  const seen = new Set([start]);
  const queue = [start];
  while (queue.length) {
    const cur = queue.shift()!;
    if (cur !== start && byName.get(cur)?.kind !== "switch") continue;
    for (const l of lab.links) {
      const i = l.endpoints.findIndex((e) => e.node === cur);
      if (i < 0) continue;
      const other = l.endpoints[1 - i]!.node;
      if (!seen.has(other)) {
        seen.add(other);
        queue.push(other);
      }
    }
  }
  return seen;
}

function servesDhcp(node: LabNode | undefined): boolean {
  return !!node && (node.kind === "host" || node.kind === "router") && node.services.some((s) => s.type === "dhcp-server");
}

/** A DHCP server preset that has no link yet. */
function freshDhcpPreset(lab: Lab, node: LabNode): boolean {
  return node.kind === "host" && node.label === DHCP_LABEL && !node.services.length && !lab.links.some((l) => l.endpoints.some((e) => e.node === node.name));
}

/** The range a new DHCP server hands out in its subnet: from .100 (or a quarter in), at most 100 addresses. */
export function dhcpRange(cidr: string): [string, string] | null {
  const c = parseCidr(cidr);
  if (typeof c === "string" || c.ip.family !== 4) return null;
  const net = networkOf(c);
  const size = hostCount(net);
  if (size < 8n) return null;
  const first = size >= 256n ? 100n : size / 4n;
  const last = first + (size - 2n - first < 100n ? size - 2n - first : 99n);
  return [formatIp(nthAddress(net, first)), formatIp(nthAddress(net, last))];
}

/**
 * The changes that link `a` to `b` with the defaults: an addLink with both interface names,
 * then updateNode for the ends that get an address, DHCP or a DHCP server.
 */
export function linkChanges(lab: Lab, a: string, b: string): Change[] {
  const ifA = nextInterfaceName(lab, a);
  const ifB = nextInterfaceName(lab, b);
  const changes: Change[] = [{ type: "addLink", link: { endpoints: [`${a}:${ifA}`, `${b}:${ifB}`] } }];
  // a working copy that learns each address as it is given, so the two ends never get the same
  const work: Lab = structuredClone(lab);
  work.links.push({
    endpoints: [
      { node: a, interface: ifA },
      { node: b, interface: ifB },
    ],
  });
  const docNodes = new Map((labToDocument(lab)["nodes"] as Record<string, unknown>[]).map((n) => [n["name"] as string, n]));

  for (const [self, iface, peer] of [
    [a, ifA, b],
    [b, ifB, a],
  ] as const) {
    const node = work.nodes.find((n) => n.name === self);
    if (!node || node.kind === "switch") continue;
    const original = lab.nodes.find((n) => n.name === self)!;
    const set: Record<string, unknown> = {};
    let cfg: Cfg | null = null;
    const peerSegment = segment(work, peer);
    const segmentHasDhcp = [...peerSegment].some((n) => n !== self && servesDhcp(work.nodes.find((x) => x.name === n)));
    if (node.kind !== "nat" && segmentHasDhcp && !freshDhcpPreset(lab, original)) cfg = { dhcp: true };
    else {
      const address = suggestAddress(work, self, iface) ?? (freshDhcpPreset(lab, original) ? "10.0.0.1/24" : null);
      if (address) {
        cfg = { addresses: [address] };
        node.interfaces[iface] = { addresses: [address], up: true };
        if (freshDhcpPreset(lab, original)) {
          const range = dhcpRange(address);
          if (range) set["services"] = [{ type: "dhcp-server", interface: iface, range }];
        }
      }
    }
    if (!cfg) continue;
    const current = (docNodes.get(self)?.["interfaces"] ?? {}) as Record<string, unknown>;
    set["interfaces"] = { ...current, [iface]: cfg };
    changes.push({ type: "updateNode", name: self, set });
  }
  // hosts of the new link's segment that have no default route get one via its router
  const segmentNodes = [a, b, ...segment(work, a), ...segment(work, b)];
  for (const { node, via } of suggestDefaultRoutes(work, segmentNodes)) {
    const routes = (docNodes.get(node)?.["routes"] ?? []) as unknown[];
    changes.push({ type: "updateNode", name: node, set: { routes: [...routes, { to: "default", via }] } as never });
  }
  return changes;
}
