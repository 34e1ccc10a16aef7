import { describe, expect, it } from "vitest";
import { parseLab } from "@topolab/topology";
import { edgeStylesheet, formatBps, linksLive } from "./edges";

const lab = parseLab({
  name: "demo",
  nodes: [
    { name: "h1", kind: "host" },
    { name: "h2", kind: "host" },
    { name: "s1", kind: "switch" },
  ],
  links: [{ endpoints: ["h1:eth0", "s1:eth1"] }, { endpoints: ["h2:eth0", "s1:eth2"] }],
});
const iface = (adminUp: boolean, carrier: boolean) => ({
  interfaces: [{ name: "eth0", adminUp, carrier, operstate: "UP", mac: "", mtu: 1500, addresses: [] }],
  routes: [],
  neighbours: [],
});
const ports = [
  { name: "x-s1-eth1", endpoint: "s1:eth1", adminUp: false, carrier: false },
  { name: "x-s1-eth2", endpoint: "s1:eth2", adminUp: true, carrier: true },
];

describe("linksLive", () => {
  it("a link whose switch end is down is broken, with which end and why", () => {
    const [a, b] = linksLive(lab, { h1: iface(true, false), h2: iface(true, true) }, ports, { "h2:eth0": { rxBps: 0, txBps: 2_000_000 } });
    expect(a).toEqual({ id: "h1:eth0|s1:eth1", broken: true, reason: "h1:eth0 has no carrier; s1:eth1 is administratively down", bps: 0 });
    expect(b).toMatchObject({ broken: false, bps: 2_000_000 });
  });
  it("a stopped node (no namespace) breaks its links", () => {
    expect(linksLive(lab, { h1: null, h2: iface(true, true) }, ports, {})[0]!.reason).toContain("h1 is stopped");
  });
  it("the stylesheet marks broken links and thickens busy ones", () => {
    const css = edgeStylesheet(linksLive(lab, { h1: iface(true, false), h2: iface(true, true) }, ports, { "h2:eth0": { rxBps: 0, txBps: 2_000_000 } }));
    expect(css).toContain('.react-flow__edge[data-id="h1:eth0|s1:eth1"] .lab-edge { stroke: var(--live-broken, #d33)');
    expect(css).toMatch(/data-id="h2:eth0\|s1:eth2"\] \.lab-edge \{ stroke-width: [\d.]+px/);
    expect(formatBps(2_000_000)).toBe("2.0 Mbit/s");
  });
});
