import { describe, expect, it } from "vitest";
import type { PingAllResult } from "@topolab/engine";
import { pingFull, pingMatrix } from "./format";

// a result as pingAll gives it: h1 reached h2 at once; h3 ignored echoes over two rounds
const result: PingAllResult = {
  lab: "demo",
  pairs: [
    {
      from: "h1",
      to: "h2",
      address: "10.0.0.2",
      ok: true,
      output: { rounds: 1, sent: null, sentAtMost: 2, received: 1, lossPercent: null, rtt: { min: 0.204, avg: 0.204, max: 0.204 }, lines: [] },
    },
    {
      from: "h1",
      to: "h3",
      address: "10.0.0.3",
      ok: false,
      output: { rounds: 2, sent: 5, sentAtMost: 5, received: 0, lossPercent: 100, rtt: null, lines: [] },
    },
  ],
  sent: 2,
  received: 1,
  dropped: 50,
  unaddressed: ["r1"],
};

describe("topolab pingall --full", () => {
  it("prints one line per pair with what fping saw, then the results line of the matrix", () => {
    expect(pingFull(result).split("\n")).toEqual([
      "*** Ping: testing ping reachability",
      "h1 -> h2 (10.0.0.2): 1 received of at most 2 sent, rtt 0.204 ms (1 round)",
      "h1 -> h3 (10.0.0.3): 0 received of 5 sent, 100% loss (2 rounds)",
      "(no IPv4 address to ping: r1)",
      "*** Results: 50% dropped (1/2 received)",
    ]);
    expect(pingMatrix(result).split("\n").slice(1, 2)).toEqual(["h1 -> h2 X"]);
  });
});
