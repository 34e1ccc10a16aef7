import { describe, expect, it } from "vitest";
import type { TraceResult } from "@topolab/engine";
import { traceText } from "./trace";

const reached: TraceResult = {
  lab: "demo",
  from: "h1",
  to: "h2",
  target: "10.1.20.2",
  targetNode: "h2",
  reached: true,
  hops: [
    {
      ttl: 1,
      probes: [
        { address: "10.1.10.1", rttMs: 0.639 },
        { address: "10.1.10.1", rttMs: 0.604 },
      ],
      address: "10.1.10.1",
      node: "r1",
      interface: "eth0",
      rttMs: 0.604,
    },
    {
      ttl: 2,
      probes: [
        { address: "10.1.20.2", rttMs: 12.5 },
        { address: null, rttMs: null },
      ],
      address: "10.1.20.2",
      node: "h2",
      interface: "eth0",
      rttMs: 12.5,
    },
  ],
  segments: [
    {
      hop: 1,
      from: { node: "h1", interface: "eth0" },
      to: { node: "r1", interface: "eth0" },
      nodes: ["h1", "s1", "s2", "r1"],
      links: [],
      l2: "mac-table",
      rttMs: 0.604,
    },
    {
      hop: 2,
      from: { node: "r1", interface: "eth1" },
      to: { node: "h2", interface: "eth0" },
      nodes: ["r1", "b1", "h2"],
      links: [],
      l2: "graph",
      detail: "b1 has not learned h2:eth0's MAC: the shortest path in the lab",
      rttMs: 12.5,
    },
  ],
  command: "ip netns exec tl.demo.h1 traceroute -n -I -q 2 10.1.20.2",
  output: "",
  durationMs: 900,
};

describe("topolab trace's text", () => {
  it("lists each hop by node:interface with its times, and its way across the switches", () => {
    expect(traceText(reached)).toBe(
      [
        "trace h1 → h2 (10.1.20.2) in lab demo: reached in 2 hops",
        " 1  r1:eth0        10.1.10.1       0.639 ms  0.604 ms",
        "    h1:eth0 → s1 → s2 → r1:eth0   (the switches' MAC tables)",
        " 2  h2:eth0        10.1.20.2       12.5 ms  *",
        "    r1:eth1 → b1 → h2:eth0   (the lab's graph: b1 has not learned h2:eth0's MAC: the shortest path in the lab)",
      ].join("\n"),
    );
  });
  it("a stop: the silent hops as one line, where and why, and where it should have gone", () => {
    const silent = (ttl: number) => ({ ttl, probes: [{ address: null, rttMs: null }], address: null, rttMs: null });
    const text = traceText({
      ...reached,
      reached: false,
      hops: [silent(1), silent(2), silent(3)],
      segments: [{ ...reached.segments[0]!, hop: 0, rttMs: null, expected: true }],
      stop: { at: "r1", last: "h1", next: "r1", code: "forwarding-off", reason: "r1 does not forward IPv4 (net.ipv4.ip_forward = 0)" },
    });
    expect(text).toBe(
      [
        "trace h1 → h2 (10.1.20.2) in lab demo: NOT reached",
        " 1-3  *   no answer",
        "",
        "stopped at r1 (last answer from h1): r1 does not forward IPv4 (net.ipv4.ip_forward = 0)",
        "expected next: h1:eth0 → s1 → s2 → r1:eth0   (the switches' MAC tables)",
      ].join("\n"),
    );
  });
  it("a silent hop before an answer is its own line", () => {
    const silent = { ttl: 1, probes: [{ address: null, rttMs: null }], address: null, rttMs: null };
    const text = traceText({ ...reached, hops: [silent, { ...reached.hops[1]!, ttl: 2 }, { ...silent, ttl: 3 }], segments: [] });
    expect(text.split("\n").slice(1)).toEqual([" 1  *   no answer", " 2  h2:eth0        10.1.20.2       12.5 ms  *", " 3  *   no answer"]);
  });
  it("no probe sent: says so", () => {
    const text = traceText({
      ...reached,
      reached: false,
      hops: [],
      segments: [],
      stop: { at: "h1", last: "h1", code: "no-route", reason: "h1 has no route to 10.1.20.2 (h2)" },
    });
    expect(text).toContain(" (no probe was sent)");
    expect(text).toContain("stopped at h1: h1 has no route to 10.1.20.2 (h2)");
  });
});
