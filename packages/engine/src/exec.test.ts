// exec.ts's pure parts: how a big lab's namespaces are dealt among a few runners.

import { describe, expect, it } from "vitest";
import { shares } from "./exec";

describe("shares", () => {
  it("one runner per perRunner items, at most maxRunners, dealt round-robin, nothing lost or doubled", () => {
    expect(shares(["a", "b", "c"], 4, 4)).toEqual([["a", "b", "c"]]);
    expect(shares([1, 2, 3, 4, 5, 6, 7, 8, 9], 4, 4)).toEqual([
      [1, 4, 7],
      [2, 5, 8],
      [3, 6, 9],
    ]);
    const many = Array.from({ length: 200 }, (_, i) => i);
    const dealt = shares(many, 8, 4);
    expect(dealt).toHaveLength(4);
    expect(dealt.map((s) => s.length)).toEqual([50, 50, 50, 50]);
    expect(dealt.flat().sort((a, b) => a - b)).toEqual(many);
    expect(shares([], 8, 4)).toEqual([]);
  });
});
