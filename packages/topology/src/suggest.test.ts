import { describe, expect, it } from "vitest";
import { parseLab } from "./validate";
import { nextInterfaceName, suggestAddress } from "./suggest";

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
    expect(suggestAddress(lab(), "s1")).toBe("10.0.0.2/24");
    expect(suggestAddress(lab({}, { interfaces: { eth0: { addresses: ["10.0.0.2/24"] } } }), "s2")).toBe("10.0.0.3/24");
  });
  it("falls back to the lab's address plan, skips what DHCP hands out, and says nothing without either", () => {
    const planned = parseLab({
      name: "p",
      addressPlan: "192.168.5.7/24",
      nodes: [
        { name: "s1", kind: "switch" },
        { name: "d", kind: "host", interfaces: { eth0: { addresses: ["192.168.5.1/24"] } }, services: [{ type: "dhcp-server", interface: "eth0", range: ["192.168.5.2", "192.168.5.50"] }] },
      ],
      links: [{ endpoints: ["d", "s1"] }],
    });
    expect(planned.addressPlan).toBe("192.168.5.0/24");
    expect(suggestAddress(planned, "s1")).toBe("192.168.5.51/24");
    expect(suggestAddress(parseLab({ name: "x", nodes: [{ name: "s1", kind: "switch" }] }), "s1")).toBeNull();
  });
});
