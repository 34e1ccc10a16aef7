import { describe, expect, it } from "vitest";
import { freeSpot, type Box } from "./placement";

const size = { width: 140, height: 48 };
const touches = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe("freeSpot", () => {
  it("is the centre on an empty canvas", () => {
    expect(freeSpot({ x: 500, y: 300 }, size, [])).toEqual({ x: 430, y: 276 });
  });

  it("never lands on a node at the centre, and stays near it", () => {
    const taken: Box[] = [{ x: 430, y: 276, width: 140, height: 48 }];
    const p = freeSpot({ x: 500, y: 300 }, size, taken);
    expect(touches({ ...p, ...size }, taken[0]!)).toBe(false);
    expect(Math.hypot(p.x + 70 - 500, p.y + 24 - 300)).toBeLessThan(200);
  });

  it("finds room among many nodes, each click a new place", () => {
    const taken: Box[] = [];
    for (let i = 0; i < 12; i++) {
      const p = freeSpot({ x: 0, y: 0 }, size, taken);
      for (const t of taken) expect(touches({ ...p, ...size }, t)).toBe(false);
      taken.push({ ...p, ...size });
    }
  });
});
