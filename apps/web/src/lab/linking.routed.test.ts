// Issue 13 item 3: a routed lab drawn on the canvas with automatic addresses only routes: each
// segment a subnet of its own from the plan, hosts a default route via the router, whichever
// order the links are drawn in.

import { describe, expect, it } from "vitest";
import { applyChanges } from "@topolab/protocol";
import { labWarnings, validateLab, type Lab } from "@topolab/topology";
import { linkChanges } from "./linking";

function lab(doc: Record<string, unknown>): Lab {
  const v = validateLab({ name: "t", ...doc });
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return v.lab;
}

function link(l: Lab, a: string, b: string): Lab {
  const r = applyChanges(l, linkChanges(l, a, b));
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return lab(r.document);
}

const view = (l: Lab) =>
  Object.fromEntries(
    l.nodes.flatMap((n) =>
      n.kind === "host" || n.kind === "router"
        ? [
            [
              n.name,
              {
                ...Object.fromEntries(Object.entries(n.interfaces).map(([k, v]) => [k, v.addresses.join(" ")])),
                ...(n.routes.length ? { routes: n.routes.map((r) => `${r.to} via ${r.via}`).join(", ") } : {}),
              },
            ],
          ]
        : [],
    ),
  );

const blank = () =>
  lab({
    addressPlan: "10.0.0.0/24",
    nodes: [
      { name: "h1", kind: "host" },
      { name: "h2", kind: "host" },
      { name: "r1", kind: "router" },
      { name: "s1", kind: "switch" },
      { name: "s2", kind: "switch" },
    ],
  });

describe("a routed lab from automatic addresses", () => {
  it("hosts first, then the router: each switch a subnet, the hosts a default route via r1", () => {
    let l = blank();
    for (const [a, b] of [
      ["h1", "s1"],
      ["h2", "s2"],
      ["r1", "s1"],
      ["r1", "s2"],
    ] as const)
      l = link(l, a, b);
    expect(view(l)).toEqual({
      h1: { eth0: "10.0.0.1/24", routes: "0.0.0.0/0 via 10.0.0.2" },
      h2: { eth0: "10.0.1.1/24", routes: "0.0.0.0/0 via 10.0.1.2" },
      r1: { eth0: "10.0.0.2/24", eth1: "10.0.1.2/24" },
    });
    expect(labWarnings(l)).toEqual([]);
  });

  it("the router first, then the hosts; and hosts linked straight to the router", () => {
    let l = blank();
    for (const [a, b] of [
      ["r1", "s1"],
      ["r1", "s2"],
      ["h1", "s1"],
      ["h2", "s2"],
    ] as const)
      l = link(l, a, b);
    expect(view(l)).toEqual({
      h1: { eth0: "10.0.0.2/24", routes: "0.0.0.0/0 via 10.0.0.1" },
      h2: { eth0: "10.0.1.2/24", routes: "0.0.0.0/0 via 10.0.1.1" },
      r1: { eth0: "10.0.0.1/24", eth1: "10.0.1.1/24" },
    });
    let d = blank();
    for (const [a, b] of [
      ["h1", "r1"],
      ["r1", "h2"],
    ] as const)
      d = link(d, a, b);
    expect(view(d)).toEqual({
      h1: { eth0: "10.0.0.1/24", routes: "0.0.0.0/0 via 10.0.0.2" },
      h2: { eth0: "10.0.1.2/24", routes: "0.0.0.0/0 via 10.0.1.1" },
      r1: { eth0: "10.0.0.2/24", eth1: "10.0.1.1/24" },
    });
  });

  it("a host with a route of its own keeps it", () => {
    let l = lab({
      addressPlan: "10.0.0.0/24",
      nodes: [
        { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.1/24"] } }, routes: [{ to: "default", via: "10.0.0.254" }] },
        { name: "r1", kind: "router" },
        { name: "s1", kind: "switch" },
      ],
      links: [{ endpoints: ["h1:eth0", "s1"] }],
    });
    l = link(l, "r1", "s1");
    expect(view(l)["h1"]).toEqual({ eth0: "10.0.0.1/24", routes: "0.0.0.0/0 via 10.0.0.254" });
  });
});
