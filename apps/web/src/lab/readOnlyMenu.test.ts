import { describe, expect, it } from "vitest";
import { parseLab } from "@topolab/topology";
import type { Drift } from "@topolab/protocol";
import { registerCaptureMenu } from "../capture/captures";
import type { LiveContextValue } from "../live/LiveProvider";
import { registerLiveMenu } from "../live/menu";
import { allowedItems, contextMenuItems, registerContextMenuItems, type MenuContext, type MenuTarget } from "./contextMenu";

// Read-only mode (an instructor watching a student's lab) keeps only the context menu's items
// marked readOnlyOk. Every item the built-in, capture and live providers give, for every kind of
// node and link, running or not, up or down, and whether kept.

function lab(state: "up" | "down") {
  return parseLab({
    name: "hwr-menu",
    nodes: [
      { name: "h1", kind: "host", interfaces: { eth0: {} } },
      { name: "h2", kind: "host", state: state === "down" ? "stopped" : undefined, interfaces: { eth0: {} } },
      { name: "r1", kind: "router", interfaces: { eth0: {} } },
      { name: "s1", kind: "switch" },
      { name: "br1", kind: "switch", type: "bridge" },
      { name: "nat1", kind: "nat", interfaces: { eth0: { addresses: ["192.168.100.254/24"] } } },
      { name: "lonely", kind: "host" },
    ],
    links: [
      { endpoints: ["h1:eth0", "s1:eth1"], ...(state === "down" ? { state: "down", loss: 5 } : {}) },
      { endpoints: ["h2:eth0", "br1:eth1"] },
      { endpoints: ["r1:eth0", "s1:eth2"] },
      { endpoints: ["nat1:eth0", "s1:eth3"] },
    ],
  });
}

const ctxOf = (l: ReturnType<typeof lab>): MenuContext => ({
  lab: l,
  edit: () => undefined,
  openTerminal: () => undefined,
  inspect: () => undefined,
  remove: () => undefined,
  fit: () => undefined,
});

describe("the context menu in read-only mode", () => {
  it("keeps what reads (a shell, zoom, captures, the kernel's views) and nothing that edits", () => {
    const seen = new Map<string, boolean>();
    for (const running of [false, true])
      for (const state of ["up", "down"] as const) {
        const drift: Drift = {
          lab: "hwr-menu",
          items: ["h1", "r1", "s1", "br1", "nat1"].map((node) => ({ id: node, node, kind: "address", origin: "hand", text: "x", adopt: [] })),
          adoptAll: [],
        };
        const live = { store: { state: { get: () => ({ running }) } }, live: { state: { get: () => ({ drift }) } } } as unknown as LiveContextValue;
        const offs = [registerCaptureMenu(), registerLiveMenu(live)];
        const l = lab(state);
        const ctx = ctxOf(l);
        const targets: MenuTarget[] = [
          ...l.nodes.map((n) => ({ kind: "node" as const, node: n.name })),
          ...["h1:eth0|s1:eth1", "h2:eth0|br1:eth1", "r1:eth0|s1:eth2", "nat1:eth0|s1:eth3"].map((link) => ({ kind: "link" as const, link })),
          { kind: "pane", position: { x: 0, y: 0 } },
        ];
        for (const t of targets) {
          const items = contextMenuItems(t, ctx);
          const kept = allowedItems(items, true);
          expect(allowedItems(items, false)).toEqual(items);
          for (const i of items) seen.set(i.id, kept.includes(i));
        }
        for (const off of offs) off();
      }
    expect(Object.fromEntries(seen)).toEqual({
      "add-bridge": false,
      "add-dhcp": false,
      "add-host": false,
      "add-nat": false,
      "add-ovs": false,
      "add-router": false,
      "capture-link": true,
      "capture-node": true,
      delete: false,
      duplicate: false,
      edit: false,
      fit: true,
      "kernel-drift": true,
      "kernel-fdb": true,
      "kernel-interfaces": true,
      "kernel-macs": true,
      "kernel-routes": true,
      "link-down": false,
      "link-kernel": true,
      "link-loss": false,
      "link-up": false,
      "node-start": false,
      "node-stop": false,
      terminal: true,
    });
  });

  it("refuses an item nobody marked", () => {
    const off = registerContextMenuItems("hwr-new", () => [{ id: "hwr-new", label: "New", run: () => undefined }], 50);
    try {
      const items = contextMenuItems({ kind: "pane", position: { x: 0, y: 0 } }, ctxOf(lab("up")));
      expect(items.map((i) => i.id)).toContain("hwr-new");
      expect(allowedItems(items, true).map((i) => i.id)).toEqual(["fit"]);
    } finally {
      off();
    }
  });
});
