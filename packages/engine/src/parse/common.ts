// Shared helpers of the pure parsers: a parse error that names the command and the reason.
//
// Knows: how to turn text into JSON or lines with an error that says which command's output
// failed and why. Leaves to others: running the commands (inspect.ts, monitor.ts).

export class ParseError extends Error {
  constructor(
    readonly source: string,
    reason: string,
  ) {
    super(`could not read the output of ${source}: ${reason}`);
    this.name = "ParseError";
  }
}

/** JSON text that must be an array (what `ip -j` prints). */
export function jsonArray(source: string, text: string): Record<string, unknown>[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ParseError(source, text.trim() ? `not JSON (${(e as Error).message})` : "no output at all");
  }
  if (!Array.isArray(value)) throw new ParseError(source, "expected a JSON array");
  for (const [i, item] of value.entries()) {
    if (typeof item !== "object" || item === null || Array.isArray(item)) throw new ParseError(source, `item ${i} is not an object`);
  }
  return value as Record<string, unknown>[];
}

export function str(source: string, o: Record<string, unknown>, field: string): string {
  const v = o[field];
  if (typeof v !== "string") throw new ParseError(source, `field ${field} missing or not text in ${JSON.stringify(o).slice(0, 120)}`);
  return v;
}

export function num(source: string, o: Record<string, unknown>, field: string): number {
  const v = o[field];
  if (typeof v !== "number") throw new ParseError(source, `field ${field} missing or not a number in ${JSON.stringify(o).slice(0, 120)}`);
  return v;
}

export function optStr(o: Record<string, unknown>, field: string): string | undefined {
  const v = o[field];
  return typeof v === "string" ? v : undefined;
}

export function optNum(o: Record<string, unknown>, field: string): number | undefined {
  const v = o[field];
  return typeof v === "number" ? v : undefined;
}

export function lines(text: string): string[] {
  return text.split("\n").filter((l) => l.trim() !== "");
}
