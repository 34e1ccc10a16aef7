// pingall: every host or router of a running lab pings every other one, Mininet's reachability test.
//
// Knows: one fping per source node, run inside that node's namespace, probing all of its
// targets at once (one echo each, one retry for those without a reply), a few sources at a
// time so that the ARP broadcasts of a big lab do not all land on the switches in the same
// instant; then a second round, with more patience, for the pairs that got no reply (a loaded
// userspace switch drops some); and how to read fping's report. Knows that the kernel's ARP
// table is one table for all namespaces, of at most gc_thresh3 entries (1,024 by default) that
// it cannot free within 5 s of their use: pingall of N hosts needs N × (N - 1) entries, so
// without room it stalls on "neighbour table overflow" (27 to 40 s for 100 hosts). Like
// Mininet (util.fixLimits), it raises the limits when they are too small for the lab, never
// lowers them. Leaves to others: which nodes and addresses a lab has (status), the namespace
// names (topology), printing the matrix (the CLI).
import { readFile, writeFile } from "node:fs/promises";
import { nsName } from "@topolab/topology";
import { pool, run, type RunResult } from "./exec";

export interface PingAllResult {
  lab: string;
  pairs: { from: string; to: string; address: string; ok: boolean }[];
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
  return ["fping", "-r", String(retries), "-t", String(Math.round(timeoutSeconds * 1000)), "-i", String(intervalMs), ...addresses];
}

/**
 * Reads fping's report on stdout ("10.0.0.2 is alive", "10.0.0.9 is unreachable", one line per
 * target) into address -> answered. Errors go to stderr and are not read here. A target without
 * a report means fping did not probe it: that is an error naming it, never a silent "no reply".
 */
export function parseFping(stdout: string, addresses: string[]): Map<string, boolean> {
  const seen = new Map<string, boolean>();
  for (const line of stdout.split("\n")) {
    const m = /^(\S+) is (alive|unreachable)\b/.exec(line.trim());
    if (m) seen.set(m[1]!, m[2] === "alive");
  }
  const missing = addresses.filter((a) => !seen.has(a));
  if (missing.length) throw new Error(`fping gave no result for ${missing.join(", ")}`);
  return new Map(addresses.map((a) => [a, seen.get(a)!]));
}

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
  const probe = async (src: string, addresses: string[], round: Round): Promise<Map<string, boolean>> => {
    const argv = ["ip", "netns", "exec", nsName(lab, src), ...fpingArgv(addresses, timeout, round.retries, round.intervalMs)];
    const r = await exec(argv);
    // fping: 0 all answered, 1 some did not; anything else is fping itself failing
    if (r.code !== 0 && r.code !== 1) {
      throw new Error(`pingall from ${src}: ${argv.join(" ")} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n").slice(0, 3).join(" / ")}`);
    }
    try {
      return parseFping(r.stdout, addresses);
    } catch (e) {
      throw new Error(`pingall from ${src}: ${(e as Error).message} (exit ${r.code}): ${r.stderr.trim().split("\n").slice(0, 3).join(" / ")}`);
    }
  };
  const perSource = nodes.map((src) => [...targets].filter(([to]) => to !== src.name).map(([to, address]) => ({ from: src.name, to, address, ok: false })));
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
        for (const p of again) p.ok = answered.get(p.address)!;
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
