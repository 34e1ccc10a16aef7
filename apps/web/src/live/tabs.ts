// The inspector's tabs: which tabs each kind of selection has (a host or router: its settings
// and the kernel's interfaces, routes, neighbours, sockets, processes and drift; an OVS switch:
// ports and MAC table; a Linux bridge: ports and forwarding database; a link: its kernel state;
// the lab: its links, drift, changes and ping all), the tab last chosen for each kind (kept
// while the person clicks from node to node), and the keys that move between tabs. Also how a
// pushed drift change folds into the drift, and what a node's drift mark says. Pure, apart from the
// one remembered-tabs store.
//
// Knows: tab names and order, the WAI-ARIA tabs keyboard pattern. Leaves to others: drawing
// the tabs (Inspector.tsx, LiveTabs.tsx), reading the kernel (liveStore, live:inspect).

import type { Drift, LiveEvent } from "@topolab/protocol";
import type { Lab, LabNode } from "@topolab/topology";
import { Store } from "../lib/emitter";

export type TabId =
  "settings" | "interfaces" | "routes" | "neighbours" | "sockets" | "processes" | "drift" | "ports" | "macs" | "fdb" | "kernel" | "links" | "changes" | "ping";

/** What is selected, as far as tabs go: a node's kind, a link, or the lab itself. */
export type TabKind = "host" | "router" | "ovs" | "bridge" | "nat" | "link" | "lab";

export const TAB_LABELS: Record<TabId, string> = {
  settings: "Settings",
  interfaces: "Interfaces",
  routes: "Routes",
  neighbours: "Neighbours",
  sockets: "Sockets",
  processes: "Processes",
  drift: "Drift",
  ports: "Ports",
  macs: "MAC table",
  fdb: "FDB",
  kernel: "Kernel",
  links: "Links",
  changes: "Changes",
  ping: "Ping all",
};

/** What each tab shows, for its tooltip. */
export const TAB_TITLES: Record<TabId, string> = {
  settings: "What the document says (editable)",
  interfaces: "The kernel's interfaces: state, carrier, MAC, MTU, addresses, counters and rates",
  routes: "The kernel's routes, IPv4 and IPv6, with their proto (kernel, static, boot, dhcp…)",
  neighbours: "ARP and NDP entries with their state",
  sockets: "Listening sockets (ss -ltnup)",
  processes: "The processes running in the node's namespace",
  drift: "Where the kernel differs from the document, and the two ways to settle it",
  ports: "The switch's ports: VLAN mode, tag, trunks, OpenFlow port numbers",
  macs: "The switch's MAC table (ovs-appctl fdb/show), mapped to node:interface",
  fdb: "The bridge's forwarding database (bridge fdb)",
  kernel: "Both ends of the link as the kernel has them",
  links: "Every link's state in the kernel and its traffic",
  changes: "The kernel's changes since this page opened",
  ping: "Every host pings every other (Mininet's pingall)",
};

/** The tabs of a kind; running: whether the lab runs (a stopped lab has no kernel to read). */
export function tabsOf(kind: TabKind, running: boolean): TabId[] {
  if (!running) return ["settings"];
  switch (kind) {
    case "host":
    case "router":
      return ["settings", "interfaces", "routes", "neighbours", "sockets", "processes", "drift"];
    case "ovs":
      return ["settings", "ports", "macs", "drift"];
    case "bridge":
      return ["settings", "ports", "fdb", "drift"];
    case "link":
      return ["settings", "kernel"];
    case "lab":
      return ["settings", "links", "drift", "changes", "ping"];
    case "nat":
      return ["settings"];
  }
}

export function tabKindOf(node: LabNode): TabKind {
  if (node.kind === "switch") return node.type === "ovs" ? "ovs" : "bridge";
  return node.kind;
}

/** The tab last chosen per kind, for the page's lifetime (a context-menu item sets it too). */
export const chosenTabs = new Store<Partial<Record<TabKind, TabId>>>({});

export function chooseTab(kind: TabKind, tab: TabId): void {
  chosenTabs.update((t) => (t[kind] === tab ? t : { ...t, [kind]: tab }));
}

/** "Edit…" on a node or link: its kind's inspector shows the Settings (the document's fields). */
export function showSettings(lab: Lab, target: { kind: "node"; node: string } | { kind: "link" } | { kind: "pane" }): void {
  const node = target.kind === "node" ? lab.nodes.find((n) => n.name === target.node) : undefined;
  const kind: TabKind | null = node ? tabKindOf(node) : target.kind === "link" ? "link" : null;
  if (kind) chooseTab(kind, "settings");
}

/** The tab shown: the one chosen for the kind when it has it, else Settings. */
export function shownTab(kind: TabKind, running: boolean, chosen: Partial<Record<TabKind, TabId>>): TabId {
  const tabs = tabsOf(kind, running);
  const want = chosen[kind];
  return want && tabs.includes(want) ? want : "settings";
}

/** The tab a key moves to (arrows, Home, End: the WAI-ARIA tabs pattern, wrapping); null: not a tab key. */
export function tabForKey(tabs: TabId[], current: TabId, key: string): TabId | null {
  const i = Math.max(0, tabs.indexOf(current));
  switch (key) {
    case "ArrowRight":
    case "ArrowDown":
      return tabs[(i + 1) % tabs.length]!;
    case "ArrowLeft":
    case "ArrowUp":
      return tabs[(i - 1 + tabs.length) % tabs.length]!;
    case "Home":
      return tabs[0]!;
    case "End":
      return tabs[tabs.length - 1]!;
    default:
      return null;
  }
}

/**
 * The drift after a pushed change (live:event "drift"): the nodes it names have its items now
 * (none: an empty list), every other node's stay; adoptAll is the lab's new one. Sorted by id,
 * as the server lists them.
 */
export function foldDrift(drift: Drift, e: Extract<LiveEvent, { type: "drift" }>): Drift {
  const items = drift.items.filter((i) => !(i.node in e.nodes));
  for (const list of Object.values(e.nodes)) items.push(...list);
  items.sort((a, b) => a.id.localeCompare(b.id));
  return { lab: drift.lab, items, adoptAll: e.adoptAll };
}

/** A node's drift mark: how many differences, and the tooltip naming them; null when none. */
export function driftMark(drift: Drift | null, node: string): { count: number; title: string } | null {
  if (!drift) return null;
  // every node's mark is asked for at each live event (one selector per node): worked out once per drift read
  let marks = marksOf.get(drift);
  if (!marks) marksOf.set(drift, (marks = new Map([...new Set(drift.items.map((i) => i.node))].map((n) => [n, markOf(drift, n)]))));
  return marks.get(node) ?? null;
}

const marksOf = new WeakMap<Drift, Map<string, { count: number; title: string }>>();

function markOf(drift: Drift, node: string): { count: number; title: string } {
  const items = drift.items.filter((i) => i.node === node);
  const n = items.length;
  const list = items.map((i) => `${i.origin === "hand" ? "made by hand" : "missing"}: ${i.text}`);
  return { count: n, title: `${node}: ${n} difference${n === 1 ? "" : "s"} from the document\n${list.join("\n")}\n(inspector → Drift to settle)` };
}

/**
 * The changes that take a node's drift into the document: the lab-wide adoptAll's changes that
 * touch the node (its updateNode, and the links its items name), so that several items of one
 * node are taken together (each item's own changes start from the same document and would
 * overwrite each other).
 */
export function adoptNode(drift: Drift, node: string): Drift["adoptAll"] {
  const items = drift.items.filter((i) => i.node === node);
  if (!items.length) return [];
  const links = new Set(items.flatMap((i) => i.adopt.filter((c) => c.type === "updateLink").map((c) => (c as { link: string }).link)));
  return drift.adoptAll.filter(
    (c) => (c.type === "updateNode" && (c as { name: string }).name === node) || (c.type === "updateLink" && links.has((c as { link: string }).link)),
  );
}
