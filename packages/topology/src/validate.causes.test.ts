// Issue 13 (items 3 and 10): one bad address is said once, not again as a route's or a DHCP
// server's knock-on error; a node with two interfaces in one subnet is a warning of a valid lab.

import { describe, expect, it } from "vitest";
import { validateLab } from "./validate";

const host = (extra: Record<string, unknown>) => ({
  name: "t",
  nodes: [
    { name: "s1", kind: "switch" },
    { name: "h1", kind: "host", ...extra },
  ],
  links: [{ endpoints: ["h1:eth0", "s1"] }],
});

const issuesOf = (doc: unknown) => {
  const v = validateLab(doc);
  return v.ok ? [] : v.issues.map((i) => `${i.path}: ${i.message}`);
};

describe("the cause, not its consequences", () => {
  it("a bad address does not also make the default route's gateway wrong", () => {
    expect(issuesOf(host({ interfaces: { eth0: { addresses: ["10.0.0.300/24"] } }, routes: [{ to: "default", via: "10.0.0.254" }] }))).toEqual([
      'nodes[1].interfaces.eth0.addresses[0]: "10.0.0.300" is not an IPv4 or IPv6 address',
    ]);
    expect(issuesOf(host({ interfaces: { eth0: { addresses: ["10.0.0.1"] } }, routes: [{ to: "default", via: "10.0.0.254", dev: "eth0" }] }))).toEqual([
      'nodes[1].interfaces.eth0.addresses[0]: "10.0.0.1" has no prefix length (write it like 10.0.0.1/24)',
    ]);
  });

  it("a bad address does not also make its DHCP server's subnet missing", () => {
    expect(
      issuesOf(
        host({
          interfaces: { eth0: { addresses: ["10.0.0.1/33"] } },
          services: [{ type: "dhcp-server", interface: "eth0", range: ["10.0.0.10", "10.0.0.20"] }],
        }),
      ),
    ).toEqual(["nodes[1].interfaces.eth0.addresses[0]: prefix length 33 is outside 0..32 for IPv4"]);
  });

  it("a gateway outside every subnet is still an error when the addresses are good", () => {
    expect(issuesOf(host({ interfaces: { eth0: { addresses: ["10.0.0.1/24"] } }, routes: [{ to: "default", via: "10.9.0.254" }] }))).toEqual([
      "nodes[1].routes[0].via: 10.9.0.254 is not in a subnet of h1 (10.0.0.1/24)",
    ]);
  });
});

describe("warnings", () => {
  it("a router with both links in one subnet is valid, with a warning that says why it will not route", () => {
    const v = validateLab({
      name: "t",
      nodes: [
        { name: "s1", kind: "switch" },
        { name: "s2", kind: "switch" },
        { name: "r1", kind: "router", interfaces: { eth0: { addresses: ["10.0.0.2/24"] }, eth1: { addresses: ["10.0.0.3/24"] } } },
      ],
      links: [{ endpoints: ["r1:eth0", "s1"] }, { endpoints: ["r1:eth1", "s2"] }],
    });
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.warnings.map((w) => `${w.path}: ${w.message}`)).toEqual([
      "nodes[2].interfaces.eth1.addresses[0]: r1 has eth0 (10.0.0.2/24) and eth1 (10.0.0.3/24) in the same subnet 10.0.0.0/24: " +
        "the kernel sends that subnet's traffic out of one of them only, so the router cannot route between them: give each link a subnet of its own",
    ]);
  });
});
