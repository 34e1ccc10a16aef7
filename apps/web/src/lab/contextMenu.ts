// What a right-click (or Shift+F10, or the ContextMenu key) offers on a node, a link or the
// empty canvas: a registry of item providers, so that later features add their own items
// without touching the menu (capture on an interface, link down/up):
//
//   registerContextMenuItems("capture", (target, ctx) => target.kind === "link" ? [{ id: "capture", label: "Capture…", run: () => … }] : [], 50);
//
// The built-in items are the actions that exist: open a terminal, edit (in the inspector),
// duplicate, delete; and on the canvas, add a node of each kind where it was clicked.
// An item that only reads is marked readOnlyOk where it is made: a read-only page (watching a
// student's lab) keeps only those (allowedItems), so an item added later is off there unless marked.
//
// Knows: which items a target gets, in which order, and the changes of "duplicate". Leaves to
// others: showing the menu and keyboard (ContextMenu.tsx), doing the actions (the context
// the lab page passes: its store, its selection, its terminals).

import type { Change } from "@topolab/protocol";
import { labToDocument, type Lab } from "@topolab/topology";
import { freeName, hasShell, PALETTE } from "./kinds";

export type MenuTarget =
  | { kind: "node"; node: string }
  /** a link by its id, as the protocol writes it (h1:eth0|s1:eth1) */
  | { kind: "link"; link: string }
  /** the empty canvas, at a point of the lab (flow coordinates) */
  | { kind: "pane"; position: { x: number; y: number } };

/** What an item may use: the lab as shown, and the page's actions. */
export interface MenuContext {
  lab: Lab;
  /** sends changes to the server as one undoable edit */
  edit: (changes: Change[], label: string) => unknown;
  openTerminal: (node: string) => void;
  /** selects the target and puts the inspector's first field in focus */
  inspect: (target: MenuTarget) => void;
  /** deletes nodes and links (what the toolbar's Delete does) */
  remove: (sel: { nodes: string[]; edges: string[] }) => unknown;
  fit: () => void;
}

export interface MenuItem {
  /** stable, for tests: data-testid context-menu-item-<id> */
  id: string;
  label: string;
  run: () => unknown;
  /** a keyboard shortcut or short note shown at the right */
  hint?: string;
  disabled?: boolean;
  danger?: boolean;
  /**
   * only reads (a shell shown, a capture, the kernel's views, zoom): kept while the page is
   * read-only (an instructor watching a student's lab). Unmarked, an item is left out there.
   */
  readOnlyOk?: boolean;
}

export type MenuProvider = (target: MenuTarget, ctx: MenuContext) => MenuItem[];

interface Registered {
  id: string;
  order: number;
  provider: MenuProvider;
}

const registry: Registered[] = [];

/**
 * Adds a provider of items (replacing one of the same id); `order` places its items among
 * the others' (built-in: 10 open, 20 edit, 30 duplicate, 90 delete). Returns its removal.
 */
export function registerContextMenuItems(id: string, provider: MenuProvider, order = 50): () => void {
  const i = registry.findIndex((r) => r.id === id);
  if (i >= 0) registry.splice(i, 1);
  const entry = { id, order, provider };
  registry.push(entry);
  return () => {
    const j = registry.indexOf(entry);
    if (j >= 0) registry.splice(j, 1);
  };
}

/** The items for a target, in order; a provider that throws is left out, not the menu. */
export function contextMenuItems(target: MenuTarget, ctx: MenuContext): MenuItem[] {
  const sorted = [...registry].sort((a, b) => a.order - b.order);
  const out: MenuItem[] = [];
  for (const r of sorted) {
    try {
      out.push(...r.provider(target, ctx));
    } catch (e) {
      console.warn(`context menu items of ${r.id} failed`, e);
    }
  }
  return out;
}

/** The items a page may offer: all of them, or in read-only mode only those marked readOnlyOk. */
export function allowedItems(items: MenuItem[], readOnly: boolean): MenuItem[] {
  return readOnly ? items.filter((i) => i.readOnlyOk === true) : items;
}

/** The changes that add a copy of a node beside it: its kind and settings, not its links. */
export function duplicateChanges(lab: Lab, name: string): Change[] {
  const nodes = labToDocument(lab)["nodes"] as Record<string, unknown>[];
  const src = nodes.find((n) => n["name"] === name);
  if (!src) return [];
  const copy: Record<string, unknown> = structuredClone(src);
  const prefix = name.replace(/\d+$/, "") || "n";
  copy["name"] = freeName(lab, prefix);
  // what names the node's interfaces or gateways only makes sense with its links
  delete copy["interfaces"];
  delete copy["routes"];
  const services = (copy["services"] as { type?: string }[] | undefined)?.filter((s) => s.type !== "dhcp-server");
  if (services?.length) copy["services"] = services;
  else delete copy["services"];
  const p = lab.nodes.find((n) => n.name === name)?.position;
  if (p) copy["position"] = { x: p.x + 40, y: p.y + 60 };
  return [{ type: "addNode", node: copy as never }];
}

const builtIn: MenuProvider = (target, ctx) => {
  if (target.kind === "node") {
    const node = ctx.lab.nodes.find((n) => n.name === target.node);
    if (!node) return [];
    return [
      ...(hasShell(node) ? [{ id: "terminal", label: "Open terminal", hint: "T", readOnlyOk: true, run: () => ctx.openTerminal(node.name) }] : []),
      { id: "edit", label: "Edit…", hint: "inspector", run: () => ctx.inspect(target) },
      { id: "duplicate", label: "Duplicate", run: () => ctx.edit(duplicateChanges(ctx.lab, node.name), `Duplicate ${node.name}`) },
    ];
  }
  if (target.kind === "link") return [{ id: "edit", label: "Edit…", hint: "inspector", run: () => ctx.inspect(target) }];
  const at = { x: Math.round(target.position.x - 70), y: Math.round(target.position.y - 24) };
  return [
    ...PALETTE.map((p) => ({
      id: `add-${p.kind}`,
      label: `Add ${p.title.replace(/^[A-Z](?![A-Z])/, (c) => c.toLowerCase())} here`,
      run: () => {
        const name = freeName(ctx.lab, p.prefix);
        return ctx.edit([{ type: "addNode", node: { ...p.node(name), position: at } as never }], `Add ${name}`);
      },
    })),
    { id: "fit", label: "Zoom to fit", hint: "F", readOnlyOk: true, run: () => ctx.fit() },
  ];
};

const deletion: MenuProvider = (target, ctx) => {
  if (target.kind === "node") return [{ id: "delete", label: "Delete", hint: "Del", danger: true, run: () => ctx.remove({ nodes: [target.node], edges: [] }) }];
  if (target.kind === "link")
    return [{ id: "delete", label: "Delete link", hint: "Del", danger: true, run: () => ctx.remove({ nodes: [], edges: [target.link] }) }];
  return [];
};

registerContextMenuItems("topolab", builtIn, 10);
registerContextMenuItems("topolab-delete", deletion, 90);
