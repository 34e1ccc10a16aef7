// Text written with hard line breaks and backticks (a template's comment lines) as a person
// reads it: lines of one paragraph joined, blank lines between paragraphs kept, list items
// ("- ", "* ", "1. ") on lines of their own, and `code` marked as code.
//
// Knows: that small dialect. Leaves to others: drawing the pieces (Home).

export type Piece = { code: boolean; text: string };
/** a paragraph or a list item, as its pieces */
export type Block = Piece[];

const ITEM = /^\s*(?:[-*•]|\d+[.)])\s+/;

/** `a `b` c` → [a ][b as code][ c]; an unmatched backtick stays as text. */
export function pieces(text: string): Piece[] {
  const out: Piece[] = [];
  const parts = text.split("`");
  if (parts.length % 2 === 0) {
    // an odd number of backticks: the last one is text
    const last = parts.pop()!;
    parts[parts.length - 1] += `\`${last}`;
  }
  parts.forEach((p, i) => {
    if (p) out.push({ code: i % 2 === 1, text: p });
  });
  return out;
}

/** Paragraphs and list items, each a line's worth of pieces. */
export function prose(text: string): Block[] {
  const blocks: string[] = [];
  let cur: string[] = [];
  const flush = () => {
    if (cur.length) blocks.push(cur.join(" ").replace(/\s+/g, " ").trim());
    cur = [];
  };
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) flush();
    else if (ITEM.test(line)) {
      flush();
      cur.push(line.trim());
    } else cur.push(line.trim());
  }
  flush();
  return blocks.filter(Boolean).map(pieces);
}
