import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ParseError, parseFpingReport, parsePingStats } from "./index";

// recorded on this machine (fping 5.1, iputils ping) between two namespaces joined by a veth:
// A 10.99.7.1/24, B 10.99.7.2/24 and 10.99.7.3/24; 10.99.7.9 is nobody on the segment, 10.99.8.9
// has no route; "ignored" with net.ipv4.icmp_echo_ignore_all=1 in B.
const fx = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", "fping", name), "utf8");

describe("fping's report", () => {
  it("reads alive with its round trip, unreachable, and the send error of a target without a route", () => {
    const r = parseFpingReport(fx("fping-e.stdout.txt"), fx("fping-e.stderr.txt"), ["10.99.7.2", "10.99.7.3", "10.99.7.9", "10.99.8.9"]);
    expect(r.get("10.99.7.2")).toEqual({ address: "10.99.7.2", alive: true, rttMs: 0.204, summary: null, lines: ["10.99.7.2 is alive (0.204 ms)"] });
    expect(r.get("10.99.7.3")).toMatchObject({ alive: true, rttMs: 0.045 });
    expect(r.get("10.99.7.9")).toEqual({ address: "10.99.7.9", alive: false, rttMs: null, summary: null, lines: ["10.99.7.9 is unreachable"] });
    expect(r.get("10.99.8.9")!.lines).toEqual(["10.99.8.9 is unreachable", "10.99.8.9: error while sending ping: Network is unreachable"]);
  });

  it("reads a host that ignores echoes as unreachable beside one that answers", () => {
    const r = parseFpingReport(fx("fping-e-ignored.stdout.txt"), fx("fping-e-ignored.stderr.txt"), ["10.99.7.2", "10.99.7.1"]);
    expect([...r.values()].map((t) => `${t.address} ${t.alive} ${t.rttMs}`)).toEqual(["10.99.7.2 false null", "10.99.7.1 true 0.049"]);
  });

  it("reads count mode's per-target summary (sent, received, loss, rtt) and its per-echo lines", () => {
    const r = parseFpingReport(fx("fping-c.stdout.txt"), fx("fping-c.stderr.txt"), ["10.99.7.2", "10.99.7.9"]);
    expect(r.get("10.99.7.2")!.summary).toEqual({ sent: 2, received: 2, lossPercent: 0, rtt: { min: 0.043, avg: 0.08, max: 0.116 } });
    expect(r.get("10.99.7.2")).toMatchObject({ alive: true, rttMs: 0.08 });
    expect(r.get("10.99.7.9")!.summary).toEqual({ sent: 2, received: 0, lossPercent: 100, rtt: null });
    expect(r.get("10.99.7.9")!.alive).toBe(false);
    expect(r.get("10.99.7.9")!.lines).toHaveLength(3);
  });

  it("reads fping without -e (no round trip)", () => {
    expect(parseFpingReport("10.0.0.2 is alive\n", "", ["10.0.0.2"]).get("10.0.0.2")).toMatchObject({ alive: true, rttMs: null });
  });

  it("refuses a report that leaves a target out, naming it, rather than calling it unreachable", () => {
    expect(() => parseFpingReport(fx("fping-e.stdout.txt"), "", ["10.99.7.2", "10.99.7.77"])).toThrow(ParseError);
    expect(() => parseFpingReport("", "", ["10.0.0.2"])).toThrow("no result for 10.0.0.2");
    // a line about another address that merely starts the same is not this target's
    expect(() => parseFpingReport("10.0.0.22 is alive\n", "", ["10.0.0.2"])).toThrow("no result for 10.0.0.2");
  });
});

describe("ping -c's statistics", () => {
  it("reads three replies with their round trips", () => {
    expect(parsePingStats(fx("ping-ok.txt"))).toEqual({ sent: 3, received: 3, errors: 0, lossPercent: 0, rtt: { min: 0.032, avg: 0.045, max: 0.054 } });
  });
  it("reads 100 % loss, without round trips", () => {
    expect(parsePingStats(fx("ping-lost.txt"))).toEqual({ sent: 3, received: 0, errors: 0, lossPercent: 100, rtt: null });
  });
  it("reads the ICMP errors counted", () => {
    const text = "--- 10.0.0.9 ping statistics ---\n3 packets transmitted, 0 received, +3 errors, 100% packet loss, time 2030ms\npipe 3\n";
    expect(parsePingStats(text)).toMatchObject({ sent: 3, received: 0, errors: 3, lossPercent: 100 });
  });
  it("is an error, quoting ping, when ping could not send at all", () => {
    expect(() => parsePingStats(fx("ping-nonet.txt"))).toThrow('no statistics: "ping: connect: Network is unreachable"');
  });
});
