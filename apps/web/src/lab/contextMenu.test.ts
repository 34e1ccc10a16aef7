import { describe, expect, it } from "vitest";
import { ChangeSchema, type Change } from "@topolab/protocol";
import { parseLabText } from "@topolab/topology";
import { contextMenuItems, duplicateChanges, registerContextMenuItems, type MenuContext } from "./contextMenu";

const text = `
version: 1
name: wb-menu
nodes:
  - { name: h1, kind: host, position: { x: 100, y: 100 }, label: web, interfaces: { eth0: { addresses: [10.0.0.1/24] } }, routes: [{ to: default, via: 10.0.0.254 }] }
  - { name: s1, kind: switch }
links:
  - { endpoints: [h1:eth0, s1:eth1] }
`;

function lab() {
  const r = parseLabText(text);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.lab;
}

function ctx(): MenuContext & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    lab: lab(),
    edit: (changes: Change[], label: string) => calls.push(`edit ${label} ${JSON.stringify(changes)}`),
    openTerminal: (n) => calls.push(`terminal ${n}`),
    inspect: (t) => calls.push(`inspect ${JSON.stringify(t)}`),
    remove: (s) => calls.push(`remove ${JSON.stringify(s)}`),
    fit: () => calls.push("fit"),
  };
}

describe("contextMenuItems", () => {
  it("offers a host: terminal, edit, duplicate, delete, in that order", () => {
    const c = ctx();
    const items = contextMenuItems({ kind: "node", node: "h1" }, c);
    expect(items.map((i) => i.id)).toEqual(["terminal", "edit", "duplicate", "delete"]);
    items[0]!.run();
    items.at(-1)!.run();
    expect(c.calls).toEqual(["terminal h1", 'remove {"nodes":["h1"],"edges":[]}']);
  });

  it("gives a switch no terminal, a link edit and delete, the canvas a node of each kind", () => {
    const c = ctx();
    expect(contextMenuItems({ kind: "node", node: "s1" }, c).map((i) => i.id)).toEqual(["edit", "duplicate", "delete"]);
    expect(contextMenuItems({ kind: "link", link: "h1:eth0|s1:eth1" }, c).map((i) => i.id)).toEqual(["edit", "delete"]);
    const pane = contextMenuItems({ kind: "pane", position: { x: 300, y: 200 } }, c);
    expect(pane.map((i) => i.id)).toContain("add-router");
    pane.find((i) => i.id === "add-router")!.run();
    expect(c.calls[0]).toMatch(/^edit Add r1 .*"position":\{"x":230,"y":176\}/);
  });

  it("takes items registered later (capture, link down) in their place, and lets them go", () => {
    const off = registerContextMenuItems("wb-capture", (t) => (t.kind === "link" ? [{ id: "capture", label: "Capture", run: () => undefined }] : []), 50);
    const broken = registerContextMenuItems("wb-broken", () => {
      throw new Error("boom");
    });
    expect(contextMenuItems({ kind: "link", link: "h1:eth0|s1:eth1" }, ctx()).map((i) => i.id)).toEqual(["edit", "capture", "delete"]);
    off();
    broken();
    expect(contextMenuItems({ kind: "link", link: "h1:eth0|s1:eth1" }, ctx()).map((i) => i.id)).toEqual(["edit", "delete"]);
  });
});

describe("duplicateChanges", () => {
  it("adds a copy under the next free name, beside it, without what needs its links", () => {
    const changes = duplicateChanges(lab(), "h1");
    expect(changes).toHaveLength(1);
    expect(ChangeSchema.safeParse(changes[0]).success).toBe(true);
    const node = (changes[0] as { node: Record<string, unknown> }).node;
    expect(node).toMatchObject({ name: "h2", kind: "host", label: "web", position: { x: 140, y: 160 } });
    expect(node["interfaces"]).toBeUndefined();
    expect(node["routes"]).toBeUndefined();
    expect(duplicateChanges(lab(), "nope")).toEqual([]);
  });
});
