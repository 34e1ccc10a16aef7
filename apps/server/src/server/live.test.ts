// Drift items turned into lab:edit changes (adoptChanges): applied to the document, each gives
// the kernel's state back as the document's, and validates.

import { describe, expect, it } from "vitest";
import type { DriftItem } from "@topolab/engine";
import { applyChanges } from "@topolab/protocol";
import { parseLab, validateLab } from "@topolab/topology";
import { adoptChanges, driftView } from "./live";

const lab = parseLab({
  name: "demo",
  nodes: [
    { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.1/24"] } }, routes: [{ to: "10.5.0.0/16", via: "10.0.0.9" }] },
    { name: "h2", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.2/24"] } } },
    { name: "s1", kind: "switch" },
  ],
  links: [{ endpoints: ["h1:eth0", "s1:eth1"] }, { endpoints: ["h2:eth0", "s1:eth2"], state: "down" }],
});

const adopted = (items: DriftItem[]) => {
  const r = applyChanges(lab, adoptChanges(lab, items));
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const v = validateLab(r.document);
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return v.lab;
};

const base = { text: "", origin: "hand" as const };

describe("adoptChanges", () => {
  it("a hand-made address and route join the document; a missing one leaves it", () => {
    const next = adopted([
      { ...base, id: "a", node: "h1", kind: "address", interface: "eth0", dev: "eth0", cidr: "10.9.9.9/24" },
      { ...base, id: "b", node: "h1", kind: "route", to: "0.0.0.0/0", via: "10.0.0.254", dev: "eth0" },
      { ...base, id: "c", node: "h1", kind: "route", to: "10.5.0.0/16", via: "10.0.0.9", origin: "missing" },
      { ...base, id: "d", node: "h2", kind: "address", interface: "eth0", dev: "eth0", cidr: "10.0.0.2/24", origin: "missing" },
    ]);
    const h1 = next.nodes.find((n) => n.name === "h1") as { interfaces: Record<string, { addresses: string[] }>; routes: { to: string; via?: string }[] };
    expect(h1.interfaces["eth0"]!.addresses).toEqual(["10.0.0.1/24", "10.9.9.9/24"]);
    expect(h1.routes).toEqual([{ to: "0.0.0.0/0", via: "10.0.0.254" }]);
    const h2 = next.nodes.find((n) => n.name === "h2") as { interfaces: Record<string, { addresses: string[] }> };
    expect(h2.interfaces["eth0"]?.addresses ?? []).toEqual([]);
  });

  it("an interface taken down by hand is down in the document; a link brought up by hand is up", () => {
    const next = adopted([
      { ...base, id: "e", node: "h1", kind: "interface", interface: "eth0", dev: "eth0", up: false },
      { ...base, id: "f", node: "s1", kind: "link", link: "h2:eth0|s1:eth2", dev: "demo-s1-eth2", up: true },
    ]);
    expect((next.nodes.find((n) => n.name === "h1") as { interfaces: Record<string, { up: boolean }> }).interfaces["eth0"]!.up).toBe(false);
    expect(next.links[1]!.state).toBeUndefined();
    const down = adopted([{ ...base, id: "g", node: "s1", kind: "link", link: "h1:eth0|s1:eth1", dev: "demo-s1-eth1", up: false }]);
    expect(down.links[0]!.state).toBe("down");
  });

  it("each drift item carries its own changes, and adoptAll all of them", () => {
    const items: DriftItem[] = [
      { ...base, id: "a", node: "h1", kind: "address", interface: "eth0", dev: "eth0", cidr: "10.9.9.9/24" },
      { ...base, id: "b", node: "h1", kind: "address", interface: "eth0", dev: "eth0", cidr: "10.8.8.8/24" },
    ];
    const view = driftView(lab, items);
    expect(view.items.map((i) => i.adopt.length)).toEqual([1, 1]);
    expect(view.adoptAll).toHaveLength(1);
    expect(JSON.stringify(view.adoptAll)).toContain("10.8.8.8/24");
    expect(JSON.stringify(view.adoptAll)).toContain("10.9.9.9/24");
  });
});
