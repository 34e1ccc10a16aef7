import { describe, expect, it } from "vitest";
import { parseLab, validateLab, type Lab } from "@topolab/topology";
import { applyChanges, ChangeSchema, linkId, onlyCosmetic, type Change } from "./changes";
import { placeIssues } from "./issues";

const base: Lab = parseLab({
  name: "demo",
  nodes: [
    { name: "s1", kind: "switch", position: { x: 0, y: 0 } },
    { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.1/24"] } }, routes: [{ to: "10.9.0.0/16", dev: "eth0" }] },
    { name: "h2", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.2/24"] } } },
  ],
  links: [{ endpoints: ["h1:eth0", "s1"] }, { endpoints: ["h2:eth0", "s1"], vlan: 10 }],
});

function apply(...changes: Change[]): Lab {
  const r = applyChanges(
    base,
    changes.map((c) => ChangeSchema.parse(c)),
  );
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const v = validateLab(r.document);
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return v.lab;
}

function refused(...changes: Change[]) {
  const r = applyChanges(base, changes);
  if (r.ok) throw new Error("applied");
  return r.issues;
}

describe("applyChanges", () => {
  it("leaves the lab it was given alone, and no changes give the same lab", () => {
    const before = JSON.stringify(base);
    expect(apply({ type: "moveNodes", positions: { h1: { x: 5, y: 6 } } })).not.toEqual(base);
    expect(JSON.stringify(base)).toBe(before);
    expect(apply({ type: "moveNodes", positions: {} })).toEqual(base);
  });

  it("adds a host and links it to the next free switch port", () => {
    const lab = apply(
      { type: "addNode", node: { name: "h3", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.3/24"] } }, position: { x: 1, y: 2 } } },
      { type: "addLink", link: { endpoints: ["h3:eth0", "s1"] } },
    );
    expect(lab.nodes.map((n) => n.name)).toEqual(["s1", "h1", "h2", "h3"]);
    expect(lab.links[2]!.endpoints).toEqual([
      { node: "h3", interface: "eth0" },
      { node: "s1", interface: "eth3" },
    ]);
  });

  it("updates node fields: a value replaces, null removes, absent keeps", () => {
    const lab = apply({ type: "updateNode", name: "h2", set: { label: "green", interfaces: { eth0: { addresses: ["10.0.0.22/24"], mtu: 1400 } } } });
    const h2 = lab.nodes.find((n) => n.name === "h2")!;
    expect(h2).toMatchObject({ label: "green", interfaces: { eth0: { addresses: ["10.0.0.22/24"], mtu: 1400 } } });
    const again = applyChanges(lab, [{ type: "updateNode", name: "h2", set: { label: null } }]);
    expect(again.ok && again.document.nodes.find((n) => n["name"] === "h2")).not.toHaveProperty("label");
  });

  it("renames a node, and its links follow", () => {
    const lab = apply({ type: "updateNode", name: "h1", set: { name: "red" } });
    expect(lab.links[0]!.endpoints[0]).toEqual({ node: "red", interface: "eth0" });
    expect(refused({ type: "updateNode", name: "h1", set: { name: "h2" } })).toEqual([
      { path: "changes[0].set.name", message: "there is already a node named h2" },
    ]);
  });

  it("turning a host into a switch drops what a switch cannot have", () => {
    const r = applyChanges(base, [
      { type: "removeLink", link: "h1:eth0" },
      { type: "updateNode", name: "h1", set: { kind: "switch", type: "bridge" } },
    ]);
    expect(r.ok && r.document.nodes[1]).toEqual({ name: "h1", kind: "switch", type: "bridge" });
  });

  it("removing a node removes its links and the settings of the interfaces at their far ends", () => {
    const lab = apply({ type: "removeNode", name: "s1" });
    expect(lab.links).toEqual([]);
    expect(lab.nodes.find((n) => n.name === "h1")).toMatchObject({ interfaces: {}, routes: [] });
  });

  it("finds a link by either endpoint or by its id, and updates or removes it", () => {
    expect(apply({ type: "updateLink", link: "s1:eth2", set: { vlan: 20 } }).links[1]!.vlan).toBe(20);
    expect(apply({ type: "updateLink", link: "h2:eth0", set: { vlan: null } }).links[1]!.vlan).toBeUndefined();
    expect(linkId(base.links[1]!)).toBe("h2:eth0|s1:eth2");
    expect(apply({ type: "removeLink", link: "s1:eth2|h2:eth0" }).links).toHaveLength(1);
    expect(refused({ type: "removeLink", link: "h9:eth0" })).toEqual([{ path: "changes[0].link", message: "there is no link on h9:eth0" }]);
  });

  it("refuses a node that is not there, or a name already taken, at the change's place", () => {
    expect(refused({ type: "moveNodes", positions: { h1: { x: 0, y: 0 } } }, { type: "removeNode", name: "nope" })).toEqual([
      { path: "changes[1].name", message: 'there is no node named "nope"' },
    ]);
    expect(refused({ type: "addNode", node: { name: "h1", kind: "host" } })[0]!.path).toBe("changes[0].node.name");
  });

  it("replaces the whole document, but not its name", () => {
    const doc = { nodes: [{ name: "a", kind: "host" }], links: [] };
    expect(apply({ type: "replace", document: doc }).nodes.map((n) => n.name)).toEqual(["a"]);
    expect(refused({ type: "replace", document: { ...doc, name: "other" } })[0]!.path).toBe("changes[0].document.name");
  });

  it("a change that makes the lab invalid is reported by validateLab, placed on its node or link", () => {
    const r = applyChanges(base, [
      { type: "addNode", node: { name: "h3", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } } },
      { type: "updateLink", link: "h2:eth0", set: { vlan: 5000 } },
    ]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const v = validateLab(r.document);
    expect(v.ok).toBe(false);
    if (v.ok) return;
    const placed = placeIssues(r.document, v.issues);
    expect(placed).toContainEqual(expect.objectContaining({ path: "links[1].vlan", link: "h2:eth0|s1:eth2" }));
    expect(placed).toContainEqual(expect.objectContaining({ path: "nodes[3].interfaces.eth0", node: "h3" }));
  });

  it("tells moves and labels apart from changes the kernel sees", () => {
    expect(onlyCosmetic(base, apply({ type: "moveNodes", positions: { h1: { x: 9, y: 9 } } }, { type: "updateLab", set: { description: "x" } }))).toBe(true);
    expect(onlyCosmetic(base, apply({ type: "updateLink", link: "h2:eth0", set: { vlan: 11 } }))).toBe(false);
  });
});

describe("ChangeSchema", () => {
  it("rejects unknown change types and unknown fields", () => {
    expect(ChangeSchema.safeParse({ type: "dropTables" }).success).toBe(false);
    expect(ChangeSchema.safeParse({ type: "removeNode", name: "h1", extra: 1 }).success).toBe(false);
    expect(ChangeSchema.safeParse({ type: "updateNode", name: "h1", set: { color: "red" } }).success).toBe(false);
  });

  it("rejects a hostile node name before anything else sees it", () => {
    for (const name of ["../../etc", "h1; reboot", "$(id)", "-rf", "a".repeat(33), "h\u00e9"]) {
      expect(ChangeSchema.safeParse({ type: "addNode", node: { name, kind: "host" } }).success, name).toBe(false);
      expect(ChangeSchema.safeParse({ type: "updateNode", name: "h1", set: { name } }).success, name).toBe(false);
    }
  });
});
