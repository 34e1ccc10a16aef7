// Edits as data: every change a person can make to a lab on the canvas is one member of a
// discriminated union, and `applyChanges` turns a lab and a list of changes into the next
// document (in input form), without touching anything else.
//
// Knows: the change shapes (add/update/remove node, add/update/remove link, move nodes, update
// the lab's description, replace the whole document), how nodes and links are referred to
// (nodes by name, links by one endpoint "h1:eth0" or by their id "h1:eth0|s1:eth1"), and what
// goes with a removed node or link (its links; the interface settings and `dev` routes of the
// hosts at their ends). Leaves to others: whether the result is a valid lab (topology's
// validateLab, run by the server on what this returns) and everything the kernel does.

import { z } from "zod";
import {
  LinkSchema,
  NodeNameSchema,
  NodeSchema,
  PositionSchema,
  labToDocument,
  linkKey,
  safeRecord,
  type Lab,
  type Link,
  type LinkInput,
  type NodeInput,
} from "@topolab/topology";
import type { Issue } from "./issues";

/** A link, named by one of its endpoints ("h1:eth0") or by its id ("h1:eth0|s1:eth1"). */
export const LinkRefSchema = z.string().min(1).max(100);
/** An existing node, by name (checked against the lab, so any text is only looked up). */
const NodeRefSchema = z.string().min(1).max(64);

// The fields each node kind has, read from topology's schema so that a new kind or field
// needs no change here. Values are checked by validateLab, which places its problems.
const kindShapes = new Map<string, Set<string>>(NodeSchema.options.map((o) => [o.shape.kind.value, new Set(Object.keys(o.shape))]));
const nodeFieldNames = [...new Set([...kindShapes.values()].flatMap((k) => [...k]))].filter((k) => k !== "name" && k !== "kind");
const changeable = (names: string[]) => Object.fromEntries(names.map((k) => [k, z.unknown().optional()]));

type KeysOf<T> = T extends unknown ? keyof T : never;
type FieldOf<T, K extends PropertyKey> = T extends unknown ? (K extends keyof T ? T[K] : never) : never;

/** Fields of a node to change: a value replaces the field, `null` removes it, absent keeps it. */
export type NodeSet = { name?: string; kind?: NodeInput["kind"] } & {
  [K in Exclude<KeysOf<NodeInput>, "name" | "kind">]?: FieldOf<NodeInput, K> | null;
};
/** Fields of a link to change: a value replaces the field, `null` removes it, absent keeps it. */
export type LinkSet = { endpoints?: LinkInput["endpoints"] } & { [K in Exclude<keyof LinkInput, "endpoints">]?: LinkInput[K] | null };

export const NodeSetSchema = z.strictObject({
  /** renames the node; its links follow */
  name: NodeNameSchema.optional(),
  kind: z.enum([...kindShapes.keys()] as [string, ...string[]]).optional(),
  ...changeable(nodeFieldNames),
}) as unknown as z.ZodType<NodeSet>;

export const LinkSetSchema = z.strictObject({
  ...changeable(Object.keys(LinkSchema.shape).filter((k) => k !== "endpoints")),
  endpoints: LinkSchema.shape.endpoints.optional(),
}) as unknown as z.ZodType<LinkSet>;

export const ChangeSchema = z.discriminatedUnion("type", [
  /** a node as a lab file writes it */
  z.strictObject({ type: z.literal("addNode"), node: NodeSchema }),
  z.strictObject({ type: z.literal("updateNode"), name: NodeRefSchema, set: NodeSetSchema }),
  /** also removes its links */
  z.strictObject({ type: z.literal("removeNode"), name: NodeRefSchema }),
  /** a link as a lab file writes it; "h1" alone takes the node's next free interface */
  z.strictObject({ type: z.literal("addLink"), link: LinkSchema }),
  z.strictObject({ type: z.literal("updateLink"), link: LinkRefSchema, set: LinkSetSchema }),
  z.strictObject({ type: z.literal("removeLink"), link: LinkRefSchema }),
  /** canvas positions only: the kernel is never touched for these */
  z.strictObject({ type: z.literal("moveNodes"), positions: safeRecord(PositionSchema, NodeRefSchema) }),
  z.strictObject({
    type: z.literal("updateLab"),
    set: z.strictObject({
      description: z.string().max(4000).nullable().optional(),
      addressPlan: z.string().max(64).nullable().optional(),
      /** the exercise as a lab file writes it (validated with the rest); null removes it */
      exercise: safeRecord(z.unknown()).nullable().optional(),
    }),
  }),
  /** the whole document (the same name, or none); the server applies only the difference */
  z.strictObject({ type: z.literal("replace"), document: safeRecord(z.unknown()) }),
]);

export type Change = z.infer<typeof ChangeSchema>;

/** A lab document in input form: what a lab file holds, what validateLab takes. */
export interface LabDocument {
  version?: 1;
  name?: unknown;
  description?: unknown;
  nodes: Record<string, unknown>[];
  links: Record<string, unknown>[];
  [field: string]: unknown;
}

export type ChangesResult = { ok: true; document: LabDocument } | { ok: false; issues: Issue[] };

/** The id of a canonical link: its endpoints, sorted, "h1:eth0|s1:eth1". */
export function linkId(link: Link): string {
  return linkKey(link.endpoints[0], link.endpoints[1]);
}

class Refused extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

function endpoint(e: unknown): { node: string; interface?: string } | null {
  if (typeof e === "string") {
    const c = e.indexOf(":");
    return c < 0 ? { node: e } : { node: e.slice(0, c), interface: e.slice(c + 1) };
  }
  if (typeof e === "object" && e !== null && typeof (e as { node?: unknown }).node === "string") {
    const x = e as { node: string; interface?: unknown };
    return typeof x.interface === "string" ? { node: x.node, interface: x.interface } : { node: x.node };
  }
  return null;
}

function ends(link: Record<string, unknown>): ({ node: string; interface?: string } | null)[] {
  return Array.isArray(link["endpoints"]) ? (link["endpoints"] as unknown[]).map(endpoint) : [];
}

function findNode(doc: LabDocument, name: string, path: string): number {
  const i = doc.nodes.findIndex((n) => n["name"] === name);
  if (i < 0) throw new Refused(path, `there is no node named ${JSON.stringify(name)}`);
  return i;
}

function findLink(doc: LabDocument, ref: string, path: string): number {
  const wanted = ref.split("|").map(endpoint);
  const matches = (e: { node: string; interface?: string } | null, w: { node: string; interface?: string } | null) =>
    !!e && !!w && e.node === w.node && e.interface === w.interface;
  const i = doc.links.findIndex((l) => {
    const [a, b] = ends(l);
    if (wanted.length === 1) return matches(a ?? null, wanted[0]!) || matches(b ?? null, wanted[0]!);
    const [x, y] = wanted;
    return (matches(a ?? null, x!) && matches(b ?? null, y!)) || (matches(a ?? null, y!) && matches(b ?? null, x!));
  });
  if (i < 0) throw new Refused(path, `there is no link ${ref.includes("|") ? ref : `on ${ref}`}`);
  return i;
}

/** A link is gone: the hosts at its ends lose that interface's settings and `dev` routes. */
function forgetInterfaces(doc: LabDocument, link: Record<string, unknown>): void {
  for (const e of ends(link)) {
    if (!e?.interface) continue;
    const node = doc.nodes.find((n) => n["name"] === e.node);
    if (!node) continue;
    const ifs = node["interfaces"] as Record<string, unknown> | undefined;
    // own keys only: an interface named like an Object method is not "there"
    if (ifs && Object.hasOwn(ifs, e.interface)) {
      delete ifs[e.interface];
      if (Object.keys(ifs).length === 0) delete node["interfaces"];
    }
    if (Array.isArray(node["routes"])) {
      const kept = (node["routes"] as { dev?: unknown }[]).filter((r) => r?.dev !== e.interface);
      if (kept.length) node["routes"] = kept;
      else delete node["routes"];
    }
  }
}

function setFields(target: Record<string, unknown>, set: object): void {
  for (const [key, value] of Object.entries(set)) {
    if (value === undefined) continue;
    if (value === null) delete target[key];
    else target[key] = structuredClone(value);
  }
}

function updateNode(doc: LabDocument, name: string, set: NodeSet, path: string): void {
  const node = doc.nodes[findNode(doc, name, `${path}.name`)]!;
  const { name: newName, ...rest } = set;
  if (newName !== undefined && newName !== name) {
    if (doc.nodes.some((n) => n["name"] === newName)) throw new Refused(`${path}.set.name`, `there is already a node named ${newName}`);
    node["name"] = newName;
    for (const link of doc.links) {
      link["endpoints"] = (link["endpoints"] as unknown[]).map((e) => {
        const x = endpoint(e);
        if (x?.node !== name) return e;
        return x.interface === undefined ? newName : `${newName}:${x.interface}`;
      });
    }
  }
  const fields = rest.kind !== undefined ? kindShapes.get(rest.kind) : undefined;
  if (fields) {
    // what the new kind cannot have goes, unless this change sets it
    for (const key of Object.keys(node)) if (!fields.has(key) && !(key in rest)) delete node[key];
  }
  setFields(node, rest);
}

function applyOne(doc: LabDocument, change: Change, path: string, labName: string): LabDocument {
  switch (change.type) {
    case "addNode": {
      if (doc.nodes.some((n) => n["name"] === change.node.name)) {
        throw new Refused(`${path}.node.name`, `there is already a node named ${change.node.name}`);
      }
      doc.nodes.push(structuredClone(change.node) as Record<string, unknown>);
      return doc;
    }
    case "updateNode":
      updateNode(doc, change.name, change.set, path);
      return doc;
    case "removeNode": {
      const i = findNode(doc, change.name, `${path}.name`);
      doc.nodes.splice(i, 1);
      const touches = (l: Record<string, unknown>) => ends(l).some((e) => e?.node === change.name);
      const gone = doc.links.filter(touches);
      doc.links = doc.links.filter((l) => !touches(l));
      for (const l of gone) forgetInterfaces(doc, l);
      return doc;
    }
    case "addLink":
      doc.links.push(structuredClone(change.link) as Record<string, unknown>);
      return doc;
    case "updateLink": {
      const link = doc.links[findLink(doc, change.link, `${path}.link`)]!;
      setFields(link, change.set);
      return doc;
    }
    case "removeLink": {
      const [link] = doc.links.splice(findLink(doc, change.link, `${path}.link`), 1);
      forgetInterfaces(doc, link!);
      return doc;
    }
    case "moveNodes": {
      for (const [name, position] of Object.entries(change.positions)) {
        doc.nodes[findNode(doc, name, `${path}.positions[${JSON.stringify(name)}]`)]!["position"] = { x: position.x, y: position.y };
      }
      return doc;
    }
    case "updateLab":
      setFields(doc, change.set);
      return doc;
    case "replace": {
      const next = structuredClone(change.document) as Partial<LabDocument>;
      if (next.name === undefined) next.name = labName;
      else if (next.name !== labName) {
        throw new Refused(`${path}.document.name`, `is ${JSON.stringify(next.name)}, but this lab is ${labName} (rename a lab with lab:rename)`);
      }
      // validateLab reports what else is wrong with it, at its place
      return { ...next, nodes: Array.isArray(next.nodes) ? next.nodes : [], links: Array.isArray(next.links) ? next.links : [] };
    }
  }
}

/**
 * The document that results from applying `changes`, in order, to `lab`; or the first change
 * that cannot apply (a node or link that is not there, a name already taken), with its place
 * as `changes[i]...`. Pure: `lab` is not modified. The result still needs validateLab.
 */
export function applyChanges(lab: Lab, changes: readonly Change[]): ChangesResult {
  let doc = structuredClone(labToDocument(lab)) as LabDocument;
  try {
    changes.forEach((change, i) => {
      doc = applyOne(doc, change, `changes[${i}]`, lab.name);
    });
  } catch (e) {
    if (e instanceof Refused) return { ok: false, issues: [{ path: e.path, message: e.message }] };
    throw e;
  }
  return { ok: true, document: doc };
}

/** Whether two labs differ only in what the kernel does not see: positions, labels, description. */
export function onlyCosmetic(a: Lab, b: Lab): boolean {
  const strip = (lab: Lab) =>
    JSON.stringify({
      ...lab,
      description: undefined,
      addressPlan: undefined,
      exercise: undefined,
      nodes: lab.nodes.map((n) => ({ ...n, position: undefined, label: undefined })),
    });
  return strip(a) === strip(b);
}
