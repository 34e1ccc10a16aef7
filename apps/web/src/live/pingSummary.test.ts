import { describe, expect, it } from "vitest";
import { pairSummary } from "./pingSummary";

const base = { lines: [] };

describe("a pair's findings in words", () => {
  it("an answered pair: its reply, the bound on its echoes, its round trip", () => {
    expect(pairSummary({ ...base, rounds: 1, sent: null, sentAtMost: 2, received: 1, lossPercent: null, rtt: { min: 0.204, avg: 0.204, max: 0.204 } })).toBe(
      "1 reply to at most 2 echoes (1 round), rtt 0.204 ms",
    );
    expect(pairSummary({ ...base, rounds: 2, sent: null, sentAtMost: 5, received: 1, lossPercent: null, rtt: { min: 142, avg: 142, max: 142 } })).toBe(
      "1 reply to at most 5 echoes (2 rounds), rtt 142.0 ms",
    );
  });
  it("a pair without a reply: echoes sent and 100 % loss", () => {
    expect(pairSummary({ ...base, rounds: 2, sent: 5, sentAtMost: 5, received: 0, lossPercent: 100, rtt: null })).toBe(
      "5 sent, 0 received, 100% loss (2 rounds)",
    );
  });
});
