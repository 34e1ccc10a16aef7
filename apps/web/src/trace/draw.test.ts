import { describe, expect, it } from "vitest";
import type { Trace } from "@topolab/protocol";
import { parseLab } from "@topolab/topology";
import { traceMarks, traceStylesheet } from "./draw";

const lab = parseLab({
  name: "demo",
  nodes: [
    { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.1.10.2/24"] } } },
    { name: "s1", kind: "switch" },
    { name: "r1", kind: "router", interfaces: { eth0: { addresses: ["10.1.10.1/24"] }, eth1: { addresses: ["10.1.20.1/24"] } } },
    { name: "h2", kind: "host", interfaces: { eth0: { addresses: ["10.1.20.2/24"] } } },
  ],
  // r1's link to s1 is written switch first: the canvas's edge goes s1 → r1
  links: [{ endpoints: ["h1:eth0", "s1:eth1"] }, { endpoints: ["s1:eth2", "r1:eth0"] }, { endpoints: ["h2:eth0", "r1:eth1"] }],
});

const base = { lab: "demo", from: "h1", to: "h2", target: "10.1.20.2", targetNode: "h2", command: "traceroute", output: "", durationMs: 1 };
const hop = (ttl: number, address: string | null, node?: string) => ({
  ttl,
  probes: [{ address, rttMs: address ? 0.5 : null }],
  address,
  rttMs: address ? 0.5 : null,
  ...(node ? { node, interface: "eth0" } : {}),
});

const reached: Trace = {
  ...base,
  reached: true,
  hops: [hop(1, "10.1.10.1", "r1"), hop(2, "10.1.20.2", "h2")],
  segments: [
    {
      hop: 1,
      from: { node: "h1", interface: "eth0" },
      to: { node: "r1", interface: "eth0" },
      nodes: ["h1", "s1", "r1"],
      links: ["h1:eth0|s1:eth1", "r1:eth0|s1:eth2"],
      l2: "mac-table",
      rttMs: 0.5,
    },
    {
      hop: 2,
      from: { node: "r1", interface: "eth1" },
      to: { node: "h2", interface: "eth0" },
      nodes: ["r1", "h2"],
      links: ["h2:eth0|r1:eth1"],
      l2: "direct",
      rttMs: 0.5,
    },
  ],
};

describe("a trace on the canvas", () => {
  it("marks each crossed link with its hop, in the packet's direction against the canvas's edge", () => {
    const m = traceMarks(reached, lab);
    expect(m.links.map((l) => [l.link, l.hop, l.reverse, l.expected])).toEqual([
      ["h1:eth0|s1:eth1", 1, false, false],
      ["r1:eth0|s1:eth2", 1, false, false],
      // h2:eth0 — r1:eth1 is drawn h2 → r1; the packet goes r1 → h2
      ["h2:eth0|r1:eth1", 2, true, false],
    ]);
    expect(m.links[0]!.title).toBe("hop 1: h1:eth0 → s1 → r1:eth0, 0.50 ms, by the switches' MAC tables");
    expect(m.nodes).toEqual(["h1", "s1", "r1", "h2"]);
    expect(m.stop).toBeUndefined();
  });
  it("a stop: the expected link dashed, the stop node marked, nothing crossed but the source", () => {
    const stopped: Trace = {
      ...base,
      reached: false,
      hops: [hop(1, null), hop(2, null)],
      segments: [{ ...reached.segments[0]!, hop: 0, rttMs: null, expected: true }],
      stop: { at: "r1", last: "h1", next: "r1", code: "forwarding-off", reason: "r1 does not forward IPv4" },
    };
    const m = traceMarks(stopped, lab);
    expect(m.links.every((l) => l.expected && l.hop === 0)).toBe(true);
    expect(m.links[0]!.title).toMatch(/^expected next, not crossed: h1:eth0 → s1 → r1:eth0$/);
    expect(m.nodes).toEqual(["h1"]);
    expect(m.stop).toEqual({ node: "r1", reason: "r1 does not forward IPv4", code: "forwarding-off" });
    const css = traceStylesheet(m);
    expect(css).toContain(
      '.react-flow__edge[data-id="h1:eth0|s1:eth1"] .lab-edge { stroke: var(--trace-stop, #d33); stroke-width: 3px; stroke-dasharray: 4 5; }',
    );
    expect(css).toContain('.react-flow__node[data-id="r1"] .lab-node { box-shadow: 0 0 0 3px var(--trace-stop, #d33); }');
  });
  it("one stylesheet draws the path; a link the lab no longer has is left out; no trace, no rules", () => {
    const css = traceStylesheet(traceMarks(reached, lab));
    expect(css).toContain(
      '.react-flow__edge[data-id="h2:eth0|r1:eth1"] .lab-edge { stroke: var(--trace, #7b3fe4); stroke-width: 4px; stroke-dasharray: 10 6; animation: trace-flow-reverse',
    );
    expect(css.split("\n").filter((r) => r.includes("animation: trace-flow "))).toHaveLength(2);
    const smaller = { ...lab, links: lab.links.slice(0, 1) };
    expect(traceMarks(reached, smaller).links.map((l) => l.link)).toEqual(["h1:eth0|s1:eth1"]);
    expect(traceStylesheet(null)).toBe("");
  });
});
