// Auto-layout with elkjs, loaded only when asked for (it is large): a layered layout, switches
// and hosts in ranks, returned as positions for one moveNodes edit (which undo reverses).
//
// Knows: elk's graph format. Leaves to others: sending the positions (labStore).

import type { Lab, Position } from "@topolab/topology";

export async function autoLayout(lab: Lab, sizes: Map<string, { width: number; height: number }>): Promise<Record<string, Position>> {
  const { default: ELK } = await import("elkjs/lib/elk.bundled.js");
  const elk = new ELK();
  const graph = await elk.layout({
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "DOWN",
      "elk.spacing.nodeNode": "60",
      "elk.layered.spacing.nodeNodeBetweenLayers": "90",
      "elk.edgeRouting": "POLYLINE",
    },
    children: lab.nodes.map((n) => ({ id: n.name, width: sizes.get(n.name)?.width ?? 150, height: sizes.get(n.name)?.height ?? 50 })),
    edges: lab.links.map((l, i) => ({ id: `e${i}`, sources: [l.endpoints[0].node], targets: [l.endpoints[1].node] })),
  });
  const out: Record<string, Position> = {};
  for (const c of graph.children ?? []) out[c.id] = { x: Math.round((c.x ?? 0) + 40), y: Math.round((c.y ?? 0) + 40) };
  return out;
}
