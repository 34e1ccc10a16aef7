// Edits as data, in reverse: the changes that turn one lab document into another. Undo sends
// diff(after, before), redo diff(before, after), as ordinary lab:edit changes, so the server
// validates and applies an undo like any other edit (and other browsers see it as one).
//
// Knows: the change shapes of @topolab/protocol and the input form of a lab (labToDocument).
// Leaves to others: applying changes (the server; applyChanges for the local preview).

import { applyChanges, rawLinkId, type Change } from "@topolab/protocol";
import { labToDocument, validateLab, type Lab, type Position } from "@topolab/topology";

type Doc = { nodes: Record<string, unknown>[]; links: Record<string, unknown>[]; [k: string]: unknown };

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The fields of `to` that differ from `from`: a value to set, or null to remove it. */
function fieldsSet(from: Record<string, unknown>, to: Record<string, unknown>, skip: string[]): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(from), ...Object.keys(to)])) {
    if (skip.includes(key) || same(from[key], to[key])) continue;
    set[key] = to[key] === undefined ? null : to[key];
  }
  return set;
}

/** Changes that turn lab `from` into lab `to` (only what differs). */
export function diffLabs(from: Lab, to: Lab): Change[] {
  const a = labToDocument(from) as Doc;
  const b = labToDocument(to) as Doc;
  const nodesA = new Map(a.nodes.map((n) => [n["name"] as string, n]));
  const nodesB = new Map(b.nodes.map((n) => [n["name"] as string, n]));
  const linksA = new Map(a.links.map((l) => [rawLinkId(l)!, l]));
  const linksB = new Map(b.links.map((l) => [rawLinkId(l)!, l]));
  const out: Change[] = [];
  const updates: Change[] = [];
  const moves: Record<string, Position> = {};

  for (const id of linksA.keys()) if (!linksB.has(id)) out.push({ type: "removeLink", link: id });
  for (const name of nodesA.keys()) if (!nodesB.has(name)) out.push({ type: "removeNode", name });
  for (const [name, node] of nodesB) if (!nodesA.has(name)) out.push({ type: "addNode", node: node as never });
  for (const [id, link] of linksB) if (!linksA.has(id)) out.push({ type: "addLink", link: link as never });
  for (const [name, nb] of nodesB) {
    const na = nodesA.get(name);
    if (!na) continue;
    const set = fieldsSet(na, nb, ["name", "position"]);
    if (Object.keys(set).length) updates.push({ type: "updateNode", name, set });
    const pos = nb["position"] as Position | undefined;
    if (pos && !same(na["position"], pos)) moves[name] = pos;
  }
  for (const [id, lb] of linksB) {
    const la = linksA.get(id);
    if (!la) continue;
    const set = fieldsSet(la, lb, ["endpoints"]);
    if (Object.keys(set).length) updates.push({ type: "updateLink", link: id, set });
  }
  out.push(...updates);
  if (Object.keys(moves).length) out.push({ type: "moveNodes", positions: moves });
  const lab = fieldsSet(a, b, ["nodes", "links", "version", "name"]);
  const labSet: { description?: string | null; addressPlan?: string | null } = {};
  if ("description" in lab) labSet.description = lab["description"] as string | null;
  if ("addressPlan" in lab) labSet.addressPlan = lab["addressPlan"] as string | null;
  if (Object.keys(labSet).length) out.push({ type: "updateLab", set: labSet });
  return out;
}

/** The lab that `changes` make of `lab`, as the server would compute it; null when it refuses them. */
export function previewChanges(lab: Lab, changes: readonly Change[]): Lab | null {
  if (changes.every((c) => c.type === "moveNodes"))
    return withPositions(lab, Object.fromEntries(changes.flatMap((c) => (c.type === "moveNodes" ? Object.entries(c.positions) : []))));
  const applied = applyChanges(lab, changes);
  if (!applied.ok) return null;
  const v = validateLab(applied.document);
  return v.ok ? v.lab : null;
}

/** The lab with some nodes moved; the other nodes keep their objects. */
export function withPositions(lab: Lab, positions: Record<string, Position>): Lab {
  if (!Object.keys(positions).length) return lab;
  return { ...lab, nodes: lab.nodes.map((n) => (positions[n.name] ? { ...n, position: { ...positions[n.name]! } } : n)) };
}

/** The nodes an edit creates or changes: shown as "being created" until the server answers. */
export function touchedNodes(changes: readonly Change[]): string[] {
  const out: string[] = [];
  for (const c of changes) {
    if (c.type === "addNode") out.push(c.node.name);
    else if (c.type === "updateNode") out.push(c.set.name ?? c.name);
    else if (c.type === "addLink") {
      for (const e of c.link.endpoints) out.push(typeof e === "string" ? e.split(":")[0]! : e.node);
    }
  }
  return out;
}
