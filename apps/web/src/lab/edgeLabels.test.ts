import { describe, expect, it } from "vitest";
import { intersects, layoutEdgeLabels, type Rect } from "./edgeLabels";

// two nodes 140×48, their centres `gap` apart along x (or the angle given)
function link(dx: number, dy: number) {
  const a: Rect = { x: 0, y: 0, w: 140, h: 48 };
  const b: Rect = { x: dx, y: dy, w: 140, h: 48 };
  const ca = { x: 70, y: 24 };
  const cb = { x: dx + 70, y: dy + 24 };
  const border = (c: { x: number; y: number }, o: { x: number; y: number }) => {
    const ddx = o.x - c.x;
    const ddy = o.y - c.y;
    const s = Math.max(Math.abs(ddx) / 74, Math.abs(ddy) / 28);
    return { x: c.x + ddx / s, y: c.y + ddy / s };
  };
  return { a, b, p1: border(ca, cb), p2: border(cb, ca) };
}

const text = { a: ["eth3", "10.50.50.1/24"], b: ["eth3", "vlan 100"], middle: "internal port" };

describe("layoutEdgeLabels", () => {
  for (const [what, dx, dy] of [
    ["short, vertical (the DHCP server of vlan-dhcp)", 30, 120],
    ["short, horizontal", 220, 0],
    ["diagonal", 200, 160],
    ["long", 600, 40],
  ] as const) {
    it(`keeps every label off both nodes and off each other: ${what}`, () => {
      const { a, b, p1, p2 } = link(dx, dy);
      const l = layoutEdgeLabels(p1, p2, { a, b }, text);
      const boxes = [l.a.box, l.b.box, l.middle!.box];
      for (const box of boxes) {
        expect(intersects(box, a), `${JSON.stringify(box)} on node a`).toBe(false);
        expect(intersects(box, b), `${JSON.stringify(box)} on node b`).toBe(false);
      }
      expect(intersects(l.a.box, l.b.box)).toBe(false);
      expect(intersects(l.middle!.box, l.a.box)).toBe(false);
      expect(intersects(l.middle!.box, l.b.box)).toBe(false);
    });
  }

  it("with nodes almost touching, keeps the labels off the nodes as far as it can", () => {
    // r1 just right of s1 and a little lower: a link 20 px long (the teacher's walk)
    const a: Rect = { x: 0, y: 0, w: 200, h: 64 };
    const b: Rect = { x: 210, y: 90, w: 170, h: 64 };
    const l = layoutEdgeLabels({ x: 190, y: 66 }, { x: 214, y: 88 }, { a, b }, { a: ["eth1"], b: ["eth0", "10.0.1.2/24"] });
    for (const box of [l.a.box, l.b.box]) {
      expect(intersects(box, a)).toBe(false);
      expect(intersects(box, b)).toBe(false);
    }
  });

  it("staggers an end further along the line", () => {
    const { a, b, p1, p2 } = link(500, 0);
    const plain = layoutEdgeLabels(p1, p2, { a, b }, text);
    const staggered = layoutEdgeLabels(p1, p2, { a, b }, text, { a: 1 });
    expect(staggered.a.x - plain.a.x).toBeGreaterThanOrEqual(20);
  });
});
