import { describe, expect, it } from "vitest";
import { PAIR_LINES_MAX, PingAllSchema, PingPairRequestSchema, PingPairSchema } from "./index";

const output = {
  rounds: 2,
  sent: 5,
  sentAtMost: 5,
  received: 0,
  lossPercent: 100,
  rtt: null,
  lines: [{ round: 1, command: "fping -e -r 1 -t 1000 -i 1 10.0.0.3", text: "10.0.0.3 is unreachable" }],
};

describe("live:pingall's pairs", () => {
  it("carry what fping said about each pair", () => {
    const ok = { lab: "demo", pairs: [{ from: "h1", to: "h3", address: "10.0.0.3", ok: false, output }], sent: 1, received: 0, dropped: 100, unaddressed: [] };
    expect(PingAllSchema.parse(ok).pairs[0]!.output.lossPercent).toBe(100);
    const noOutput = { ...ok, pairs: [{ from: "h1", to: "h3", address: "10.0.0.3", ok: false }] };
    expect(PingAllSchema.safeParse(noOutput).success).toBe(false);
  });
  it("bound the lines a pair carries, in number and length", () => {
    const many = { ...output, lines: Array.from({ length: PAIR_LINES_MAX + 1 }, () => output.lines[0]) };
    const pair = (o: unknown) => ({
      lab: "demo",
      pairs: [{ from: "a", to: "b", address: "10.0.0.2", ok: false, output: o }],
      sent: 1,
      received: 0,
      dropped: 100,
      unaddressed: [],
    });
    expect(PingAllSchema.safeParse(pair(many)).success).toBe(false);
    expect(PingAllSchema.safeParse(pair({ ...output, lines: [{ ...output.lines[0], text: "x".repeat(241) }] })).success).toBe(false);
  });
});

describe("live:ping", () => {
  it("takes a lab and two node names, nothing else", () => {
    expect(PingPairRequestSchema.safeParse({ lab: "demo", from: "h1", to: "h2" }).success).toBe(true);
    const bad = PingPairRequestSchema.safeParse({ lab: "demo", from: "h1", to: "10.0.0.2; reboot" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(["to"]);
    expect(PingPairRequestSchema.safeParse({ lab: "demo", from: "h1", to: "h2", address: "8.8.8.8" }).success).toBe(false);
  });
  it("answers with the command, its exit status, the output verbatim and the statistics", () => {
    const r = {
      lab: "demo",
      from: "h1",
      to: "h2",
      address: "10.0.0.2",
      argv: ["ping", "-c", "3"],
      code: 2,
      output: "ping: connect: Network is unreachable\n",
      stats: null,
    };
    expect(PingPairSchema.parse(r)).toEqual(r);
  });
});
