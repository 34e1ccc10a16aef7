// fping's report parsed, per target: whether it answered, its round trip, and the lines that
// named it; and iputils `ping -c N`'s statistics (what "Ping again" shows beside its output).
//
// Knows: fping 5's default-mode report on stdout ("10.0.0.2 is alive (0.204 ms)" with -e,
// "10.0.0.9 is unreachable"), its count-mode summary on stderr ("10.0.0.2 : xmt/rcv/%loss =
// 2/2/0%, min/avg/max = 0.043/0.080/0.116", without min/avg/max when nothing came back), and
// the per-target errors it prints on stderr ("10.99.8.9: error while sending ping: Network is
// unreachable", "ICMP Host Unreachable from … for ICMP Echo sent to 10.0.0.9"); ping's
// "3 packets transmitted, 0 received, 100% packet loss" and "rtt min/avg/max/mdev = …" lines.
// Leaves to others: running fping or ping (pingall.ts), and what the results mean for a lab.

import { ParseError } from "./common";

export interface Rtt {
  /** milliseconds */
  min: number;
  avg: number;
  max: number;
}

/** What fping said about one target. */
export interface FpingTarget {
  address: string;
  /** answered ("is alive", or a count-mode summary with a reply) */
  alive: boolean;
  /** round trip of the reply in ms (-e), null when none or not printed */
  rttMs: number | null;
  /** count-mode summary, when fping printed one: echoes sent and replies received, loss in percent */
  summary: { sent: number; received: number; lossPercent: number; rtt: Rtt | null } | null;
  /** every line of stdout and stderr that named this target, as printed */
  lines: string[];
}

const ALIVE = /^(\S+) is (alive|unreachable)\b(?:\s*\(([\d.]+) ms\))?/;
const SUMMARY = /^(\S+)\s*:\s*xmt\/rcv\/%loss = (\d+)\/(\d+)\/(\d+)%(?:, min\/avg\/max = ([\d.]+)\/([\d.]+)\/([\d.]+))?/;
const ADDRESS = /(?:\d{1,3}\.){3}\d{1,3}|[0-9a-f]*:[0-9a-f:]+/gi;

/**
 * Reads fping's stdout and stderr into one entry per address asked for. A target without a
 * verdict (no "is alive/unreachable" and no summary) is an error naming it: fping did not probe
 * it, which is never the same as "no reply".
 */
export function parseFpingReport(stdout: string, stderr: string, addresses: string[]): Map<string, FpingTarget> {
  const wanted = new Set(addresses);
  const out = new Map<string, FpingTarget>(addresses.map((a) => [a, { address: a, alive: false, rttMs: null, summary: null, lines: [] }]));
  const verdict = new Set<string>();
  for (const raw of `${stdout}\n${stderr}`.split("\n")) {
    const line = raw.trimEnd();
    if (!line.trim()) continue;
    const t = line.trim();
    const a = ALIVE.exec(t);
    const s = SUMMARY.exec(t);
    if (a && wanted.has(a[1]!)) {
      const target = out.get(a[1]!)!;
      target.alive = a[2] === "alive";
      target.rttMs = a[3] !== undefined ? Number(a[3]) : null;
      verdict.add(a[1]!);
    } else if (s && wanted.has(s[1]!)) {
      const target = out.get(s[1]!)!;
      const [sent, received, lossPercent] = [Number(s[2]), Number(s[3]), Number(s[4])];
      const rtt = s[5] !== undefined ? { min: Number(s[5]), avg: Number(s[6]), max: Number(s[7]) } : null;
      target.summary = { sent, received, lossPercent, rtt };
      target.alive = received > 0;
      if (rtt) target.rttMs = rtt.avg;
      verdict.add(s[1]!);
    }
    // the line goes to every target it names (errors name theirs first or after "sent to")
    const named = new Set((t.match(ADDRESS) ?? []).filter((x) => wanted.has(x)));
    for (const n of named) out.get(n)!.lines.push(t);
  }
  const missing = addresses.filter((a) => !verdict.has(a));
  if (missing.length) throw new ParseError("fping", `no result for ${missing.join(", ")}`);
  return out;
}

/** iputils ping's statistics: "3 packets transmitted, 3 received, 0% packet loss" and its rtt line. */
export interface PingStats {
  sent: number;
  received: number;
  lossPercent: number;
  /** ICMP errors counted ("+3 errors"), 0 when none */
  errors: number;
  rtt: Rtt | null;
}

/**
 * Reads the statistics at the end of `ping -c N`'s output; an error when there are none (ping
 * could not send at all: "ping: connect: Network is unreachable"), naming ping's first line.
 */
export function parsePingStats(output: string): PingStats {
  const m = /^(\d+) packets transmitted, (\d+) received,(?: \+(\d+) errors,)?(?: \+\d+ duplicates,)? ([\d.]+)% packet loss/m.exec(output);
  if (!m) throw new ParseError("ping", `no statistics: ${JSON.stringify(output.trim().split("\n")[0] ?? "")}`);
  const r = /^rtt min\/avg\/max\/mdev = ([\d.]+)\/([\d.]+)\/([\d.]+)\/[\d.]+ ms/m.exec(output);
  return {
    sent: Number(m[1]),
    received: Number(m[2]),
    errors: m[3] ? Number(m[3]) : 0,
    lossPercent: Number(m[4]),
    rtt: r ? { min: Number(r[1]), avg: Number(r[2]), max: Number(r[3]) } : null,
  };
}
