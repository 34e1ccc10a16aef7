// Break and mend from the canvas's context menu: a link down or up, its packet loss (a node is
// stopped and started from the Live panel's Node tab, so the node menu stays as it is). Each is
// an ordinary, undoable edit of the document (the file says a link is down), sent like any other.
//
// Knows: which items a link or node gets, and their changes. Leaves to others: the menu itself
// (lab/contextMenu.ts) and applying edits (the lab store, the server).

import { linkKey } from "@topolab/topology";
import { registerContextMenuItems } from "../lab/contextMenu";

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

export function registerLiveMenu(): () => void {
  return registerContextMenuItems(
    "live",
    (target, ctx) => {
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
        ];
      }
      return [];
    },
    40,
  );
}
