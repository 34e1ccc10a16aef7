import { describe, expect, it } from "vitest";
import { TraceRequestSchema, TraceSchema } from "./trace";

describe("live:trace", () => {
  it("takes a node, node:interface, or an address as the target", () => {
    for (const to of ["h2", "r1:eth1", "10.1.20.2", "fd00::2"]) expect(TraceRequestSchema.safeParse({ lab: "demo", from: "h1", to }).success).toBe(true);
  });
  it("refuses what is none of them, and bounds out of range, naming the field", () => {
    for (const to of ["", "h2; reboot", "-n", "h2 h3", "$(id)"]) {
      const r = TraceRequestSchema.safeParse({ lab: "demo", from: "h1", to });
      expect(r.success).toBe(false);
      expect(r.error!.issues[0]!.path).toEqual(["to"]);
    }
    expect(TraceRequestSchema.safeParse({ lab: "demo", from: "h1", to: "h2", maxHops: 31 }).success).toBe(false);
    expect(TraceRequestSchema.safeParse({ lab: "demo", from: "h1", to: "h2", timeoutSeconds: 0 }).success).toBe(false);
    expect(TraceRequestSchema.safeParse({ lab: "demo", from: "h1", to: "h2", extra: 1 }).success).toBe(false);
  });
  it("reads a result with a stop and an expected segment", () => {
    const r = TraceSchema.parse({
      lab: "demo",
      from: "h1",
      to: "h2",
      target: "10.1.20.2",
      targetNode: "h2",
      reached: false,
      hops: [{ ttl: 1, probes: [{ address: null, rttMs: null }], address: null, rttMs: null }],
      segments: [
        {
          hop: 0,
          from: { node: "h1", interface: "eth0" },
          to: { node: "r1", interface: "eth0" },
          nodes: ["h1", "s1", "r1"],
          links: ["h1:eth0|s1:eth1", "r1:eth0|s1:eth2"],
          l2: "mac-table",
          rttMs: null,
          expected: true,
        },
      ],
      stop: { at: "r1", last: "h1", next: "r1", code: "forwarding-off", reason: "r1 does not forward IPv4" },
      command: "ip netns exec tl.demo.h1 traceroute -n -I 10.1.20.2",
      output: "",
      durationMs: 2000,
    });
    expect(r.stop?.code).toBe("forwarding-off");
  });
});
