// `/proc/net/dev` parsed: every interface of one network namespace with its counters, from one
// file read (no process to spawn: what makes sampling counters every second cheap).
//
// Knows: the file's two header lines and its 16 numbers per interface (8 receive, 8 transmit);
// that interface names never hold ':' or spaces (the kernel refuses them), so the first ':'
// ends the name. Its "drop" counts what `ip -s` calls dropped plus missed (0 on veths).
// Leaves to others: reading the file (monitor.ts), which interfaces matter.

import { ParseError } from "./common";
import type { LinkCounters } from "./link";

const SOURCE = "/proc/net/dev";

/** interface name -> counters, in the file's order. */
export function parseProcNetDev(text: string): Map<string, LinkCounters> {
  const lines = text.split("\n");
  if (!(lines[0] ?? "").startsWith("Inter-|") || !/^\s*face \|bytes/.test(lines[1] ?? "")) {
    throw new ParseError(SOURCE, text.trim() ? `unexpected header: ${JSON.stringify((lines[0] ?? "").slice(0, 60))}` : "no output at all");
  }
  const out = new Map<string, LinkCounters>();
  for (const raw of lines.slice(2)) {
    const line = raw.trim();
    if (!line) continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new ParseError(SOURCE, `a line without an interface name: ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon);
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map((x) => (/^\d+$/.test(x) ? Number(x) : NaN));
    if (f.length !== 16 || f.some((x) => Number.isNaN(x)))
      throw new ParseError(SOURCE, `${name}: expected 16 numbers, got ${JSON.stringify(line.slice(colon + 1).trim())}`);
    out.set(name, {
      rxBytes: f[0]!,
      rxPackets: f[1]!,
      rxErrors: f[2]!,
      rxDropped: f[3]!,
      txBytes: f[8]!,
      txPackets: f[9]!,
      txErrors: f[10]!,
      txDropped: f[11]!,
    });
  }
  return out;
}
