// Trace on the real kernel: h1 and h3 on two OVS switches (s1 — s2), a router r1 between them
// and a Linux bridge b1 with h2. A trace h1 → h2 passes through r1 and crosses s1, s2 and b1 by
// their MAC tables; h1 → h3 stays on its segment across both OVS switches; with r1's forwarding
// turned off by hand (as a student would in a shell) it stops at r1 and says so; an address
// added by hand is named from the kernel; a bridge that does not learn is crossed by the graph;
// a host without a route, and a router without one, say where and why. The lab is removed and
// proved gone.

import { describe, expect, it } from "vitest";
import { portIfName } from "@topolab/topology";
import type { CommandLogEntry } from "./executor";
import { run } from "./exec";
import { inNode, uniqueLabName } from "./testing";
import { engineSession } from "./testing-session";
import { TraceError } from "./trace";
import { traceLab } from "./trace-testing";

// "tr…": this file's lab names (the trace's prefix)
const name = uniqueLabName("r");
const log: (CommandLogEntry & { lab: string })[] = [];

const lab = () => traceLab(name, "10.71");

const session = engineSession({ log: (e) => log.push(e), lab });

const seg = (s: { from: { node: string; interface: string }; nodes: string[]; to: { node: string; interface: string }; l2: string }) =>
  `${s.from.node}:${s.from.interface} ${s.nodes.join(">")} ${s.to.node}:${s.to.interface} ${s.l2}`;

describe("trace on the real kernel", () => {
  it("h1 → h2 passes through the router, each hop across its switches by their MAC tables", async () => {
    const r = await session.engine.trace(name, "h1", "h2");
    expect(r).toMatchObject({ reached: true, target: "10.71.20.2", targetNode: "h2" });
    expect(r.stop).toBeUndefined();
    expect(r.hops.map((h) => `${h.ttl} ${h.node}:${h.interface} ${h.address}`)).toEqual(["1 r1:eth0 10.71.10.1", "2 h2:eth0 10.71.20.2"]);
    expect(r.hops.every((h) => h.rttMs !== null && h.rttMs > 0)).toBe(true);
    expect(r.segments.map(seg)).toEqual(["h1:eth0 h1>s1>s2>r1 r1:eth0 mac-table", "r1:eth1 r1>b1>h2 h2:eth0 mac-table"]);
    expect(r.segments[0]!.links).toEqual(["h1:eth0|s1:eth1", "s1:eth2|s2:eth2", "r1:eth0|s2:eth3"]);
    expect(r.command).toMatch(new RegExp(`^ip netns exec tl\\.${name}\\.h1 traceroute -n -I .* 10\\.71\\.20\\.2$`));
    // the trace belongs to its lab in the command log
    expect(log.some((e) => e.lab === name && e.op === "trace:h1>h2" && e.command === r.command && e.ok)).toBe(true);
  }, 60_000);

  it("h1 → h3 on the same segment: one hop, the L2 path crosses both OVS switches", async () => {
    const r = await session.engine.trace(name, "h1", "h3");
    expect(r.reached).toBe(true);
    expect(r.hops).toHaveLength(1);
    expect(r.segments.map(seg)).toEqual(["h1:eth0 h1>s1>s2>h3 h3:eth0 mac-table"]);
    expect(r.segments[0]!.links).toEqual(["h1:eth0|s1:eth1", "s1:eth2|s2:eth2", "h3:eth0|s2:eth1"]);
  }, 60_000);

  it("with the router's forwarding off (by hand), it stops at the router and says so; on again, it passes", async () => {
    const off = await inNode(name, "r1", ["sysctl", "-q", "-w", "net.ipv4.ip_forward=0"]);
    expect(off.code).toBe(0);
    try {
      const r = await session.engine.trace(name, "h1", "h2");
      expect(r.reached).toBe(false);
      expect(r.hops.every((h) => h.address === null)).toBe(true);
      expect(r.stop).toMatchObject({ at: "r1", last: "h1", next: "r1", code: "forwarding-off" });
      expect(r.stop!.reason).toMatch(/r1 does not forward IPv4 \(net\.ipv4\.ip_forward = 0\)/);
      // where it should have gone: drawn as expected, not crossed
      expect(r.segments.map((s) => `${seg(s)}${s.expected ? " expected" : ""}`)).toEqual(["h1:eth0 h1>s1>s2>r1 r1:eth0 mac-table expected"]);
    } finally {
      expect((await inNode(name, "r1", ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])).code).toBe(0);
    }
    expect((await session.engine.trace(name, "h1", "h2")).reached).toBe(true);
  }, 60_000);

  it("an address added by hand is named from the kernel, not the document", async () => {
    expect((await inNode(name, "h3", ["ip", "addr", "add", "10.71.10.33/24", "dev", "eth0"])).code).toBe(0);
    try {
      const r = await session.engine.trace(name, "h1", "10.71.10.33");
      expect(r).toMatchObject({ reached: true, targetNode: "h3", hops: [{ node: "h3", interface: "eth0", address: "10.71.10.33" }] });
      expect(r.segments[0]!.nodes).toEqual(["h1", "s1", "s2", "h3"]);
    } finally {
      expect((await inNode(name, "h3", ["ip", "addr", "del", "10.71.10.33/24", "dev", "eth0"])).code).toBe(0);
    }
  }, 60_000);

  it("a switch that has not learned the next hop's MAC is crossed by the lab's graph, and the segment says so", async () => {
    // b1 does not learn on h2's port: h2's MAC never enters its forwarding database (frames to it are flooded)
    const port = portIfName((await session.engine.state.readMeta(name))!.tag, "b1", "eth2");
    const off = await run(["bridge", "link", "set", "dev", port, "learning", "off"]);
    expect(off.code, off.stderr).toBe(0);
    try {
      // and forgets it now (what it learned before stays until it ages out)
      const mac = (JSON.parse((await inNode(name, "h2", ["ip", "-j", "link", "show", "eth0"])).stdout) as { address: string }[])[0]!.address;
      await run(["bridge", "fdb", "del", mac, "dev", port, "master"]); // absent already: nothing to forget
      const r = await session.engine.trace(name, "h1", "h2");
      expect(r.reached).toBe(true);
      const last = r.segments.find((s) => s.to.node === "h2")!;
      expect(last).toMatchObject({ nodes: ["r1", "b1", "h2"], links: ["b1:eth1|r1:eth1", "b1:eth2|h2:eth0"], l2: "graph" });
      expect(last.detail).toMatch(/^b1 has not learned h2:eth0's MAC \([0-9a-f:]{17}\): the shortest path in the lab$/);
      expect(r.segments[0]!.l2).toBe("mac-table");
    } finally {
      expect((await run(["bridge", "link", "set", "dev", port, "learning", "on"])).code).toBe(0);
    }
  }, 60_000);

  it("a host without a route stops at once, at itself", async () => {
    const r = await session.engine.trace(name, "h3", "h2");
    expect(r).toMatchObject({ reached: false, hops: [], stop: { at: "h3", code: "no-route", reason: "h3 has no route to 10.71.20.2 (h2)" } });
  }, 60_000);

  it("a router without a route: it stops there, saying the router has none", async () => {
    const r = await session.engine.trace(name, "h1", "10.71.30.9");
    expect(r.reached).toBe(false);
    expect(r.stop?.at).toBe("r1");
    // the router's "network unreachable", or (its ICMP answers are limited to about one a second) its route read from the kernel
    expect(["net-unreachable", "no-route"]).toContain(r.stop?.code);
    expect(r.stop?.reason).toMatch(/r1 has no route to 10\.71\.30\.9/);
  }, 60_000);

  it("refuses a source or target that is not a host or router, naming the field", async () => {
    await expect(session.engine.trace(name, "s1", "h2")).rejects.toMatchObject({ name: "TraceError", field: "from" });
    await expect(session.engine.trace(name, "h1", "s2")).rejects.toMatchObject({ field: "to", message: expect.stringMatching(/s2 is a switch/) });
    await expect(session.engine.trace(name, "h1", "nobody")).rejects.toBeInstanceOf(TraceError);
    await expect(session.engine.trace("no-such-lab", "h1", "h2")).rejects.toThrow(/there is no lab named no-such-lab/);
  }, 60_000);
});
