// pingall: every host or router of a running lab pings every other one, Mininet's reachability test.
//
// Knows: one fping per source node, run inside that node's namespace, probing all of its
// targets at once (one echo each, one retry for those without a reply), a few sources at a
// time so that the ARP broadcasts of a big lab do not all land on the switches in the same
// instant; then a second round, with more patience, for the pairs that got no reply (a loaded
// userspace switch drops some); and how to read fping's report (parse/fping.ts), kept per pair
// (its lines, echoes, replies and round trips over the rounds, bounded) so a matrix cell can show
// what was seen; and one pair pinged again (`ping -c 3 -W 1`) with its output verbatim. Knows that the kernel's ARP
// table is one table for all namespaces, of at most gc_thresh3 entries (1,024 by default) that
// it cannot free within 5 s of their use: pingall of N hosts needs N × (N - 1) entries, so
// without room it stalls on "neighbour table overflow" (27 to 40 s for 100 hosts). Like
// Mininet (util.fixLimits), it raises the limits when they are too small for the lab, never
// lowers them. Leaves to others: which nodes and addresses a lab has (status), the namespace
// names (topology), printing the matrix (the CLI).
import { readFile, writeFile } from "node:fs/promises";
import { nsName } from "@topolab/topology";
import { pool, run, type RunResult } from "./exec";
import { parseFpingReport, parsePingStats, type FpingTarget, type PingStats, type Rtt } from "./parse/fping";

/** The most report lines one pair keeps, and the longest line kept (the protocol's bounds). */
export const PAIR_LINES_MAX = 8;
export const PAIR_LINE_CHARS = 240;

/** What fping said about one pair over the rounds (fping stops at the first reply: an answered pair's echo count is only bounded). */
export interface PairOutput {
  rounds: number;
  /** echoes sent, when known exactly (no round got a reply); null otherwise */
  sent: number | null;
  /** the most echoes fping may have sent */
  sentAtMost: number;
  received: number;
  lossPercent: number | null;
  rtt: Rtt | null;
  lines: { round: number; command: string; text: string }[];
}

export interface PingAllPair {
  from: string;
  to: string;
  address: string;
  ok: boolean;
  output: PairOutput;
}

export interface PingAllResult {
  lab: string;
  pairs: PingAllPair[];
  sent: number;
  received: number;
  /** percent */
  dropped: number;
  /** hosts without an IPv4 address to ping */
  unaddressed: string[];
}

export interface PingAllOptions {
  /** how long each echo is waited for (Mininet's ping -W); default 1 */
  timeoutSeconds?: number;
  /** how many sources probe at the same time; default 8 */
  concurrency?: number;
}

interface Round {
  /** sources probing at the same time */
  concurrency: number;
  /** more echoes to a target that did not answer (each after 1.5 times the previous wait) */
  retries: number;
  /** between echoes to successive targets */
  intervalMs: number;
}

/**
 * The first round is fast; the next ones, for pairs without a reply, slower and more patient:
 * a userspace switch under load (all pairs of a 100-switch chain make some 50,000 datapath
 * flows; ovs-vswitchd lowers its flow limit when revalidating them takes long, and sends the
 * rest through its slow path) or busy reconfiguring any lab's bridges drops packets for seconds.
 */
const ROUNDS: Round[] = [
  { concurrency: 8, retries: 1, intervalMs: 1 },
  { concurrency: 8, retries: 2, intervalMs: 5 },
  { concurrency: 2, retries: 2, intervalMs: 10 },
  { concurrency: 1, retries: 3, intervalMs: 20 },
];

/** The node's name and the addresses of its interfaces ("10.0.0.1/8"), as status gives them. */
export interface PingNode {
  name: string;
  addresses: string[];
}

/**
 * fping's command line: one echo to each address, 1 ms apart, and one more (after the timeout,
 * times 1.5) to those that did not answer: under load the first echo of a big lab may be lost
 * while ARP resolves (every first echo to a host starts a broadcast that reaches every host).
 */
export function fpingArgv(addresses: string[], timeoutSeconds: number, retries = 1, intervalMs = 1): string[] {
  // -i 1: 1 ms between echoes to successive targets (fping's default is 10 ms: 1 s for 100 targets)
  // -e: each reply's round trip ("10.0.0.2 is alive (0.204 ms)")
  return ["fping", "-e", "-r", String(retries), "-t", String(Math.round(timeoutSeconds * 1000)), "-i", String(intervalMs), ...addresses];
}

/**
 * Adds one round's report on a target to a pair's output (pure; bounds the lines kept). The
 * command shown is the round's fping with this pair's target alone (the real one had all of
 * the source's targets still waiting).
 */
export function addRound(out: PairOutput, round: number, retries: number, timeoutMs: number, t: FpingTarget, intervalMs = 1): void {
  out.rounds++;
  out.sentAtMost += retries + 1;
  if (t.alive) {
    out.received++;
    out.sent = null;
    if (t.rttMs !== null)
      out.rtt = out.rtt
        ? // every reply carries its round trip (fping -e): the mean of the replies so far
          { min: Math.min(out.rtt.min, t.rttMs), avg: out.rtt.avg + (t.rttMs - out.rtt.avg) / out.received, max: Math.max(out.rtt.max, t.rttMs) }
        : { min: t.rttMs, avg: t.rttMs, max: t.rttMs };
  } else if (out.sent !== null) out.sent += retries + 1;
  out.lossPercent = out.sent === null ? null : out.sent ? Math.round(((out.sent - out.received) / out.sent) * 100) : null;
  const command = fpingArgv([t.address], timeoutMs / 1000, retries, intervalMs).join(" ");
  for (const text of t.lines) {
    if (out.lines.length >= PAIR_LINES_MAX) break;
    out.lines.push({ round, command, text: text.length > PAIR_LINE_CHARS ? `${text.slice(0, PAIR_LINE_CHARS - 1)}…` : text });
  }
}

const emptyOutput = (): PairOutput => ({ rounds: 0, sent: 0, sentAtMost: 0, received: 0, lossPercent: null, rtt: null, lines: [] });

export interface NeighbourLimits {
  gcThresh2: number;
  gcThresh3: number;
}

/** The most ARP entries pingall makes room for (about 100 MB of kernel memory): 500 hosts. */
export const NEIGHBOUR_ROOM_MAX = 262_144;

/**
 * The ARP table limits to set so that `needed` more entries fit beside the `entries` there are
 * now (rounded up to a power of two, at most NEIGHBOUR_ROOM_MAX), or null when they fit already.
 * Only ever raises a limit.
 */
export function neighbourLimits(now: NeighbourLimits, entries: number, needed: number): NeighbourLimits | null {
  const want = Math.min(NEIGHBOUR_ROOM_MAX, 2 ** Math.ceil(Math.log2(Math.max(1, entries + needed + 256))));
  if (now.gcThresh3 >= want) return null;
  return { gcThresh2: Math.max(now.gcThresh2, want / 2), gcThresh3: want };
}

/** Reads the entries of the kernel's ARP table from /proc/net/stat/arp_cache (hex, first column). */
export function parseArpCacheEntries(text: string): number {
  const line = text.split("\n")[1]?.trim().split(/\s+/)[0];
  const n = line ? parseInt(line, 16) : NaN;
  if (!Number.isFinite(n)) throw new Error(`cannot read the ARP table's size from /proc/net/stat/arp_cache: ${JSON.stringify(text.slice(0, 80))}`);
  return n;
}

const NEIGH = "/proc/sys/net/ipv4/neigh/default";

/** Raises the ARP table's limits when `needed` more entries would not fit. */
export async function ensureNeighbourRoom(needed: number): Promise<void> {
  const read = async (name: string) => Number((await readFile(`${NEIGH}/${name}`, "utf8")).trim());
  const now = { gcThresh2: await read("gc_thresh2"), gcThresh3: await read("gc_thresh3") };
  const entries = parseArpCacheEntries(await readFile("/proc/net/stat/arp_cache", "utf8"));
  const next = neighbourLimits(now, entries, needed);
  if (!next) return;
  await writeFile(`${NEIGH}/gc_thresh2`, String(next.gcThresh2));
  await writeFile(`${NEIGH}/gc_thresh3`, String(next.gcThresh3));
}

/** The first IPv4 address of each node that has one, without its prefix; loopback excluded. */
export function pingTargets(nodes: PingNode[]): Map<string, string> {
  const targets = new Map<string, string>();
  for (const n of nodes) {
    const v4 = n.addresses.find((a) => !a.includes(":") && !a.startsWith("127."));
    if (v4) targets.set(n.name, v4.split("/")[0]!);
  }
  return targets;
}

/** Runs pingall over the given nodes of a running lab. `exec` runs a command (tests may record it). */
export async function pingAll(
  lab: string,
  nodes: PingNode[],
  options: PingAllOptions = {},
  exec: (argv: string[]) => Promise<RunResult> = (argv) => run(argv, { timeoutMs: 120_000 }),
  roomFor: (entries: number) => Promise<void> = ensureNeighbourRoom,
): Promise<PingAllResult> {
  const timeout = options.timeoutSeconds ?? 1;
  const targets = pingTargets(nodes);
  await roomFor(nodes.length * targets.size);
  const probe = async (src: string, addresses: string[], round: Round): Promise<Map<string, FpingTarget>> => {
    const argv = ["ip", "netns", "exec", nsName(lab, src), ...fpingArgv(addresses, timeout, round.retries, round.intervalMs)];
    const r = await exec(argv);
    // fping: 0 all answered, 1 some did not; anything else is fping itself failing
    if (r.code !== 0 && r.code !== 1) {
      throw new Error(`pingall from ${src}: ${argv.join(" ")} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n").slice(0, 3).join(" / ")}`);
    }
    try {
      return parseFpingReport(r.stdout, r.stderr, addresses);
    } catch (e) {
      throw new Error(`pingall from ${src}: ${(e as Error).message} (exit ${r.code}): ${r.stderr.trim().split("\n").slice(0, 3).join(" / ")}`);
    }
  };
  const perSource = nodes.map((src) =>
    [...targets].filter(([to]) => to !== src.name).map(([to, address]) => ({ from: src.name, to, address, ok: false, output: emptyOutput() })),
  );
  // rounds over the pairs without a reply yet; the next round only when this one got some reply
  // back (what is really unreachable fails twice and stops there)
  const rounds = ROUNDS.map((r, i) => (i === 0 && options.concurrency ? { ...r, concurrency: options.concurrency } : r));
  for (const [i, round] of rounds.entries()) {
    const waiting = perSource.filter((pairs) => pairs.some((p) => !p.ok));
    const before = waiting.reduce((n, pairs) => n + pairs.filter((p) => !p.ok).length, 0);
    if (before === 0) break;
    await pool(
      waiting.map((pairs) => async () => {
        const again = pairs.filter((p) => !p.ok);
        const answered = await probe(again[0]!.from, [...new Set(again.map((p) => p.address))], round);
        for (const p of again) {
          const t = answered.get(p.address)!;
          p.ok = t.alive;
          addRound(p.output, i + 1, round.retries, Math.round(timeout * 1000), t, round.intervalMs);
        }
      }),
      round.concurrency,
    );
    const after = perSource.reduce((n, pairs) => n + pairs.filter((p) => !p.ok).length, 0);
    if (i > 0 && after === before) break;
  }
  const pairs = perSource.flat();
  const received = pairs.filter((p) => p.ok).length;
  return {
    lab,
    pairs,
    sent: pairs.length,
    received,
    dropped: pairs.length ? Math.round(((pairs.length - received) / pairs.length) * 100) : 0,
    unaddressed: nodes.filter((n) => !targets.has(n.name)).map((n) => n.name),
  };
}

/** The most characters of a ping's output kept (ping -c 3 prints about 400). */
export const PING_OUTPUT_CHARS = 8192;

export interface PingPairResult {
  lab: string;
  from: string;
  to: string;
  address: string;
  argv: string[];
  code: number;
  /** stdout then stderr, verbatim, cut to PING_OUTPUT_CHARS */
  output: string;
  stats: PingStats | null;
}

/** A pair that cannot be pinged: `field` is the request's field at fault (from or to). */
export class PingPairError extends Error {
  constructor(
    message: string,
    readonly field: "from" | "to",
  ) {
    super(message);
    this.name = "PingPairError";
  }
}

/** `ping -c 3 -W 1 ADDRESS`: three echoes, each waited for a second at most. */
export function pingArgv(address: string, count = 3, waitSeconds = 1): string[] {
  return ["ping", "-c", String(count), "-W", String(waitSeconds), address];
}

/**
 * Pings one pair again from inside the source's namespace: to the target node's first IPv4
 * address (pingTargets). An error when either node is not there or the target has no address.
 * ping's exit 1 (no reply) and 2 (could not send) are results, shown as ping printed them.
 */
export async function pingPair(
  lab: string,
  nodes: PingNode[],
  from: string,
  to: string,
  exec: (argv: string[]) => Promise<RunResult> = (argv) => run(argv, { timeoutMs: 30_000 }),
): Promise<PingPairResult> {
  if (!nodes.some((n) => n.name === from)) throw new PingPairError(`lab ${lab} has no running host or router named ${from}`, "from");
  if (!nodes.some((n) => n.name === to)) throw new PingPairError(`lab ${lab} has no running host or router named ${to}`, "to");
  if (from === to) throw new PingPairError(`${from} would ping itself: choose another node to ping`, "to");
  const address = pingTargets(nodes).get(to);
  if (!address) throw new PingPairError(`${to} has no IPv4 address to ping`, "to");
  const argv = ["ip", "netns", "exec", nsName(lab, from), ...pingArgv(address)];
  const r = await exec(argv);
  if (r.code !== 0 && r.code !== 1 && r.code !== 2)
    throw new Error(`ping from ${from}: ${argv.join(" ")} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n")[0]}`);
  const text = r.stdout + r.stderr;
  const output = text.length > PING_OUTPUT_CHARS ? `${text.slice(0, PING_OUTPUT_CHARS)}\n… (cut at ${PING_OUTPUT_CHARS} characters)` : text;
  let stats: PingStats | null = null;
  try {
    stats = parsePingStats(r.stdout);
  } catch (e) {
    // no statistics is a result only when ping said it could not send (exit 2); else an error
    if (r.code !== 2) throw new Error(`ping from ${from}: ${(e as Error).message}`);
  }
  return { lab, from, to, address, argv, code: r.code, output, stats };
}
