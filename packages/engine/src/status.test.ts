// buildStatus on the reader's view of a lab whose kernel objects all exist: a stale OVS port
// (its kernel device not the one Open vSwitch has open) degrades its switch and the host at the
// other end of its link, with the reason in words; without it every node is up. A DHCP lease
// is shown only while the interface holds its address.

import { describe, expect, it } from "vitest";
import { nsName, parseLab, realize } from "@topolab/topology";
import { buildStatus } from "./status";
import type { IpLink, LabActual } from "./actual";

const lab = parseLab({
  name: "demo",
  nodes: [
    { name: "s1", kind: "switch", type: "ovs" },
    { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } },
    { name: "h2", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.2/24"] } } },
  ],
  links: [{ endpoints: ["h1:eth0", "s1:p1"] }, { endpoints: ["h2:eth0", "s1:p2"] }],
});
const desired = realize(lab, { tag: "demo", ovsDatapath: "netdev" });
const meta = { name: "demo", tag: "demo", createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z", running: true };
const actual = (stale: Map<string, string> = new Map()): LabActual => ({ resources: desired, stale, ns: new Map(), rootLinks: [] });

describe("buildStatus and stale OVS ports", () => {
  it("every node up when every object exists and no port is stale", () => {
    const s = buildStatus("demo", meta, lab, desired, actual());
    expect(s.state).toBe("up");
    expect(s.nodes.map((n) => [n.name, n.state, n.problems])).toEqual([
      ["s1", "up", []],
      ["h1", "up", []],
      ["h2", "up", []],
    ]);
  });

  it("a stale port degrades its switch and the host behind it, and says why", () => {
    const port = desired.find((r) => r.kind === "ovsPort" && r.name === "demo-s1-p2")!;
    const s = buildStatus("demo", meta, lab, desired, actual(new Map([[port.key, "Open vSwitch does not have its kernel device open"]])));
    expect(s.state).toBe("degraded");
    expect(s.nodes.map((n) => [n.name, n.state, n.problems])).toEqual([
      ["s1", "degraded", ["stale: OVS port demo-s1-p2: Open vSwitch does not have its kernel device open; topolab up makes it again"]],
      ["h1", "up", []],
      ["h2", "degraded", ["stale: OVS port demo-s1-p2 of its eth0 forwards nothing; topolab up makes it again"]],
    ]);
  });
});

describe("buildStatus and DHCP leases", () => {
  const eth0 = (address: string): IpLink => ({
    ifindex: 2,
    ifname: "eth0",
    flags: ["BROADCAST", "UP", "LOWER_UP"],
    mtu: 1500,
    addr_info: [{ family: "inet", local: address, prefixlen: 24, scope: "global", dynamic: true }],
  });
  it("shows a lease while the interface holds its address, and not a lease file's leftover", () => {
    const withNs: LabActual = {
      ...actual(),
      ns: new Map([
        [nsName("demo", "h1"), { links: [eth0("10.0.0.10")], routes: [] }],
        [nsName("demo", "h2"), { links: [eth0("10.0.0.2")], routes: [] }],
      ]),
    };
    const leases = new Map([
      ["h1/eth0", { address: "10.0.0.10", server: "10.0.0.1" }],
      // the file of an earlier run (a reset, another VLAN): the kernel holds another address
      ["h2/eth0", { address: "10.0.0.77", server: "10.0.0.1" }],
    ]);
    const s = buildStatus("demo", meta, lab, desired, withNs, { services: [], leases });
    const iface = (node: string) => s.nodes.find((n) => n.name === node)!.interfaces.find((i) => i.name === "eth0")!;
    expect(iface("h1").lease).toEqual({ address: "10.0.0.10", server: "10.0.0.1" });
    expect(iface("h2").addresses).toEqual(["10.0.0.2/24"]);
    expect(iface("h2").lease).toBeUndefined();
  });
});
