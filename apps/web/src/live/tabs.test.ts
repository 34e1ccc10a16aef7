import { describe, expect, it } from "vitest";
import type { Drift, LiveEvent } from "@topolab/protocol";
import { adoptNode, changesDrift, driftDelay, driftMark, shownTab, tabForKey, tabsOf } from "./tabs";

const node = (changes: string[], state: null | object = { interfaces: [], routes: [], neighbours: [] }): LiveEvent =>
  ({ type: "node", node: "h1", state, kinds: ["link"], changes, at: 1 }) as LiveEvent;

const drift: Drift = {
  lab: "demo",
  items: [
    { id: "address:h1:eth0:10.9.9.9/24", node: "h1", kind: "address", origin: "hand", text: "10.9.9.9/24 on eth0 was added by hand", adopt: [] },
    { id: "route:h1:10.8.0.0/16 via -", node: "h1", kind: "route", origin: "missing", text: "route to 10.8.0.0/16 is missing", adopt: [] },
    {
      id: "link:h2:eth0|s1:eth2",
      node: "s1",
      kind: "link",
      origin: "hand",
      text: "link h2:eth0|s1:eth2 was taken down by hand",
      adopt: [{ type: "updateLink", link: "h2:eth0|s1:eth2", set: { state: "down" } }],
    },
  ],
  adoptAll: [
    { type: "updateNode", name: "h1", set: { interfaces: { eth0: { addresses: ["10.0.0.1/24", "10.9.9.9/24"] } }, routes: null } },
    { type: "updateNode", name: "h2", set: { routes: null } },
    { type: "updateLink", link: "h2:eth0|s1:eth2", set: { state: "down" } },
  ],
};

describe("inspector tabs", () => {
  it("each kind has Settings first and its live tabs; a stopped lab has Settings only", () => {
    expect(tabsOf("host", true)).toEqual(["settings", "interfaces", "routes", "neighbours", "sockets", "processes", "drift"]);
    expect(tabsOf("ovs", true)).toEqual(["settings", "ports", "macs", "drift"]);
    expect(tabsOf("bridge", true)).toEqual(["settings", "ports", "fdb", "drift"]);
    expect(tabsOf("link", true)).toEqual(["settings", "kernel"]);
    expect(tabsOf("lab", true)).toEqual(["settings", "links", "drift", "changes", "ping"]);
    expect(tabsOf("host", false)).toEqual(["settings"]);
    expect(tabsOf("nat", true)).toEqual(["settings"]);
  });
  it("the tab chosen for a kind is shown for every node of that kind; one the kind lacks falls back to Settings", () => {
    expect(shownTab("host", true, { host: "routes" })).toBe("routes");
    expect(shownTab("router", true, { host: "routes" })).toBe("settings");
    expect(shownTab("ovs", true, { ovs: "interfaces" })).toBe("settings");
    expect(shownTab("host", false, { host: "routes" })).toBe("settings");
  });
  it("arrows move and wrap, Home and End jump, other keys are not the tab strip's", () => {
    const tabs = tabsOf("ovs", true);
    expect(tabForKey(tabs, "settings", "ArrowRight")).toBe("ports");
    expect(tabForKey(tabs, "drift", "ArrowRight")).toBe("settings");
    expect(tabForKey(tabs, "settings", "ArrowLeft")).toBe("drift");
    expect(tabForKey(tabs, "macs", "Home")).toBe("settings");
    expect(tabForKey(tabs, "ports", "End")).toBe("drift");
    expect(tabForKey(tabs, "ports", "Enter")).toBeNull();
    expect(tabForKey(tabs, "ports", "a")).toBeNull();
  });
});

describe("drift", () => {
  it("is read again after interface, address, route and port changes, not after neighbours or counters", () => {
    expect(changesDrift(node(["eth0 +10.9.9.9/24"]))).toBe(true);
    expect(changesDrift(node(["route +10.8.0.0/16 via 10.0.0.254 dev eth0 proto boot"]))).toBe(true);
    expect(changesDrift(node(["neighbour 10.0.0.2 aa:bb:cc:dd:ee:ff REACHABLE"]))).toBe(false);
    expect(changesDrift(node(["neighbour 10.0.0.2 gone", "eth0 DOWN"]))).toBe(true);
    expect(changesDrift(node(["stopped (its namespace is gone)"], null))).toBe(true);
    expect(changesDrift({ type: "ports", ports: [], changes: ["s1:eth1 DOWN"], at: 1 })).toBe(true);
    expect(changesDrift({ type: "ports", ports: [], changes: [], at: 1 })).toBe(false);
    expect(changesDrift({ type: "counters", at: 1, counters: {}, rates: {} })).toBe(false);
    expect(changesDrift({ type: "macs", node: "s1", entries: [], at: 1 })).toBe(false);
  });
  it("a node's mark counts its differences and names each in the tooltip", () => {
    const m = driftMark(drift, "h1")!;
    expect(m.count).toBe(2);
    expect(m.title).toContain("h1: 2 differences from the document");
    expect(m.title).toContain("made by hand: 10.9.9.9/24 on eth0 was added by hand");
    expect(m.title).toContain("missing: route to 10.8.0.0/16 is missing");
    expect(driftMark(drift, "s1")!.title).toContain("s1: 1 difference from the document");
    expect(driftMark(drift, "h2")).toBeNull();
    expect(driftMark(null, "h1")).toBeNull();
  });
  it("a node's items are taken into the document together: its updateNode and its links, from adoptAll", () => {
    expect(adoptNode(drift, "h1")).toEqual([drift.adoptAll[0]]);
    expect(adoptNode(drift, "s1")).toEqual([drift.adoptAll[2]]);
    expect(adoptNode(drift, "h2")).toEqual([]);
  });
});

describe("driftDelay", () => {
  it("the debounce after quick reads; after a long one, twice its duration since it ended", () => {
    expect(driftDelay(400, 0, 0)).toBe(400);
    expect(driftDelay(400, 100, 0)).toBe(400);
    expect(driftDelay(400, 1200, 0)).toBe(2400);
    expect(driftDelay(400, 1200, 2000)).toBe(400);
    expect(driftDelay(0, 1200, 1000)).toBe(1400);
    expect(driftDelay(0, 50, 10_000)).toBe(0);
  });
});
