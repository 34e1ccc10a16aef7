import { describe, expect, it } from "vitest";
import type { Drift } from "@topolab/protocol";
import { adoptNode, driftMark, foldDrift, shownTab, tabForKey, tabsOf } from "./tabs";

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
  it("a pushed change replaces the items of the nodes it names, keeps the others', and takes the new adoptAll", () => {
    const adoptAll: Drift["adoptAll"] = [{ type: "updateLink", link: "h2:eth0|s1:eth2", set: { state: "down" } }];
    const newRoute = {
      id: "route:h1:10.7.0.0/16 via -",
      node: "h1",
      kind: "route" as const,
      origin: "hand" as const,
      text: "route to 10.7.0.0/16 was added by hand",
      adopt: [],
    };
    const after = foldDrift(drift, { type: "drift", nodes: { h1: [newRoute], h3: [] }, adoptAll, at: 2 });
    expect(after.items.map((i) => i.id)).toEqual(["link:h2:eth0|s1:eth2", "route:h1:10.7.0.0/16 via -"]);
    expect(after.adoptAll).toEqual(adoptAll);
    expect(after.lab).toBe("demo");
    const cleared = foldDrift(after, { type: "drift", nodes: { h1: [], s1: [] }, adoptAll: [], at: 3 });
    expect(cleared.items).toEqual([]);
    expect(driftMark(cleared, "h1")).toBeNull();
    expect(drift.items).toHaveLength(3); // the drift folded into is left as it was
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
