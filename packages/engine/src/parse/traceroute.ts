// `traceroute -n` (Dmitry Butskoy's, Debian's `traceroute` package) parsed: the hops a packet
// takes, each with its probes (the address that answered, the round trip, the ICMP verdict);
// and `ip -j route get ADDRESS` parsed: which gateway and interface a namespace would use.
//
// Knows: traceroute's header ("traceroute to 10.1.20.2 (10.1.20.2), 8 hops max, 60 byte
// packets"), its hop lines (" 1  10.1.10.1  0.639 ms  0.604 ms  0.602 ms", "*" for a probe
// without an answer, a new address inside a line when the probes of one hop were answered by
// different routers, "!H" and the other ICMP unreachable marks after a probe's time), and what
// it prints to stderr when it cannot send at all ("connect: Network is unreachable").
// Leaves to others: running traceroute (trace.ts), and what the hops mean for a lab (trace.ts).

import { jsonArray, lines, optStr, ParseError } from "./common";

/** traceroute's marks after a probe's time: the ICMP "destination unreachable" it got back */
export const UNREACHABLE_MARKS: Record<string, string> = {
  "!H": "host unreachable",
  "!N": "network unreachable",
  "!P": "protocol unreachable",
  "!S": "source route failed",
  "!F": "fragmentation needed",
  "!X": "communication administratively prohibited",
  "!V": "host precedence violation",
  "!C": "precedence cutoff in effect",
};

export interface TraceProbe {
  /** who answered; null for a probe without an answer ("*") */
  address: string | null;
  /** milliseconds; null without an answer */
  rttMs: number | null;
  /** "!H", "!N", "!X", "!F-1400", "!13"… : the answer was an ICMP unreachable */
  mark?: string;
}

export interface TraceHopLine {
  /** the probes' TTL: 1 for the first hop */
  ttl: number;
  probes: TraceProbe[];
}

export interface TracerouteOutput {
  /** the target as given, and its address */
  target: string;
  address: string;
  maxHops: number;
  hops: TraceHopLine[];
}

const SOURCE = "traceroute -n";
const HEADER = /^traceroute to (\S+) \(([^)]+)\), (\d+) hops max, \d+ byte packets\s*$/;
const HOP = /^\s*(\d+)\s+(.*)$/;
const IP = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]*:[0-9a-f:.]+)$/i;
const MARK = /^!(?:[HNPSXVC]|F(?:-\d+)?|\d+)$/;

/** A human reading of a probe's mark: "network unreachable (!N)". */
export function markMeaning(mark: string): string {
  const base = mark.startsWith("!F") ? "!F" : mark;
  const words = UNREACHABLE_MARKS[base] ?? (/^!\d+$/.test(mark) ? `ICMP unreachable code ${mark.slice(1)}` : "an ICMP error");
  return `${words} (${mark})`;
}

/** Reads traceroute's stdout. Output without its header, or a line it cannot read, is a ParseError. */
export function parseTraceroute(stdout: string): TracerouteOutput {
  const all = lines(stdout);
  const head = all[0] ? HEADER.exec(all[0].trim()) : null;
  if (!head) throw new ParseError(SOURCE, `no "traceroute to …" header in: ${all[0] ?? "(empty)"}`);
  const hops: TraceHopLine[] = [];
  for (const line of all.slice(1)) {
    const m = HOP.exec(line);
    if (!m) throw new ParseError(SOURCE, `a line that is not a hop: ${line}`);
    const ttl = Number(m[1]);
    const tokens = m[2]!.trim().split(/\s+/);
    const probes: TraceProbe[] = [];
    let address: string | null = null;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t === "*") probes.push({ address: null, rttMs: null });
      else if (IP.test(t)) address = t;
      else if (/^\d+(?:\.\d+)?$/.test(t) && tokens[i + 1] === "ms") {
        if (address === null) throw new ParseError(SOURCE, `a time without an address in hop ${ttl}: ${line}`);
        probes.push({ address, rttMs: Number(t) });
        i++;
      } else if (MARK.test(t)) {
        const last = probes[probes.length - 1];
        if (!last || last.address === null) throw new ParseError(SOURCE, `a mark ${t} without a probe in hop ${ttl}: ${line}`);
        last.mark = t;
      } else throw new ParseError(SOURCE, `cannot read "${t}" in hop ${ttl}: ${line}`);
    }
    if (!probes.length) throw new ParseError(SOURCE, `hop ${ttl} has no probe: ${line}`);
    if (hops.length && hops[hops.length - 1]!.ttl !== ttl - 1) throw new ParseError(SOURCE, `hop ${ttl} follows hop ${hops[hops.length - 1]!.ttl}`);
    hops.push({ ttl, probes });
  }
  return { target: head[1]!, address: head[2]!, maxHops: Number(head[3]), hops };
}

/**
 * What traceroute's stderr says when it could not send at all (exit 1): the source has no
 * route ("connect: Network is unreachable"), or null for any other failure.
 */
export function tracerouteSendFailure(stderr: string): "no-route" | "host-unreachable" | null {
  if (/Network is unreachable/i.test(stderr)) return "no-route";
  if (/No route to host/i.test(stderr)) return "host-unreachable";
  return null;
}

export interface RouteGet {
  /** the next hop: a gateway, or null when the address is on the interface's own segment */
  gateway: string | null;
  dev: string;
  src?: string;
  /** unicast, or what stopped it: unreachable, prohibit, blackhole */
  type: string;
}

/**
 * `ip -j route get ADDRESS`: the route the namespace would use. A route that the kernel refuses
 * is not JSON but a message on stderr (exit 2): see routeGetRefusal.
 */
export function parseRouteGet(text: string): RouteGet {
  const source = "ip -j route get";
  const all = jsonArray(source, text);
  if (all.length !== 1) throw new ParseError(source, `expected one route, got ${all.length}`);
  const o = all[0]!;
  const dev = optStr(o, "dev");
  const type = optStr(o, "type") ?? "unicast";
  if (!dev && type === "unicast") throw new ParseError(source, `a unicast route without a device: ${JSON.stringify(o).slice(0, 120)}`);
  const src = optStr(o, "prefsrc");
  return { gateway: optStr(o, "gateway") ?? null, dev: dev ?? "", type, ...(src ? { src } : {}) };
}

/** Why `ip route get` refused (its stderr, exit 2): no route, an unreachable, prohibit or blackhole route; null for anything else. */
export function routeGetRefusal(stderr: string): "no-route" | "unreachable" | "prohibit" | "blackhole" | null {
  if (/Network is unreachable/i.test(stderr)) return "no-route";
  if (/No route to host/i.test(stderr)) return "unreachable";
  if (/Permission denied/i.test(stderr)) return "prohibit";
  // a blackhole route: the kernel drops silently, `ip route get` says only this
  if (/Invalid argument/i.test(stderr)) return "blackhole";
  return null;
}
