// The words a live change is told in (describeNodeChange, describePortChange): pure.

import { describe, expect, it } from "vitest";
import { describeNodeChange, describePortChange, type NodeLive } from "./monitor";

const node = (over: Partial<NodeLive["interfaces"][number]> = {}, routes: NodeLive["routes"] = []): NodeLive => ({
  interfaces: [{ name: "eth0", adminUp: true, carrier: true, operstate: "UP", mac: "02:00:00:00:00:01", mtu: 1500, addresses: ["10.0.0.1/24"], ...over }],
  routes,
  neighbours: [],
});

describe("describeNodeChange", () => {
  it("says what changed on an interface", () => {
    expect(describeNodeChange(node(), node({ adminUp: false }))).toEqual(["eth0 down"]);
    expect(describeNodeChange(node(), node({ carrier: false }))).toEqual(["eth0 up, NO-CARRIER"]);
    expect(describeNodeChange(node(), node({ addresses: ["10.0.0.1/24", "10.9.9.9/24"], mtu: 9000 }))).toEqual(["eth0 mtu 9000", "eth0 +10.9.9.9/24"]);
  });
  it("says routes added and removed with their proto, and a node started or stopped", () => {
    const r = { family: 4 as const, to: "10.1.0.0/16", via: "10.0.0.9", dev: "eth0", proto: "boot", table: "main", type: "unicast" };
    expect(describeNodeChange(node(), node({}, [r]))).toEqual(["route +10.1.0.0/16 via 10.0.0.9 dev eth0 proto boot"]);
    expect(describeNodeChange(node({}, [r]), node())).toEqual(["route -10.1.0.0/16 via 10.0.0.9 dev eth0 proto boot"]);
    expect(describeNodeChange(node(), null)).toEqual(["stopped (its namespace is gone)"]);
    expect(describeNodeChange(null, node())).toEqual(["started"]);
  });
  it("says a switch port's state", () => {
    const p = { name: "x-s1-eth1", endpoint: "s1:eth1", adminUp: true, carrier: true };
    expect(describePortChange([p], [{ ...p, carrier: false }])).toEqual(["s1:eth1 up, NO-CARRIER"]);
    expect(describePortChange([p], [])).toEqual(["s1:eth1 gone"]);
  });
});
