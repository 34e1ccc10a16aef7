// Which packet captures the page has open, and how the rest of the page opens one: the inspector's
// buttons and the canvas's context menu call openCapture / captureLink / captureNode. Small and
// loaded with the page; the panel itself (CapturePanel.tsx) is loaded only when a capture opens.
//
// Knows: what to capture for a link (the host's end when there is one, else a switch port) and
// for a node (all its interfaces). Leaves to others: running it (the panel, the server).

import { linkKey, type Lab, type Link } from "@topolab/topology";
import { registerContextMenuItems, type MenuItem } from "../lab/contextMenu";
import { Store } from "../lib/emitter";

export interface OpenCapture {
  /** this page's key for it */
  key: number;
  lab: string;
  /** "node:if" or "node" */
  interfaces: string[];
  title: string;
}

export const openCaptures = new Store<OpenCapture[]>([]);
let nextKey = 1;

/** At most this many capture panels at once (the server allows 4 per connection). */
export const MAX_PANELS = 4;

/** Opens a capture panel on these interfaces ("node:if", or "node" for all of its). */
export function openCapture(lab: string, interfaces: string[], title = interfaces.join(", ")): void {
  const same = openCaptures.get().find((c) => c.lab === lab && c.interfaces.join(" ") === interfaces.join(" "));
  if (same) return;
  const list = openCaptures.get().filter((c) => c.lab === lab);
  const kept = list.length >= MAX_PANELS ? list.slice(1) : list;
  openCaptures.set([...kept, { key: nextKey++, lab, interfaces, title }]);
}

export function closeCapture(key: number): void {
  openCaptures.set(openCaptures.get().filter((c) => c.key !== key));
}

const hostLike = (lab: Lab, node: string) => {
  const k = lab.nodes.find((n) => n.name === node)?.kind;
  return k === "host" || k === "router";
};

/** The interface to capture a link on: a host's (or router's) end if it has one, else the first end. */
export function linkCaptureInterface(lab: Lab, link: Link): string {
  const [a, b] = link.endpoints;
  const end = hostLike(lab, a.node) ? a : hostLike(lab, b.node) ? b : lab.nodes.find((n) => n.name === a.node)?.kind === "nat" ? b : a;
  return `${end.node}:${end.interface}`;
}

/** Opens a capture on a link (by its document object). */
export function captureLink(lab: Lab, link: Link): void {
  const [a, b] = link.endpoints;
  openCapture(lab.name, [linkCaptureInterface(lab, link)], `link ${a.node}:${a.interface} — ${b.node}:${b.interface}`);
}

/** Opens a capture on all the interfaces of a node. */
export function captureNode(lab: Lab, node: string): void {
  openCapture(lab.name, [node], `${node} (all interfaces)`);
}

/** "Capture packets" in the canvas's context menu, on links and on nodes (all their interfaces). */
export function captureMenuItems(lab: Lab, target: { kind: string; link?: string; node?: string }): MenuItem[] {
  if (target.kind === "link") {
    const link = lab.links.find((l) => linkKey(l.endpoints[0], l.endpoints[1]) === target.link);
    return link
      ? [{ id: "capture-link", label: `Capture packets (${linkCaptureInterface(lab, link)})`, readOnlyOk: true, run: () => captureLink(lab, link) }]
      : [];
  }
  if (target.kind === "node" && target.node && lab.links.some((l) => l.endpoints.some((e) => e.node === target.node))) {
    const node = target.node;
    return [{ id: "capture-node", label: "Capture packets (all its interfaces)", readOnlyOk: true, run: () => captureNode(lab, node) }];
  }
  return [];
}

/** Registers the capture items in the context menu; returns the function that removes them. */
export function registerCaptureMenu(): () => void {
  return registerContextMenuItems("capture", (target, ctx) => captureMenuItems(ctx.lab, target), 45);
}
