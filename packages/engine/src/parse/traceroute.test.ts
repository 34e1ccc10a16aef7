import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { markMeaning, ParseError, parseRouteGet, parseTraceroute, routeGetRefusal, tracerouteSendFailure } from "./index";

// recorded on this machine (traceroute 2.1.2, `traceroute -n -I -q 3 -w 1,0,0 -m 8` run in h1's
// namespace) in lab trfx: h1 10.1.10.2 on OVS s1 — OVS s2 — h3 10.1.10.3 and r1 10.1.10.1;
// r1 10.1.20.1 on Linux bridge b1 with h2 10.1.20.2; h1's default route via r1, h3 without one;
// r1 with `prohibit 10.1.40.0/24`, `unreachable 10.1.50.0/24`, and once with ip_forward=0
const fx = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", name), "utf8");

describe("traceroute -n", () => {
  it("reads a trace that reached its target through a router", () => {
    const t = parseTraceroute(fx("traceroute-reached.txt"));
    expect(t).toMatchObject({ target: "10.1.20.2", address: "10.1.20.2", maxHops: 8 });
    expect(t.hops.map((h) => h.ttl)).toEqual([1, 2]);
    expect(t.hops[0]!.probes).toEqual([
      { address: "10.1.10.1", rttMs: 0.639 },
      { address: "10.1.10.1", rttMs: 0.604 },
      { address: "10.1.10.1", rttMs: 0.602 },
    ]);
    expect(t.hops[1]!.probes.every((p) => p.address === "10.1.20.2" && p.mark === undefined)).toBe(true);
  });
  it("reads a target on the same segment: one hop", () => {
    const t = parseTraceroute(fx("traceroute-samesegment.txt"));
    expect(t.hops).toHaveLength(1);
    expect(t.hops[0]!.probes.map((p) => p.rttMs)).toEqual([0.305, 0.424, 0.406]);
  });
  it("reads a router's network unreachable (!N), prohibited (!X) and host unreachable (!H), with a probe left unanswered", () => {
    for (const [file, mark] of [
      ["traceroute-netunreach.txt", "!N"],
      ["traceroute-prohibited.txt", "!X"],
      ["traceroute-hostunreach.txt", "!H"],
    ] as const) {
      const t = parseTraceroute(fx(file));
      expect(t.hops).toHaveLength(1);
      const [a, b, c] = t.hops[0]!.probes;
      expect(a).toMatchObject({ address: "10.1.10.1", mark });
      expect(b).toMatchObject({ address: "10.1.10.1", mark });
      expect(c).toEqual({ address: null, rttMs: null });
    }
  });
  it("reads a host unreachable after the router's ARP gave up (3 s)", () => {
    const t = parseTraceroute(fx("traceroute-arpfail.txt"));
    expect(t.hops[1]!.probes[0]).toEqual({ address: "10.1.10.1", rttMs: 3063.496, mark: "!H" });
    expect(t.hops[0]!.probes.every((p) => !p.mark)).toBe(true);
  });
  it("reads a trace where nothing answered (a router that does not forward)", () => {
    const t = parseTraceroute(fx("traceroute-noforward.txt"));
    expect(t.hops).toHaveLength(8);
    expect(t.hops.every((h) => h.probes.length === 3 && h.probes.every((p) => p.address === null && p.rttMs === null))).toBe(true);
  });
  it("reads a hop answered by two routers (traceroute's format: a new address before its times)", () => {
    const t = parseTraceroute(
      "traceroute to 10.9.0.1 (10.9.0.1), 8 hops max, 60 byte packets\n 1  10.1.10.1  0.2 ms  0.1 ms\n 2  10.2.0.1  0.5 ms  10.2.0.5  0.7 ms *\n 3  10.9.0.1  1.1 ms !F-1400  *  *\n",
    );
    expect(t.hops[1]!.probes).toEqual([
      { address: "10.2.0.1", rttMs: 0.5 },
      { address: "10.2.0.5", rttMs: 0.7 },
      { address: null, rttMs: null },
    ]);
    expect(t.hops[2]!.probes[0]!.mark).toBe("!F-1400");
  });
  it("fails on output it cannot read, naming the command", () => {
    expect(() => parseTraceroute(fx("traceroute-noroute.stdout.txt"))).toThrow(/traceroute -n: no "traceroute to …" header/);
    expect(() => parseTraceroute("")).toThrow(ParseError);
    expect(() => parseTraceroute("traceroute to a (10.0.0.1), 8 hops max, 60 byte packets\n 1  10.0.0.1  fast\n")).toThrow(/cannot read "fast"/);
    expect(() => parseTraceroute("traceroute to a (10.0.0.1), 8 hops max, 60 byte packets\n 1  0.5 ms\n")).toThrow(/a time without an address/);
    expect(() => parseTraceroute("traceroute to a (10.0.0.1), 8 hops max, 60 byte packets\n 1  * !H\n")).toThrow(/a mark !H without a probe/);
    expect(() => parseTraceroute("traceroute to a (10.0.0.1), 8 hops max, 60 byte packets\n 1  * * *\n 3  * * *\n")).toThrow(/hop 3 follows hop 1/);
    expect(() => parseTraceroute("traceroute to a (10.0.0.1), 8 hops max, 60 byte packets\nhello\n")).toThrow(/not a hop/);
  });
  it("tells what the stderr of a send that failed means", () => {
    expect(tracerouteSendFailure(fx("traceroute-noroute.stderr.txt"))).toBe("no-route");
    expect(tracerouteSendFailure("traceroute: bad address")).toBeNull();
  });
  it("words the marks", () => {
    expect(markMeaning("!N")).toBe("network unreachable (!N)");
    expect(markMeaning("!F-1400")).toBe("fragmentation needed (!F-1400)");
    expect(markMeaning("!13")).toBe("ICMP unreachable code 13 (!13)");
  });
});

describe("ip -j route get", () => {
  it("reads a route via a gateway and an on-link one", () => {
    expect(parseRouteGet(fx("ip-route-get-h1.json"))).toEqual({ gateway: "10.1.10.1", dev: "eth0", src: "10.1.10.2", type: "unicast" });
    expect(parseRouteGet(fx("ip-route-get-r1-onlink.json"))).toEqual({ gateway: null, dev: "eth1", src: "10.1.20.1", type: "unicast" });
  });
  it("tells the kernel's refusals apart", () => {
    expect(routeGetRefusal(fx("ip-route-get-h3-noroute.stderr.txt"))).toBe("no-route");
    expect(routeGetRefusal(fx("ip-route-get-r1-prohibit.stderr.txt"))).toBe("prohibit");
    expect(routeGetRefusal(fx("ip-route-get-r1-unreachable.stderr.txt"))).toBe("unreachable");
    expect(routeGetRefusal(fx("ip-route-get-r1-blackhole.stderr.txt"))).toBe("blackhole");
    expect(routeGetRefusal("Cannot open network namespace")).toBeNull();
  });
  it("fails on what is not one route", () => {
    expect(() => parseRouteGet("[]")).toThrow(/expected one route, got 0/);
    expect(() => parseRouteGet("")).toThrow(/ip -j route get: no output/);
    expect(() => parseRouteGet('[{"dst":"10.0.0.1"}]')).toThrow(/without a device/);
  });
});
