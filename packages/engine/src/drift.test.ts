// Drift per node and per link, and the tracker that keeps a lab's drift piece by piece: pure,
// on namespaces recorded from a real lab (fixtures/drift: `ip -n tl.dfrec.h1 -j -d link show`,
// `-j addr show`, `-j route show table all` of Mininet's single,2, clean, then with an address,
// an IPv6 address and a route added by hand, then with its address removed and eth0 taken down;
// the root side's two switch ports with s1-eth2 taken down).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { validateLab, type Lab } from "@topolab/topology";
import { describe, expect, it } from "vitest";
import { DriftTracker, driftPlan, linkDrift, nodeDrift, type DriftNet } from "./drift";
import { parseAddresses, parseLinks, parseRoutes } from "./parse/index";

const fx = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", "drift", name), "utf8");

function labOf(): Lab {
  const v = validateLab(JSON.parse(fx("lab.json")));
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return v.lab;
}

/** A namespace as readNetns gives it, from the three recorded reads. */
function net(state: string): DriftNet {
  const addrs = new Map(parseAddresses(fx(`${state}-addr.json`)).map((a) => [a.ifindex, a.addresses]));
  return {
    interfaces: parseLinks(fx(`${state}-link.json`)).map((l) => ({ name: l.name, adminUp: l.adminUp, addresses: addrs.get(l.ifindex) ?? [] })),
    routes: parseRoutes(fx(`${state}-route.json`), 4),
  };
}

const rootPorts = () => parseLinks(fx("root-s1-eth2-down-link.json"));

describe("nodeDrift", () => {
  const plan = driftPlan(labOf(), "dfrec");

  it("a node as its document says has none", () => {
    expect(nodeDrift(plan, "h1", net("h1-clean"))).toEqual([]);
  });

  it("lists what was made by hand: addresses (IPv4 and IPv6) and routes, sorted by id, never link-local ones", () => {
    const items = nodeDrift(plan, "h1", net("h1-hand"));
    expect(items.map((i) => [i.id, i.origin])).toEqual([
      ["address:h1:eth0:10.9.9.9/24", "hand"],
      ["address:h1:eth0:2001:db8::9/64", "hand"],
      ["route:h1:10.77.0.0/16 via 10.0.0.2", "hand"],
    ]);
    expect(items[0]).toMatchObject({
      kind: "address",
      node: "h1",
      interface: "eth0",
      dev: "eth0",
      cidr: "10.9.9.9/24",
      text: "10.9.9.9/24 on eth0 was added by hand",
    });
    expect(items[2]).toMatchObject({ kind: "route", to: "10.77.0.0/16", via: "10.0.0.2", dev: "eth0" });
  });

  it("lists what is missing and an interface taken down by hand", () => {
    const items = nodeDrift(plan, "h1", net("h1-missing-down"));
    expect(items.map((i) => [i.id, i.origin, i.text])).toEqual([
      ["address:h1:eth0:10.0.0.1/8", "missing", "10.0.0.1/8 on eth0 is missing"],
      ["interface:h1:eth0", "hand", "eth0 was taken down by hand"],
    ]);
  });

  it("a node that is not a host or router, or not in the document, has none", () => {
    expect(nodeDrift(plan, "s1", net("h1-hand"))).toEqual([]);
    expect(nodeDrift(plan, "h9", net("h1-hand"))).toEqual([]);
  });

  it("what the document asks for decides: the hand-made address taken into the document is no longer drift", () => {
    const lab = labOf();
    const h1 = lab.nodes.find((n) => n.name === "h1")!;
    if (h1.kind !== "host") throw new Error("h1 is a host");
    h1.interfaces["eth0"]!.addresses.push("10.9.9.9/24");
    const items = nodeDrift(driftPlan(lab, "dfrec"), "h1", net("h1-hand"));
    expect(items.map((i) => i.id)).toEqual(["address:h1:eth0:2001:db8::9/64", "route:h1:10.77.0.0/16 via 10.0.0.2"]);
    // and on the clean namespace that address is missing now
    expect(nodeDrift(driftPlan(lab, "dfrec"), "h1", net("h1-clean")).map((i) => [i.id, i.origin])).toEqual([["address:h1:eth0:10.9.9.9/24", "missing"]]);
  });
});

describe("linkDrift", () => {
  it("a root-side end taken down by hand: the link's item, on its switch", () => {
    const items = linkDrift(driftPlan(labOf(), "dfrec"), rootPorts());
    expect(items).toEqual([
      {
        id: "link:h2:eth0|s1:eth2",
        node: "s1",
        origin: "hand",
        kind: "link",
        link: "h2:eth0|s1:eth2",
        dev: "dfrec-s1-eth2",
        up: false,
        text: "link h2:eth0|s1:eth2 was taken down by hand (dfrec-s1-eth2 is down)",
      },
    ]);
  });
  it("ends that are up, or not there, are not drift", () => {
    const plan = driftPlan(labOf(), "dfrec");
    expect(
      linkDrift(
        plan,
        rootPorts().map((p) => ({ name: p.name, adminUp: true })),
      ),
    ).toEqual([]);
    expect(linkDrift(plan, [])).toEqual([]);
  });
});

describe("DriftTracker", () => {
  it("answers the nodes whose items changed, and only those", () => {
    const t = new DriftTracker(labOf(), "dfrec");
    expect(t.setNode("h1", net("h1-clean"))).toEqual([]);
    expect(t.setNode("h2", net("h1-clean"))).toEqual(["h2"]); // h1's recorded namespace is not h2's document: 10.0.0.1 by hand, 10.0.0.2 missing
    expect(t.setNode("h1", net("h1-hand"))).toEqual(["h1"]);
    expect(t.setNode("h1", net("h1-hand"))).toEqual([]); // read again, same state
    expect(t.itemsOf("h1")).toHaveLength(3);
    expect(t.setPorts(rootPorts())).toEqual(["s1"]);
    expect(t.setPorts(rootPorts())).toEqual([]);
    expect(t.itemsOf("s1").map((i) => i.id)).toEqual(["link:h2:eth0|s1:eth2"]);
    expect(t.items().map((i) => i.id)).toEqual([...t.items().map((i) => i.id)].sort((a, b) => a.localeCompare(b)));
    expect(t.items()).toHaveLength(6);
    // the namespace gone (node stopped): none of its own items left
    expect(t.setNode("h1", null)).toEqual(["h1"]);
    expect(t.itemsOf("h1")).toEqual([]);
  });

  it("a changed document works every node out again from the kept states, without reading anything", () => {
    const lab = labOf();
    const t = new DriftTracker(lab, "dfrec");
    t.setNode("h1", net("h1-hand"));
    t.setNode("h2", net("h1-clean"));
    t.setPorts(rootPorts());
    expect(t.setLab(structuredClone(lab))).toEqual([]); // the same document
    const next = structuredClone(lab);
    const h1 = next.nodes.find((n) => n.name === "h1")!;
    if (h1.kind !== "host") throw new Error("h1 is a host");
    h1.interfaces["eth0"]!.addresses.push("10.9.9.9/24");
    expect(t.setLab(next)).toEqual(["h1"]);
    expect(t.itemsOf("h1").map((i) => i.id)).toEqual(["address:h1:eth0:2001:db8::9/64", "route:h1:10.77.0.0/16 via 10.0.0.2"]);
    // the link taken into the document as down: s1's item goes
    const down = structuredClone(next);
    down.links.find((l) => l.endpoints.some((e) => e.node === "h2"))!.state = "down";
    expect(t.setLab(down)).toContain("s1");
    expect(t.itemsOf("s1")).toEqual([]);
    // h2 removed from the document: its items go with it
    const without = structuredClone(down);
    without.nodes = without.nodes.filter((n) => n.name !== "h2");
    without.links = without.links.filter((l) => !l.endpoints.some((e) => e.node === "h2"));
    expect(t.setLab(without)).toContain("h2");
    expect(t.itemsOf("h2")).toEqual([]);
  });
});
