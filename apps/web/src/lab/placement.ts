// Where a node clicked in from the palette goes: the free spot nearest the centre of the view,
// so that it never lands on top of what is already there. Pure geometry on boxes.
//
// Knows: boxes and a search outward from a point. Leaves to others: where the boxes come from
// (the canvas' measured nodes) and adding the node (Canvas).

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const GAP = 24;

function overlaps(a: Box, b: Box, gap: number): boolean {
  return a.x < b.x + b.width + gap && b.x < a.x + a.width + gap && a.y < b.y + b.height + gap && b.y < a.y + a.height + gap;
}

/**
 * The top-left corner for a box of `size` whose centre is as near `center` as can be without
 * touching any of `taken` (with a gap between). Searches rings of a grid outward; gives up
 * after `maxRings` and returns the centre itself.
 */
export function freeSpot(center: { x: number; y: number }, size: { width: number; height: number }, taken: Box[], maxRings = 30): { x: number; y: number } {
  const stepX = size.width / 2 + GAP / 2;
  const stepY = size.height / 2 + GAP / 2;
  const at = (i: number, j: number): Box => ({
    x: center.x - size.width / 2 + i * stepX,
    y: center.y - size.height / 2 + j * stepY,
    width: size.width,
    height: size.height,
  });
  const free = (b: Box) => !taken.some((t) => overlaps(b, t, GAP));
  for (let ring = 0; ring <= maxRings; ring++) {
    const candidates: { i: number; j: number; d: number }[] = [];
    for (let i = -ring; i <= ring; i++)
      for (let j = -ring; j <= ring; j++) {
        if (Math.max(Math.abs(i), Math.abs(j)) !== ring) continue;
        candidates.push({ i, j, d: Math.hypot(i * stepX, j * stepY) });
      }
    candidates.sort((a, b) => a.d - b.d || a.j - b.j || a.i - b.i);
    for (const c of candidates) {
      const b = at(c.i, c.j);
      if (free(b)) return { x: Math.round(b.x), y: Math.round(b.y) };
    }
  }
  return { x: Math.round(center.x - size.width / 2), y: Math.round(center.y - size.height / 2) };
}
