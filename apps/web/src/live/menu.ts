// The live items of the canvas's context menu. Break and mend: a link down or up, its packet
// loss, a node stopped or started; each an ordinary, undoable edit of the document (the file
// says a link is down), sent like any other. And the kernel's views: each opens the inspector
// on its tab (a host's interfaces or routes, a switch's MAC table or forwarding database, a
// link's kernel state, a node's drift when it has some).
//
// Knows: which items a link or node gets, and their changes. Leaves to others: the menu itself
// (lab/contextMenu.ts), applying edits (the lab store, the server), the tabs (tabs.ts).

import { isHostLike, linkKey } from "@topolab/topology";
import { registerContextMenuItems, type MenuContext, type MenuItem, type MenuTarget } from "../lab/contextMenu";
import type { LiveContextValue } from "./LiveProvider";
import { chooseTab, driftMark, tabKindOf, type TabId, type TabKind } from "./tabs";

/** Asks for a loss percentage; null when cancelled. (window.prompt: simple and keyboard-friendly.) */
function askLoss(current: number | undefined): number | null | undefined {
  const text = window.prompt("Packet loss on this link, in percent (0 removes it)", String(current ?? 10));
  if (text === null) return undefined;
  const n = Number(text.trim().replace(/%$/, ""));
  if (!Number.isFinite(n) || n < 0 || n > 100) {
    window.alert(`${text} is not a percentage from 0 to 100`);
    return undefined;
  }
  return n === 0 ? null : n;
}

/** Selects the target and shows the inspector on a tab, with the keyboard on that tab. */
function openOn(ctx: MenuContext, target: MenuTarget, kind: TabKind, tab: TabId): void {
  ctx.inspect(target); // selects it, on the Settings tab
  chooseTab(kind, tab);
  setTimeout(() => document.querySelector<HTMLElement>('[data-testid="inspector"] [role="tab"][aria-selected="true"]')?.focus(), 150);
}

export function registerLiveMenu(live: LiveContextValue): () => void {
  return registerContextMenuItems(
    "live",
    (target, ctx) => {
      const running = live.store.state.get().running;
      if (target.kind === "link") {
        const link = ctx.lab.links.find((l) => linkKey(l.endpoints[0], l.endpoints[1]) === target.link);
        if (!link) return [];
        const down = link.state === "down";
        return [
          {
            id: down ? "link-up" : "link-down",
            label: down ? "Bring link up" : "Take link down (pull the cable)",
            run: () =>
              ctx.edit([{ type: "updateLink", link: target.link, set: { state: down ? null : "down" } }], `${down ? "Bring up" : "Take down"} ${target.link}`),
          },
          {
            id: "link-loss",
            label: link.loss !== undefined ? `Packet loss (${link.loss} %)…` : "Packet loss…",
            run: () => {
              const loss = askLoss(link.loss);
              if (loss === undefined) return;
              return ctx.edit([{ type: "updateLink", link: target.link, set: { loss } }], `Loss on ${target.link}`);
            },
          },
          ...(running
            ? [{ id: "link-kernel", label: "Kernel state…", hint: "inspector", readOnlyOk: true, run: () => openOn(ctx, target, "link", "kernel") }]
            : []),
        ];
      }
      if (target.kind === "node") {
        const node = ctx.lab.nodes.find((n) => n.name === target.node);
        if (!node) return [];
        const kind = tabKindOf(node);
        const items: MenuItem[] = [];
        if (isHostLike(node)) {
          const stopped = node.state === "stopped";
          items.push({
            id: stopped ? "node-start" : "node-stop",
            label: stopped ? "Start node" : "Stop node (all its links lose carrier)",
            run: () =>
              ctx.edit([{ type: "updateNode", name: node.name, set: { state: stopped ? null : "stopped" } }], `${stopped ? "Start" : "Stop"} ${node.name}`),
          });
        }
        if (!running) return items;
        if (kind === "host" || kind === "router") {
          items.push(
            { id: "kernel-interfaces", label: "Interfaces (kernel)…", hint: "inspector", readOnlyOk: true, run: () => openOn(ctx, target, kind, "interfaces") },
            { id: "kernel-routes", label: "Routes (kernel)…", hint: "inspector", readOnlyOk: true, run: () => openOn(ctx, target, kind, "routes") },
          );
        } else if (kind === "ovs")
          items.push({ id: "kernel-macs", label: "MAC table…", hint: "inspector", readOnlyOk: true, run: () => openOn(ctx, target, kind, "macs") });
        else if (kind === "bridge")
          items.push({ id: "kernel-fdb", label: "Forwarding database…", hint: "inspector", readOnlyOk: true, run: () => openOn(ctx, target, kind, "fdb") });
        const mark = driftMark(live.live.state.get().drift, node.name);
        if (mark && kind !== "nat")
          items.push({
            id: "kernel-drift",
            label: `Drift (${mark.count})…`,
            hint: "inspector",
            readOnlyOk: true,
            run: () => openOn(ctx, target, kind, "drift"),
          });
        return items;
      }
      return [];
    },
    40,
  );
}
