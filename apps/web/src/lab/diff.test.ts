import { describe, expect, it } from "vitest";
import { applyChanges, linkId, type Change } from "@topolab/protocol";
import { validateLab, type Lab } from "@topolab/topology";
import { diffLabs, previewChanges, touchedNodes } from "./diff";

function lab(doc: Record<string, unknown>): Lab {
  const v = validateLab({ name: "t", ...doc });
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return v.lab;
}

const base = lab({
  addressPlan: "10.0.0.0/24",
  nodes: [
    { name: "s1", kind: "switch", position: { x: 0, y: 0 } },
    { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.1/24"] } }, routes: [{ to: "default", via: "10.0.0.254" }] },
    { name: "h2", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.2/24"] } } },
  ],
  links: [{ endpoints: ["h1:eth0", "s1:eth1"] }, { endpoints: ["h2:eth0", "s1:eth2"], vlan: 10 }],
});

/** A lab with its nodes and links in a fixed order: an undone removal comes back at the end. */
function normal(l: Lab | null): unknown {
  if (!l) return null;
  return { ...l, nodes: [...l.nodes].sort((a, b) => a.name.localeCompare(b.name)), links: l.links.map((x) => linkId(x)).sort() };
}

function applied(l: Lab, changes: Change[]): Lab | null {
  const r = applyChanges(l, changes);
  const v = r.ok ? validateLab(r.document) : null;
  return v?.ok ? v.lab : null;
}

/** The undo of an edit, applied after it, gives back the lab before it (and the redo, after). */
function roundTrip(changes: Change[]) {
  const after = previewChanges(base, changes);
  expect(after).not.toBeNull();
  const undo = diffLabs(after!, base);
  const redo = diffLabs(base, after!);
  expect(normal(applied(after!, undo))).toEqual(normal(base));
  expect(normal(applied(base, redo))).toEqual(normal(after));
  return { undo, redo };
}

describe("diffLabs: undo and redo as changes", () => {
  it("removing a node brings it, its links and its peers' settings back", () => {
    const { undo } = roundTrip([{ type: "removeNode", name: "h1" }]);
    expect(undo.map((c) => c.type)).toEqual(["addNode", "addLink"]);
  });

  it("an address change, a VLAN change, a new node and a move", () => {
    roundTrip([{ type: "updateNode", name: "h2", set: { interfaces: { eth0: { addresses: ["10.0.0.9/24"] } } } }]);
    roundTrip([{ type: "updateLink", link: "h2:eth0", set: { vlan: null, trunk: [10, 20] } }]);
    roundTrip([{ type: "addNode", node: { name: "r1", kind: "router", position: { x: 5, y: 5 } } }]);
    const { undo } = roundTrip([{ type: "moveNodes", positions: { s1: { x: 100, y: 50 } } }]);
    expect(undo).toEqual([{ type: "moveNodes", positions: { s1: { x: 0, y: 0 } } }]);
  });

  it("lab settings, and nothing when nothing changed", () => {
    roundTrip([{ type: "updateLab", set: { description: "hello", addressPlan: null } }]);
    expect(diffLabs(base, base)).toEqual([]);
  });
});

describe("previewChanges", () => {
  it("is null for changes the server would refuse", () => {
    expect(previewChanges(base, [{ type: "updateNode", name: "h1", set: { interfaces: { eth0: { addresses: ["10.0.0.300/24"] } } } }])).toBeNull();
    expect(previewChanges(base, [{ type: "removeNode", name: "nope" }])).toBeNull();
  });

  it("moves keep the other nodes' objects", () => {
    const moved = previewChanges(base, [{ type: "moveNodes", positions: { h1: { x: 1, y: 2 } } }])!;
    expect(moved.nodes[0]).toBe(base.nodes[0]);
    expect(moved.nodes[1]!.position).toEqual({ x: 1, y: 2 });
  });

  it("touchedNodes names the nodes an edit creates or changes", () => {
    expect(
      touchedNodes([
        { type: "addNode", node: { name: "x", kind: "host" } },
        { type: "addLink", link: { endpoints: ["x:eth0", { node: "s1" }] } },
      ]),
    ).toEqual(["x", "x", "s1"]);
  });
});
