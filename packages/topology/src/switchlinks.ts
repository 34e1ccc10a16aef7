// Switch-to-switch links: which ones become OVS patch ports, and which loops of switches a lab has.
//
// Knows: Open vSwitch translates a packet through patch ports in one pass and gives up past a
// depth of 64 ("over max translation depth 64"), and past 4096 resubmits in one pass (a flood
// visits every bridge of a patch-joined group once); a veth between two bridges ends the pass
// (the packet leaves through the kernel and comes back as a new one). So patch ports are kept
// where they help (no kernel hop) and a link becomes a veth pair wherever keeping it a patch
// would let some path cross more than MAX_PATCH_RUN patch ports in a row. Also knows which
// switches lie on a loop of switch-to-switch links (a broadcast storm without spanning tree).
// Leaves to others: the resources of each link (realize.ts), reporting (validate.ts).

import type { Lab, LabNode, Link } from "./schema";

/**
 * At most this many patch ports in a row on any path. Half of Open vSwitch's depth limit of 64:
 * the depth also counts resubmits and group actions, and a spanning tree may carry a packet
 * along a longer path than the shortest one, so half keeps a wide margin while a chain still
 * gets 32 patch hops per kernel hop.
 */
export const MAX_PATCH_RUN = 32;

/** At most this many patch links in one patch-joined group: a flood visits each once, against OVS's 4096 resubmits per pass. */
export const MAX_PATCH_GROUP_LINKS = 1024;

const isOvs = (n: LabNode | undefined) => n?.kind === "switch" && n.type === "ovs";

/** A link that could be a pair of patch ports: two OVS switches, no shaping, not an internal port. */
export function patchCandidate(link: Link, byName: Map<string, LabNode>): boolean {
  if (link.internal) return false;
  if (link.bandwidth !== undefined || link.delay !== undefined || link.loss !== undefined) return false;
  return link.endpoints.every((e) => isOvs(byName.get(e.node)));
}

interface Group {
  nodes: Set<string>;
  links: number;
  cyclic: boolean;
  /** for an acyclic group, its diameter in links; for a cyclic one, nodes - 1 (no simple path is longer) */
  longest: number;
}

/**
 * The indexes (into lab.links) of the links that become patch-port pairs. Links are taken in
 * the lab's order; a link stays a patch when the group of switches it joins still has no path
 * longer than MAX_PATCH_RUN patch links (and at most MAX_PATCH_GROUP_LINKS links), otherwise it
 * becomes a veth pair. A link's choice depends only on the links before it, so appending a
 * link never changes the kind of an existing one.
 */
export function patchLinks(lab: Pick<Lab, "nodes" | "links">, maxRun = MAX_PATCH_RUN, maxGroupLinks = MAX_PATCH_GROUP_LINKS): Set<number> {
  const byName = new Map(lab.nodes.map((n) => [n.name, n]));
  const out = new Set<number>();
  const adj = new Map<string, string[]>();
  const groupOf = new Map<string, Group>();
  const group = (node: string): Group => {
    let g = groupOf.get(node);
    if (!g) groupOf.set(node, (g = { nodes: new Set([node]), links: 0, cyclic: false, longest: 0 }));
    return g;
  };
  // the farthest distance from `from` inside its (acyclic) group
  const eccentricity = (from: string): number => {
    const dist = new Map([[from, 0]]);
    const queue = [from];
    let far = 0;
    for (let i = 0; i < queue.length; i++) {
      const at = queue[i]!;
      const d = dist.get(at)!;
      far = Math.max(far, d);
      for (const next of adj.get(at) ?? []) {
        if (!dist.has(next)) {
          dist.set(next, d + 1);
          queue.push(next);
        }
      }
    }
    return far;
  };
  lab.links.forEach((link, index) => {
    if (!patchCandidate(link, byName)) return;
    const [a, b] = [link.endpoints[0].node, link.endpoints[1].node];
    const ga = group(a);
    const gb = group(b);
    let merged: Group;
    if (ga === gb) {
      merged = { nodes: ga.nodes, links: ga.links + 1, cyclic: true, longest: ga.nodes.size - 1 };
    } else {
      const nodes = ga.nodes.size + gb.nodes.size;
      const cyclic = ga.cyclic || gb.cyclic;
      const longest = cyclic ? nodes - 1 : Math.max(ga.longest, gb.longest, eccentricity(a) + 1 + eccentricity(b));
      merged = { nodes: new Set(), links: ga.links + gb.links + 1, cyclic, longest };
    }
    if (merged.longest > maxRun || merged.links > maxGroupLinks) return;
    out.add(index);
    adj.set(a, [...(adj.get(a) ?? []), b]);
    adj.set(b, [...(adj.get(b) ?? []), a]);
    if (ga === gb) {
      Object.assign(ga, merged);
      return;
    }
    const [big, small] = ga.nodes.size >= gb.nodes.size ? [ga, gb] : [gb, ga];
    for (const n of small.nodes) {
      big.nodes.add(n);
      groupOf.set(n, big);
    }
    big.links = merged.links;
    big.cyclic = merged.cyclic;
    big.longest = merged.longest;
  });
  return out;
}

export interface SwitchLoop {
  /** index into the links given: the link that closes the loop */
  link: number;
  /** the switches of the loop, in order around it */
  switches: string[];
}

/**
 * The loops of switch-to-switch links (whatever the switch kinds and link settings): one per
 * link that closes a loop, taking links in order (two links between the same two switches are
 * a loop too). Every switch that lies on any loop lies on one of these.
 */
export function switchLoops(nodes: readonly LabNode[], links: readonly Link[]): SwitchLoop[] {
  const switches = new Set(nodes.filter((n) => n.kind === "switch").map((n) => n.name));
  // a spanning forest, with parent pointers, grown link by link
  const adj = new Map<string, string[]>();
  const root = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (root.has(r) && root.get(r) !== r) r = root.get(r)!;
    return r;
  };
  const pathInForest = (from: string, to: string): string[] => {
    const prev = new Map<string, string | null>([[from, null]]);
    const queue = [from];
    for (let i = 0; i < queue.length && !prev.has(to); i++) {
      for (const next of adj.get(queue[i]!) ?? []) {
        if (!prev.has(next)) {
          prev.set(next, queue[i]!);
          queue.push(next);
        }
      }
    }
    const path: string[] = [];
    for (let at: string | null | undefined = to; at != null; at = prev.get(at)) path.unshift(at);
    return path;
  };
  const out: SwitchLoop[] = [];
  links.forEach((link, index) => {
    const [a, b] = [link.endpoints[0].node, link.endpoints[1].node];
    if (!switches.has(a) || !switches.has(b) || a === b) return;
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) {
      out.push({ link: index, switches: pathInForest(a, b) });
      return;
    }
    root.set(ra, rb);
    if (!root.has(rb)) root.set(rb, rb);
    adj.set(a, [...(adj.get(a) ?? []), b]);
    adj.set(b, [...(adj.get(b) ?? []), a]);
  });
  return out;
}
