import { describe, expect, it } from "vitest";
import { parseLab } from "./validate";
import { freeSubnet, labWarnings, nextInterfaceName, segmentOf, suggestAddress, suggestDefaultRoutes } from "./suggest";

const lab = (extra: Record<string, unknown> = {}, h2: Record<string, unknown> = {}) =>
  parseLab({
    name: "demo",
    nodes: [
      { name: "s1", kind: "switch" },
      { name: "s2", kind: "switch" },
      { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } },
      { name: "h2", kind: "host", ...h2 },
      { name: "h3", kind: "host" },
    ],
    links: [{ endpoints: ["h1", "s1"] }, { endpoints: ["s1", "s2"] }, { endpoints: ["h2", "s2"] }],
    ...extra,
  });

describe("suggestions for the canvas", () => {
  it("names the next interface as validate would", () => {
    expect(nextInterfaceName(lab(), "h1")).toBe("eth1");
    expect(nextInterfaceName(lab(), "h3")).toBe("eth0");
    expect(nextInterfaceName(lab(), "s1")).toBe("eth3");
  });
  it("takes the next free address of the segment's subnet, across switches", () => {
    expect(suggestAddress(lab(), "h2", "eth0")).toBe("10.0.0.2/24");
    expect(suggestAddress(lab({}, { interfaces: { eth0: { addresses: ["10.0.0.2/24"] } } }), "h2", "eth0")).toBe("10.0.0.3/24");
  });
  it("falls back to the lab's address plan, skips what DHCP hands out, and says nothing without either", () => {
    const planned = parseLab({
      name: "p",
      addressPlan: "192.168.5.7/24",
      nodes: [
        { name: "s1", kind: "switch" },
        {
          name: "d",
          kind: "host",
          interfaces: { eth0: { addresses: ["192.168.5.1/24"] } },
          services: [{ type: "dhcp-server", interface: "eth0", range: ["192.168.5.2", "192.168.5.50"] }],
        },
        { name: "h", kind: "host" },
      ],
      links: [{ endpoints: ["d", "s1"] }, { endpoints: ["h", "s1"] }],
    });
    expect(planned.addressPlan).toBe("192.168.5.0/24");
    expect(suggestAddress(planned, "h", "eth0")).toBe("192.168.5.51/24");
    const bare = parseLab({
      name: "x",
      nodes: [
        { name: "s1", kind: "switch" },
        { name: "h", kind: "host" },
      ],
      links: [{ endpoints: ["h", "s1"] }],
    });
    expect(suggestAddress(bare, "h", "eth0")).toBeNull();
  });
});

// a router between two switches, hosts on each, no address typed by hand
const routed = (extra: Record<string, unknown> = {}, nodes: Record<string, Record<string, unknown>> = {}) =>
  parseLab({
    name: "routed",
    addressPlan: "10.0.0.0/24",
    nodes: [
      { name: "s1", kind: "switch" },
      { name: "s2", kind: "switch" },
      { name: "r1", kind: "router", ...nodes["r1"] },
      { name: "h1", kind: "host", ...nodes["h1"] },
      { name: "h2", kind: "host", ...nodes["h2"] },
    ],
    links: [{ endpoints: ["h1", "s1"] }, { endpoints: ["r1", "s1"] }, { endpoints: ["r1", "s2"] }, { endpoints: ["h2", "s2"] }],
    ...extra,
  });

describe("a subnet per segment", () => {
  it("finds the interfaces one broadcast reaches, per VLAN, across switches", () => {
    const l = routed();
    expect(segmentOf(l, "r1", "eth0")).toEqual([{ node: "h1", interface: "eth0" }]);
    expect(segmentOf(l, "r1", "eth1")).toEqual([{ node: "h2", interface: "eth0" }]);
    const vlans = parseLab({
      name: "v",
      nodes: [{ name: "s1", kind: "switch" }, { name: "s2", kind: "switch" }, ...["a", "b", "c", "d"].map((name) => ({ name, kind: "host" }))],
      links: [
        { endpoints: ["a", "s1"], vlan: 100 },
        { endpoints: ["b", "s1"], vlan: 200 },
        { endpoints: ["s1", "s2"], trunk: [100] },
        { endpoints: ["c", "s2"], vlan: 100 },
        { endpoints: ["d", "s2"], vlan: 200 },
      ],
    });
    expect(segmentOf(vlans, "a", "eth0")).toEqual([{ node: "c", interface: "eth0" }]);
    // VLAN 200 does not cross the trunk
    expect(segmentOf(vlans, "b", "eth0")).toEqual([]);
    expect(segmentOf(routed(), "h1", "eth9")).toEqual([]);
  });

  it("gives a router's second link a subnet of its own from the plan, and its hosts addresses in it", () => {
    // before the fix both interfaces of r1 came from the plan's one /24 (10.0.0.2, 10.0.0.3)
    let l = routed({}, { h1: { interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } } });
    expect(suggestAddress(l, "r1", "eth0")).toBe("10.0.0.2/24");
    l = routed({}, { h1: { interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } }, r1: { interfaces: { eth0: { addresses: ["10.0.0.2/24"] } } } });
    expect(suggestAddress(l, "r1", "eth1")).toBe("10.0.1.1/24");
    l = routed(
      {},
      {
        h1: { interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } },
        r1: { interfaces: { eth0: { addresses: ["10.0.0.2/24"] }, eth1: { addresses: ["10.0.1.1/24"] } } },
      },
    );
    expect(suggestAddress(l, "h2", "eth0")).toBe("10.0.1.2/24");
  });

  it("takes /24s inside a wide plan, blocks after a narrow one, and skips subnets in use", () => {
    const empty = (plan: string, nodes: unknown[] = []) => parseLab({ name: "p", addressPlan: plan, nodes });
    expect(formatNet(freeSubnet(empty("10.20.0.0/16")))).toBe("10.20.0.0/24");
    expect(formatNet(freeSubnet(empty("10.0.0.0/16", [{ name: "h", kind: "host", interfaces: { lo: { addresses: ["10.0.0.1/24", "10.0.1.9/24"] } } }])))).toBe(
      "10.0.0.0/24",
    );
    const used = [
      { name: "h", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.1/24"] }, eth1: { addresses: ["10.0.1.1/25"] } } },
      { name: "s", kind: "switch" },
    ];
    const withLinks = (plan: string) =>
      parseLab({ name: "p", addressPlan: plan, nodes: used, links: [{ endpoints: ["h:eth0", "s"] }, { endpoints: ["h:eth1", "s"] }] });
    expect(formatNet(freeSubnet(withLinks("10.0.0.0/24")))).toBe("10.0.2.0/24");
    expect(formatNet(freeSubnet(withLinks("10.0.0.0/28")))).toBe("10.0.1.128/28");
    expect(formatNet(freeSubnet(withLinks("10.0.0.0/23")))).toBeNull();
    expect(freeSubnet(parseLab({ name: "p", nodes: [] }))).toBeNull();
  });

  it("gives hosts without a default route one via the router of their segment", () => {
    const l = routed(
      {},
      {
        h1: { interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } },
        h2: { interfaces: { eth0: { addresses: ["10.0.1.2/24"] } }, routes: [{ to: "default", via: "10.0.1.1" }] },
        r1: { interfaces: { eth0: { addresses: ["10.0.0.2/24"] }, eth1: { addresses: ["10.0.1.1/24"] } } },
      },
    );
    expect(suggestDefaultRoutes(l, ["h1", "h2", "r1", "s1"])).toEqual([{ node: "h1", via: "10.0.0.2" }]);
    // a host in another subnet than the router's address on the segment gets nothing
    const apart = routed({}, { h1: { interfaces: { eth0: { addresses: ["10.9.0.1/24"] } } }, r1: { interfaces: { eth0: { addresses: ["10.0.0.2/24"] } } } });
    expect(suggestDefaultRoutes(apart, ["h1"])).toEqual([]);
  });
});

describe("warnings", () => {
  it("flag a node with two interfaces in one subnet, and nothing else", () => {
    const same = routed({}, { r1: { interfaces: { eth0: { addresses: ["10.0.0.2/24"] }, eth1: { addresses: ["10.0.0.3/24"] } } } });
    const w = labWarnings(same);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ node: "r1", path: "nodes[2].interfaces.eth1.addresses[0]" });
    expect(w[0]!.message).toBe(
      "r1 has eth0 (10.0.0.2/24) and eth1 (10.0.0.3/24) in the same subnet 10.0.0.0/24: the kernel sends that subnet's traffic out of one of them only, so the router cannot route between them: give each link a subnet of its own",
    );
    const apart = routed({}, { r1: { interfaces: { eth0: { addresses: ["10.0.0.2/24"] }, eth1: { addresses: ["10.0.1.1/24"] } } } });
    expect(labWarnings(apart)).toEqual([]);
    // a /16 on one interface and a /24 inside it on another overlap too
    const nested = routed({}, { r1: { interfaces: { eth0: { addresses: ["10.0.0.2/16"] }, eth1: { addresses: ["10.0.5.1/24"] } } } });
    expect(labWarnings(nested).map((x) => x.path)).toEqual(["nodes[2].interfaces.eth1.addresses[0]"]);
  });
});

function formatNet(c: ReturnType<typeof freeSubnet>): string | null {
  if (!c) return null;
  const v = c.ip.value;
  return `${[24n, 16n, 8n, 0n].map((s) => ((v >> s) & 255n).toString()).join(".")}/${c.prefix}`;
}
