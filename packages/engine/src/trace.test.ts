import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseLab } from "@topolab/topology";
import { parseTraceroute } from "./parse/index";
import { traceLab } from "./trace-testing";
import {
  diagnose,
  forwardingKey,
  holes,
  l2Path,
  labGraph,
  sameSegment,
  shortestThroughSwitches,
  targetAddress,
  traceModel,
  tracerouteArgv,
  type KernelInterface,
  type KernelView,
  type StopFacts,
} from "./trace";

const fx = (name: string) => readFileSync(join(import.meta.dirname, "parse", "fixtures", name), "utf8");

// the lab the traceroute fixtures were recorded in (parse/traceroute.test.ts): h1 and h3 on
// two OVS switches, r1 between them and a Linux bridge b1 with h2
const trfx = traceLab("trfx", "10.1");

const iface = (node: string, name: string, mac: string, addresses: string[], up = true): KernelInterface => ({ node, interface: name, mac, addresses, up });

/** The kernel as it was after the trace h1 → h2: addresses (one made by hand on h3), MACs learned. */
function kernel(over: Partial<KernelView> = {}): KernelView {
  return {
    interfaces: [
      iface("h1", "eth0", "02:00:00:00:01:00", ["10.1.10.2/24"]),
      iface("h3", "eth0", "02:00:00:00:03:00", ["10.1.10.3/24", "10.1.10.33/24"]),
      iface("r1", "eth0", "02:00:00:00:0a:00", ["10.1.10.1/24"]),
      iface("r1", "eth1", "02:00:00:00:0a:01", ["10.1.20.1/24"]),
      iface("h2", "eth0", "02:00:00:00:02:00", ["10.1.20.2/24"]),
    ],
    neighbours: new Map(),
    macs: new Map([
      [
        "s1",
        [
          { mac: "02:00:00:00:01:00", vlan: 0, endpoint: "s1:eth1" },
          { mac: "02:00:00:00:0a:00", vlan: 0, endpoint: "s1:eth2" },
        ],
      ],
      [
        "s2",
        [
          { mac: "02:00:00:00:01:00", vlan: 0, endpoint: "s2:eth2" },
          { mac: "02:00:00:00:0a:00", vlan: 0, endpoint: "s2:eth3" },
        ],
      ],
      [
        "b1",
        [
          { mac: "02:00:00:00:0a:01", endpoint: "b1:eth1" },
          { mac: "02:00:00:00:02:00", endpoint: "b1:eth2" },
        ],
      ],
    ]),
    ...over,
  };
}

describe("traceroute's command line", () => {
  it("is numeric ICMP with short full waits, bounded hops, and two hops in flight", () => {
    expect(tracerouteArgv("10.1.20.2")).toEqual(["traceroute", "-n", "-I", "-q", "3", "-N", "6", "-w", "1,0,0", "-m", "8", "10.1.20.2"]);
    expect(tracerouteArgv("10.1.20.2", { maxHops: 4, queries: 1, timeoutSeconds: 0.5 })).toEqual([
      "traceroute",
      "-n",
      "-I",
      "-q",
      "1",
      "-N",
      "2",
      "-w",
      "0.5,0,0",
      "-m",
      "4",
      "10.1.20.2",
    ]);
  });
  it("refuses bounds it would not keep, naming the option", () => {
    expect(() => tracerouteArgv("x", { maxHops: 31 })).toThrow(/maxHops must be a whole number from 1 to 30/);
    expect(() => tracerouteArgv("x", { timeoutSeconds: 0 })).toThrow(/timeoutSeconds/);
    expect(() => tracerouteArgv("x", { queries: 0 })).toThrow(/queries/);
  });
});

describe("holes in a trace", () => {
  it("counts the silent hops before the last answer, not those after it", () => {
    const silent = { probes: [{ address: null, rttMs: null }] };
    const answer = { probes: [{ address: "10.0.0.1", rttMs: 1 }] };
    expect(holes([answer, silent, silent, answer, silent])).toBe(2);
    expect(holes(parseTraceroute(fx("traceroute-reached.txt")).hops)).toBe(0);
    expect(holes(parseTraceroute(fx("traceroute-noforward.txt")).hops)).toBe(0);
  });
});

describe("the lab's graph", () => {
  const g = labGraph(trfx);
  it("finds the shortest way through switches only", () => {
    expect(shortestThroughSwitches(g, "s1", "r1:eth0")).toEqual({ nodes: ["s2", "r1"], links: ["s1:eth2|s2:eth2", "r1:eth0|s2:eth3"] });
    expect(shortestThroughSwitches(g, "s1", "h2:eth0")).toBeNull(); // behind a router: not on the segment
  });
  it("tells which endpoints share a segment", () => {
    expect(sameSegment(g, "h1:eth0", "h3:eth0")).toBe(true);
    expect(sameSegment(g, "h1:eth0", "r1:eth0")).toBe(true);
    expect(sameSegment(g, "h1:eth0", "r1:eth1")).toBe(false);
    expect(sameSegment(g, "r1:eth1", "h2:eth0")).toBe(true);
  });
  it("takes the shorter side of a loop of switches", () => {
    const loop = parseLab({
      name: "loop",
      nodes: [
        { name: "a", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } },
        { name: "b", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.2/24"] } } },
        { name: "s1", kind: "switch", stp: true },
        { name: "s2", kind: "switch", stp: true },
        { name: "s3", kind: "switch", stp: true },
        { name: "s4", kind: "switch", stp: true },
      ],
      links: [
        { endpoints: ["a:eth0", "s1:eth1"] },
        { endpoints: ["s1:eth2", "s2:eth1"] },
        { endpoints: ["s2:eth2", "s3:eth1"] },
        { endpoints: ["s3:eth2", "s4:eth1"] },
        { endpoints: ["s4:eth2", "s1:eth3"] },
        { endpoints: ["b:eth0", "s4:eth3"] },
      ],
    });
    expect(shortestThroughSwitches(labGraph(loop), "s1", "b:eth0")?.nodes).toEqual(["s4", "b"]);
  });
});

describe("an L3 hop expanded across the switches", () => {
  const g = labGraph(trfx);
  it("follows each switch's MAC table to the next hop's MAC", () => {
    expect(l2Path(g, "h1:eth0", "r1:eth0", "02:00:00:00:0a:00", kernel().macs)).toEqual({
      nodes: ["h1", "s1", "s2", "r1"],
      links: ["h1:eth0|s1:eth1", "s1:eth2|s2:eth2", "r1:eth0|s2:eth3"],
      l2: "mac-table",
    });
  });
  it("falls back to the lab's shortest path where a switch has not learned the MAC, and says which switch", () => {
    const macs = new Map(kernel().macs);
    macs.set("s2", [{ mac: "02:00:00:00:01:00", vlan: 0, endpoint: "s2:eth2" }]);
    const p = l2Path(g, "h1:eth0", "r1:eth0", "02:00:00:00:0a:00", macs)!;
    expect(p.nodes).toEqual(["h1", "s1", "s2", "r1"]);
    expect(p.l2).toBe("graph");
    expect(p.detail).toMatch(/^s2 has not learned r1:eth0's MAC \(02:00:00:00:0a:00\): the shortest path in the lab$/);
  });
  it("does not follow a MAC table that leads back where the packet came from, or elsewhere", () => {
    const macs = new Map(kernel().macs);
    macs.set("s2", [{ mac: "02:00:00:00:0a:00", vlan: 0, endpoint: "s2:eth1" }]); // towards h3: stale after a move
    const p = l2Path(g, "h1:eth0", "r1:eth0", "02:00:00:00:0a:00", macs)!;
    expect(p.l2).toBe("graph");
    expect(p.detail).toMatch(/s2's MAC table sends 02:00:00:00:0a:00 to s2:eth1, which does not lead to r1:eth0/);
    expect(p.links.at(-1)).toBe("r1:eth0|s2:eth3");
  });
  it("a MAC in two VLANs: the entry of the VLAN the frame came in on", () => {
    const tagged = parseLab({
      name: "vlans",
      nodes: [
        { name: "a", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } },
        { name: "r", kind: "router", interfaces: { eth0: { addresses: ["10.0.0.254/24"] } } },
        { name: "s1", kind: "switch", stp: true },
        { name: "s2", kind: "switch", stp: true },
      ],
      links: [
        { endpoints: ["a:eth0", "s1:eth1"], vlan: 200 },
        { endpoints: ["s1:eth2", "s2:eth1"], trunk: [100, 200] },
        { endpoints: ["s1:eth3", "s2:eth3"], trunk: [100, 200] },
        { endpoints: ["r:eth0", "s2:eth2"], vlan: 200 },
      ],
    });
    // s1 learned r's MAC on VLAN 100 by one trunk and on VLAN 200 by the other
    const macs = new Map([
      [
        "s1",
        [
          { mac: "02:00:00:00:0a:00", vlan: 100, endpoint: "s1:eth3" },
          { mac: "02:00:00:00:0a:00", vlan: 200, endpoint: "s1:eth2" },
        ],
      ],
      ["s2", [{ mac: "02:00:00:00:0a:00", vlan: 200, endpoint: "s2:eth2" }]],
    ]);
    expect(l2Path(labGraph(tagged), "a:eth0", "r:eth0", "02:00:00:00:0a:00", macs)).toMatchObject({
      nodes: ["a", "s1", "s2", "r"],
      l2: "mac-table",
      links: ["a:eth0|s1:eth1", "s1:eth2|s2:eth1", "r:eth0|s2:eth2"],
    });
  });
  it("a switch whose table was not read is crossed by the graph, and says so", () => {
    const p = l2Path(g, "h1:eth0", "r1:eth0", "02:00:00:00:0a:00", new Map())!;
    expect(p).toMatchObject({ l2: "graph", nodes: ["h1", "s1", "s2", "r1"] });
    expect(p.detail).toMatch(/s1's MAC table was not read/);
  });
  it("a direct link is one link", () => {
    const direct = parseLab({
      name: "pair",
      nodes: [
        { name: "a", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.1/30"] } } },
        { name: "b", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.2/30"] } } },
      ],
      links: [{ endpoints: ["a:eth0", "b:eth0"] }],
    });
    expect(l2Path(labGraph(direct), "a:eth0", "b:eth0", undefined, new Map())).toEqual({ nodes: ["a", "b"], links: ["a:eth0|b:eth0"], l2: "direct" });
  });
});

describe("the hops on the lab (recorded traceroute output)", () => {
  it("names each hop from the kernel's addresses and draws its segment", () => {
    const m = traceModel({
      lab: trfx,
      from: "h1",
      target: "10.1.20.2",
      targetNode: "h2",
      hops: parseTraceroute(fx("traceroute-reached.txt")).hops,
      kernel: kernel(),
    });
    expect(m.reached).toBe(true);
    expect(m.hops.map((h) => [h.ttl, h.node, h.interface, h.rttMs])).toEqual([
      [1, "r1", "eth0", 0.602],
      [2, "h2", "eth0", 0.599],
    ]);
    expect(m.segments.map((s) => [s.hop, `${s.from.node}:${s.from.interface}`, s.nodes.join(">"), `${s.to.node}:${s.to.interface}`, s.l2])).toEqual([
      [1, "h1:eth0", "h1>s1>s2>r1", "r1:eth0", "mac-table"],
      [2, "r1:eth1", "r1>b1>h2", "h2:eth0", "mac-table"],
    ]);
    expect(m.segments[1]!.links).toEqual(["b1:eth1|r1:eth1", "b1:eth2|h2:eth0"]);
  });
  it("an address added by hand is the kernel's, not the document's: h3's 10.1.10.33 is h3", () => {
    const hops = [{ ttl: 1, probes: [{ address: "10.1.10.33", rttMs: 0.2 }] }];
    const m = traceModel({ lab: trfx, from: "h1", target: "10.1.10.33", targetNode: "h3", hops, kernel: kernel() });
    expect(m).toMatchObject({ reached: true, hops: [{ node: "h3", interface: "eth0" }] });
    expect(m.segments[0]!.nodes).toEqual(["h1", "s1", "s2", "h3"]);
    expect(targetAddress(kernel(), "r1", "eth1")).toBe("10.1.20.1");
    expect(targetAddress(kernel(), "h3")).toBe("10.1.10.3");
  });
  it("a router's unreachable mark: not reached, the mark on the hop", () => {
    const m = traceModel({ lab: trfx, from: "h1", target: "10.1.30.9", hops: parseTraceroute(fx("traceroute-netunreach.txt")).hops, kernel: kernel() });
    expect(m.reached).toBe(false);
    expect(m.hops[0]).toMatchObject({ node: "r1", mark: "!N" });
    expect(m.last).toBe("r1");
  });
  it("nothing answered (forwarding off): the last node is the source, no segment crossed", () => {
    const m = traceModel({
      lab: trfx,
      from: "h1",
      target: "10.1.20.2",
      targetNode: "h2",
      hops: parseTraceroute(fx("traceroute-noforward.txt")).hops,
      kernel: kernel(),
    });
    expect(m).toMatchObject({ reached: false, last: "h1", segments: [] });
    expect(m.hops.every((h) => h.address === null && h.rttMs === null)).toBe(true);
  });
  it("hops that did not answer between two that did: the shortest way in the lab, said so", () => {
    const hops = [
      { ttl: 1, probes: [{ address: null, rttMs: null }] },
      { ttl: 2, probes: [{ address: "10.1.20.2", rttMs: 0.4 }] },
    ];
    const m = traceModel({ lab: trfx, from: "h1", target: "10.1.20.2", targetNode: "h2", hops, kernel: kernel() });
    expect(m.reached).toBe(true);
    expect(m.segments).toEqual([
      {
        hop: 2,
        from: { node: "h1", interface: "eth0" },
        to: { node: "h2", interface: "eth0", address: "10.1.20.2" },
        nodes: ["h1", "s1", "s2", "r1", "b1", "h2"],
        links: ["h1:eth0|s1:eth1", "s1:eth2|s2:eth2", "r1:eth0|s2:eth3", "b1:eth1|r1:eth1", "b1:eth2|h2:eth0"],
        l2: "graph",
        detail: "the hops between h1 and h2 did not answer: the shortest path in the lab",
        rttMs: 0.4,
      },
    ]);
  });
  it("the same address in two tenants on one switch (vlan-dhcp): the one in the source's VLAN", () => {
    const tenants = parseLab({
      name: "tenants",
      nodes: [
        { name: "red", kind: "host", interfaces: { eth0: { addresses: ["10.50.50.10/24"] } } },
        { name: "green", kind: "host", interfaces: { eth0: { addresses: ["10.50.50.11/24"] } } },
        { name: "dhcp-r", kind: "host", interfaces: { eth0: { addresses: ["10.50.50.2/24"] } } },
        { name: "dhcp-g", kind: "host", interfaces: { eth0: { addresses: ["10.50.50.2/24"] } } },
        { name: "ovs1", kind: "switch" },
      ],
      links: [
        { endpoints: ["red:eth0", "ovs1:eth1"], vlan: 100 },
        { endpoints: ["green:eth0", "ovs1:eth2"], vlan: 200 },
        // dhcp-g first: the first owner found is the wrong tenant's
        { endpoints: ["dhcp-g:eth0", "ovs1:eth4"], vlan: 200, internal: true },
        { endpoints: ["dhcp-r:eth0", "ovs1:eth3"], vlan: 100, internal: true },
      ],
    });
    const g = labGraph(tenants);
    expect(sameSegment(g, "red:eth0", "green:eth0")).toBe(false);
    expect(sameSegment(g, "red:eth0", "dhcp-r:eth0")).toBe(true);
    expect(sameSegment(g, "green:eth0", "dhcp-g:eth0")).toBe(true);
    const k: KernelView = {
      interfaces: [
        iface("dhcp-g", "eth0", "02:00:00:00:00:0b", ["10.50.50.2/24"]),
        iface("dhcp-r", "eth0", "02:00:00:00:00:0a", ["10.50.50.2/24"]),
        iface("green", "eth0", "02:00:00:00:00:02", ["10.50.50.11/24"]),
        iface("red", "eth0", "02:00:00:00:00:01", ["10.50.50.10/24"]),
      ],
      neighbours: new Map(),
      macs: new Map([["ovs1", [{ mac: "02:00:00:00:00:0a", vlan: 100, endpoint: "ovs1:eth3" }]]]),
    };
    const hops = [{ ttl: 1, probes: [{ address: "10.50.50.2", rttMs: 0.3 }] }];
    const m = traceModel({ lab: tenants, from: "red", target: "10.50.50.2", hops, kernel: k });
    expect(m.hops[0]).toMatchObject({ node: "dhcp-r", interface: "eth0" });
    expect(m.segments[0]).toMatchObject({ nodes: ["red", "ovs1", "dhcp-r"], l2: "mac-table" });
  });
  it("the same address in two tenants: the one on the previous hop's segment", () => {
    const k = kernel();
    k.interfaces.push(iface("h2", "eth1", "02:00:00:00:02:01", ["10.1.10.3/24"])); // h2 also has h3's address, on another segment
    const hops = [{ ttl: 1, probes: [{ address: "10.1.10.3", rttMs: 0.2 }] }];
    expect(traceModel({ lab: trfx, from: "h1", target: "10.1.10.3", hops, kernel: k }).hops[0]!.node).toBe("h3");
  });
});

describe("where it stopped, and why", () => {
  const base: StopFacts = { from: "h1", target: "10.1.20.2", targetNode: "h2", last: "h1" };
  const viaR1 = { gateway: "10.1.10.1", dev: "eth0", type: "unicast" };
  it("a router that does not forward: the stop is on the router", () => {
    expect(diagnose({ ...base, route: viaR1, next: { node: "r1", interface: "eth0" }, nextForwards: false })).toEqual({
      at: "r1",
      last: "h1",
      next: "r1",
      code: "forwarding-off",
      reason: "r1 does not forward IPv4 (net.ipv4.ip_forward = 0): it drops packets for other hosts without a word",
    });
  });
  it("an IPv6 target asks the router's IPv6 forwarding", () => {
    expect(forwardingKey("10.1.20.2")).toBe("net.ipv4.ip_forward");
    expect(forwardingKey("fd00::2")).toBe("net.ipv6.conf.all.forwarding");
    const v6 = diagnose({
      ...base,
      target: "fd00:20::2",
      route: { gateway: "fd00:10::1", dev: "eth0", type: "unicast" },
      next: { node: "r1", interface: "eth0" },
      nextForwards: false,
    });
    expect(v6).toMatchObject({
      at: "r1",
      code: "forwarding-off",
      reason: expect.stringMatching(/^r1 does not forward IPv6 \(net\.ipv6\.conf\.all\.forwarding = 0\)/),
    });
  });
  it("no route at the source", () => {
    expect(diagnose({ ...base, sendFailure: "no-route", route: { refused: "no-route" } })).toMatchObject({
      at: "h1",
      code: "no-route",
      reason: "h1 has no route to 10.1.20.2 (h2)",
    });
  });
  it("a router's mark, explained by its route", () => {
    expect(diagnose({ ...base, last: "r1", mark: { node: "r1", mark: "!N" }, route: { refused: "no-route" } })).toMatchObject({
      at: "r1",
      code: "net-unreachable",
      reason: "r1 answered network unreachable (!N): r1 has no route to 10.1.20.2 (h2)",
    });
    expect(diagnose({ ...base, last: "r1", mark: { node: "r1", mark: "!X" }, route: { refused: "prohibit" } }).code).toBe("prohibited");
  });
  it("the interface out is down", () => {
    const out = { ...iface("h1", "eth0", "02:00:00:00:01:00", ["10.1.10.2/24"], false), down: "without carrier" };
    expect(diagnose({ ...base, route: viaR1, outInterface: out, next: { node: "r1", interface: "eth0" } })).toMatchObject({
      at: "h1",
      next: "r1",
      code: "link-down",
      reason: "h1:eth0 is without carrier",
    });
  });
  it("a gateway no node has", () => {
    expect(diagnose({ ...base, route: { gateway: "10.1.10.254", dev: "eth0", type: "unicast" } })).toMatchObject({
      code: "no-neighbour",
      reason: "no node of the lab has 10.1.10.254, the gateway of h1's route to 10.1.20.2 (h2), on h1:eth0's segment",
    });
  });
  it("a gateway that does not answer ARP", () => {
    const neighbour = { family: 4 as const, address: "10.1.10.1", dev: "eth0", state: "FAILED", router: false };
    expect(diagnose({ ...base, route: viaR1, next: { node: "r1", interface: "eth0" }, neighbour, nextForwards: true })).toMatchObject({
      at: "h1",
      next: "r1",
      code: "no-arp",
    });
  });
  it("a router that forwards but has no route on: its own silence is the ICMP limit", () => {
    const s = diagnose({ ...base, route: viaR1, next: { node: "r1", interface: "eth0" }, nextForwards: true, nextRoute: { refused: "prohibit" } });
    expect(s).toMatchObject({ at: "r1", code: "prohibited" });
    expect(s.reason).toMatch(/^r1's route to 10.1.20.2 \(h2\) is a "prohibit" route \(its ICMP answer did not come back/);
  });
  it("the target itself does not answer", () => {
    const s = diagnose({ ...base, last: "r1", route: { gateway: null, dev: "eth1", type: "unicast" }, next: { node: "h2", interface: "eth0" } });
    expect(s).toMatchObject({ at: "h2", last: "r1", code: "no-answer", reason: "h2 does not answer (a firewall, or ICMP echo ignored)" });
  });
});
