// Where a link's labels go: the interface/address/VLAN label at each end and the shaping note
// in the middle, placed beside the line so that none covers either node's box or another of
// the link's labels. Candidates are tried outward along the line, on the preferred side first
// then the other; the first that is clear wins. `stagger` starts an end's search further out,
// so that the labels of links leaving one node side by side do not sit at the same distance.
// Pure geometry: text size is estimated from the character count (monospace, 11 px).
//
// Knows: boxes, lines and the labels' estimated size. Leaves to others: drawing (EdgeView).

export interface Pt {
  x: number;
  y: number;
}

/** a box by its top-left corner */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export const CHAR_W = 6.7;
export const LINE_H = 13;
/** from the top of a label's box to the first line's baseline */
const ASCENT = 10;
const CLEAR = 5;
/** how much further along the line a staggered end's label starts */
const STAGGER = 30;
/** how much further from the line than touching it a label may go */
const EXTRA = [0, 12, 24, 36, 52, 70];

export interface Placed {
  /** the text's anchor (textAnchor middle) and first baseline */
  x: number;
  y: number;
  /** the box it covers */
  box: Rect;
}

export interface EdgeLabelLayout {
  a: Placed;
  b: Placed;
  middle?: Placed;
}

export function textBox(lines: string[]): { w: number; h: number } {
  return { w: Math.max(1, ...lines.map((l) => l.length)) * CHAR_W + 4, h: lines.length * LINE_H };
}

export function intersects(a: Rect, b: Rect, margin = 0): boolean {
  return a.x < b.x + b.w + margin && b.x < a.x + a.w + margin && a.y < b.y + b.h + margin && b.y < a.y + a.h + margin;
}

/** The label of size `size` beside point `p` of a line with direction u, on `side` (+1/-1). */
function beside(p: Pt, u: Pt, side: number, size: { w: number; h: number }, extra = 0): Placed {
  const nx = -u.y * side;
  const ny = u.x * side;
  const reach = Math.abs(nx) * (size.w / 2) + Math.abs(ny) * (size.h / 2) + CLEAR + extra;
  const cx = p.x + nx * reach;
  const cy = p.y + ny * reach;
  const box = { x: cx - size.w / 2, y: cy - size.h / 2, w: size.w, h: size.h };
  return { x: cx, y: box.y + ASCENT, box };
}

function area(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** The first candidate clear of everything; failing that (nodes too close), the one covering least, nodes counting triple. */
function pick<T extends Placed>(candidates: T[], avoid: Rect[], nodes: Rect[]): T {
  const clear = candidates.find((c) => !avoid.some((r) => intersects(c.box, r, 2)));
  if (clear) return clear;
  const cost = (c: Placed) => avoid.reduce((sum, r) => sum + area(c.box, r) * (nodes.includes(r) ? 3 : 1), 0);
  return candidates.reduce((best, c) => (cost(c) < cost(best) ? c : best), candidates[0]!);
}

/**
 * Labels for a link drawn from p1 (on node a's border) to p2 (on node b's), the nodes' boxes
 * given, each end's label as its lines of text.
 */
export function layoutEdgeLabels(
  p1: Pt,
  p2: Pt,
  nodes: { a: Rect; b: Rect },
  text: { a: string[]; b: string[]; middle?: string },
  stagger: { a?: number; b?: number } = {},
): EdgeLabelLayout {
  const len = Math.hypot(p2.x - p1.x, p2.y - p1.y) || 1;
  const u = { x: (p2.x - p1.x) / len, y: (p2.y - p1.y) / len };
  const back = { x: -u.x, y: -u.y };
  const nodeBoxes = [nodes.a, nodes.b];
  const avoid: Rect[] = [...nodeBoxes];
  const distances: number[] = [];
  for (let d = 14; d <= Math.max(len - 14, 14); d += 12) distances.push(d);
  const end = (from: Pt, dir: Pt, lines: string[], side: number, st: number | undefined) => {
    const size = textBox(lines);
    // nearest the end first, then a little further from the line; the preferred side first
    const cands: (Placed & { d: number; cost: number })[] = [];
    for (const d of distances)
      for (const extra of EXTRA)
        for (const sd of [side, -side])
          cands.push({ ...beside({ x: from.x + dir.x * d, y: from.y + dir.y * d }, dir, sd, size, extra), d, cost: d + extra * 1.5 + (sd === side ? 0 : 6) });
    cands.sort((x, y) => x.cost - y.cost);
    const clear = (c: Placed) => !avoid.some((r) => intersects(c.box, r, 2));
    const first = pick(cands, avoid, nodeBoxes);
    if (!st) return first;
    return cands.find((c) => c.d >= first.d + st * STAGGER && clear(c)) ?? first;
  };
  // the two ends on opposite sides of the line, as a reader expects
  const a = end(p1, u, text.a, 1, stagger.a);
  avoid.push(a.box);
  const b = end(p2, back, text.b, 1, stagger.b);
  avoid.push(b.box);
  if (!text.middle) return { a, b };
  const size = textBox([text.middle]);
  const cands: Placed[] = [];
  for (const extra of EXTRA)
    for (const t of [0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82])
      for (const sd of [-1, 1]) cands.push(beside({ x: p1.x + (p2.x - p1.x) * t, y: p1.y + (p2.y - p1.y) * t }, u, sd, size, extra));
  return { a, b, middle: pick(cands, avoid, nodeBoxes) };
}
