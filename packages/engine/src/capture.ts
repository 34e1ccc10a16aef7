// Packet capture on a lab's interfaces: tcpdump inside the node's namespace (switch ports in
// the root namespace), writing classic pcap to its stdout, read with @topolab/capture.
//
// Knows: which kernel interface a lab's NODE[:IF] is (only interfaces of that lab can be
// named), how tcpdump is started (an argument vector; the filter is one argument after "--",
// refused if it begins with "-", checked first with `tcpdump -d` so that a wrong one is refused
// with tcpdump's own message and nothing left running), a bounded ring of the packets and
// bytes captured (@topolab/capture's PacketRing: one byte buffer, nothing allocated per packet,
// so that a flood does not grow the heap), merging several interfaces in time order, stopping
// by PID, the command lines it amounts to (for the lab's command log). Leaves to others: who
// may capture (the server), what is shown (the decoder, the web app, the CLI).

import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { PacketRing, PcapReader, writePcapng, type PcapngInterface } from "@topolab/capture";
import { basename } from "node:path";
import { hostIfNames, isHostLike, nsName, patchLinks, portIfName, shellQuote, type Lab } from "@topolab/topology";
import { NotFoundError, type Engine } from "./engine";
import type { CommandLogEntry } from "./executor";
import { findTool, run, toolEnv } from "./exec";
import { stopPids } from "./processes";

/** One interface to capture on: the lab's name for it and the kernel's. */
export interface CapturePoint {
  /** "node:if" as the lab names it */
  label: string;
  node: string;
  iface: string;
  /** the namespace holding the kernel interface (null: the root namespace) */
  ns: string | null;
  dev: string;
}

export class CaptureError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = "CaptureError";
  }
}

/**
 * The capture points of `refs` ("node" for all its interfaces, or "node:if") in a lab whose
 * tag is `tag`. Pure. Throws CaptureError naming the reference and why.
 */
export function capturePoints(lab: Lab, tag: string, refs: string[]): CapturePoint[] {
  if (refs.length === 0) throw new CaptureError("name at least one NODE or NODE:IF to capture on", "interfaces");
  const byName = new Map(lab.nodes.map((n) => [n.name, n]));
  const hostIfs = hostIfNames(lab, tag);
  const patches = patchLinks(lab);
  // every capturable end of every link, by "node:if"
  const ends = new Map<string, CapturePoint>();
  const refused = new Map<string, string>();
  lab.links.forEach((link, i) => {
    const nodes = link.endpoints.map((e) => byName.get(e.node));
    link.endpoints.forEach((e, k) => {
      const node = nodes[k];
      const label = `${e.node}:${e.interface}`;
      if (!node) return;
      if (isHostLike(node)) {
        ends.set(label, { label, node: e.node, iface: e.interface, ns: nsName(lab.name, e.node), dev: hostIfs.get(e.node)?.get(e.interface) ?? e.interface });
      } else if (node.kind === "switch") {
        const other = nodes[1 - k];
        if (link.internal && other && isHostLike(other)) {
          // an internal port: one interface, inside the host
          const h = link.endpoints[1 - k]!;
          ends.set(label, { label, node: e.node, iface: e.interface, ns: nsName(lab.name, h.node), dev: hostIfs.get(h.node)?.get(h.interface) ?? h.interface });
        } else if (patches.has(i)) {
          refused.set(
            label,
            `${label} is an OVS patch port between two switches, which has no kernel interface to capture on: capture on a host's end instead`,
          );
        } else {
          ends.set(label, { label, node: e.node, iface: e.interface, ns: null, dev: portIfName(tag, e.node, e.interface) });
        }
      } else {
        refused.set(label, `${label} is a NAT gateway's end: capture on the other end of its link`);
      }
    });
  });
  const out: CapturePoint[] = [];
  const seen = new Set<string>();
  for (const ref of refs) {
    const colon = ref.indexOf(":");
    const node = colon < 0 ? ref : ref.slice(0, colon);
    if (!byName.has(node)) throw new CaptureError(`${ref}: lab ${lab.name} has no node ${JSON.stringify(node)}`, "interfaces");
    let found: CapturePoint[];
    if (colon < 0) {
      found = [...ends.values()].filter((p) => p.node === node);
      if (found.length === 0) throw new CaptureError(`${ref}: node ${node} has no linked interface to capture on`, "interfaces");
    } else {
      const p = ends.get(ref);
      if (!p)
        throw new CaptureError(
          refused.get(ref) ?? `${ref}: node ${node} has no linked interface ${JSON.stringify(ref.slice(colon + 1))} in lab ${lab.name}`,
          "interfaces",
        );
      found = [p];
    }
    for (const p of found) {
      if (!seen.has(p.label)) out.push(p);
      seen.add(p.label);
    }
  }
  return out;
}

/** Refuses a capture filter that could be read as an option, or is absurd. Returns it trimmed. */
export function checkFilterText(filter: string): string {
  const f = filter.trim();
  if (f.startsWith("-")) throw new CaptureError(`filter: ${JSON.stringify(f)} begins with "-", which tcpdump would read as an option`, "filter");
  if (f.length > 2000) throw new CaptureError(`filter: ${f.length} characters, more than 2000`, "filter");
  if (/[\0\n\r]/.test(f)) throw new CaptureError("filter: contains a control character", "filter");
  return f;
}

/**
 * The argument vector of tcpdump on one point: options, then "--", then the filter as one
 * argument; in the point's namespace through nsenter (util-linux), or `ip netns exec` without it.
 */
export function tcpdumpArgv(point: CapturePoint, filter: string, snaplen: number, check = false): string[] {
  const tcpdump = findTool("tcpdump") ?? "tcpdump";
  const opts = check ? ["-d", "-i", point.dev] : ["-i", point.dev, "-U", "--immediate-mode", "-n", "-B", "8192", "-s", String(snaplen), "-w", "-"];
  const argv = [tcpdump, ...opts, ...(filter ? ["--", filter] : [])];
  if (!point.ns) return argv;
  // nsenter joins the namespace only; `ip netns exec` also makes a mount namespace and mounts
  // /sys again, which waits on the kernel's mount lock while other labs come and go (a capture's
  // start took seconds on a busy machine). tcpdump needs neither.
  const nsenter = findTool("nsenter");
  return nsenter ? [nsenter, `--net=/run/netns/${point.ns}`, "--", ...argv] : [findTool("ip") ?? "ip", "netns", "exec", point.ns, ...argv];
}

/** Compiles the filter for each point's interface; a wrong one is refused with tcpdump's words. */
export async function checkFilter(points: CapturePoint[], filter: string): Promise<void> {
  const f = checkFilterText(filter);
  for (const p of points) {
    const r = await run(tcpdumpArgv(p, f, 262_144, true), { timeoutMs: 10_000, maxOutput: 1 << 20 });
    if (r.code !== 0) {
      const msg = r.stderr
        .trim()
        .split("\n")
        .filter((l) => !/^tcpdump: listening|^\(\d+\)/.test(l))
        .join(" / ");
      const field = /No such device|doesn't exist|Cannot open network namespace|cannot open \/run\/netns/i.test(msg) ? "interfaces" : "filter";
      throw new CaptureError(field === "filter" ? `filter: ${msg || `tcpdump exited with ${r.code}`}` : `${p.label}: ${msg}`, field);
    }
  }
}

/** A packet handed out of a capture (a copy: the ring's bytes are reused). */
export interface CapturedPacket {
  /** index into the capture's points */
  iface: number;
  timeUs: number;
  /** length on the wire */
  length: number;
  data: Uint8Array;
  /** 1, 2, 3... in capture order (after merging) */
  seq: number;
}

export interface CaptureOptions {
  /** a BPF capture filter, applied by the kernel */
  filter?: string;
  snaplen?: number;
  /** stop after this many packets */
  count?: number;
  /** the ring: at most this many packets and bytes are kept; older ones are dropped */
  maxPackets?: number;
  maxBytes?: number;
  /** stop after this long */
  maxDurationMs?: number;
  /** packets are merged in time order and handed on every flushMs */
  flushMs?: number;
}

/** How long tcpdump may take to say it listens. */
export const START_TIMEOUT_MS = 20_000;

/** How long a packet of a capture on several interfaces waits for older ones from the others. */
const MERGE_HOLD_US = 100_000;

export const CAPTURE_DEFAULTS = { snaplen: 262_144, maxPackets: 20_000, maxBytes: 32 * 1024 * 1024, maxDurationMs: 60 * 60_000, flushMs: 25 } as const;

interface Proc {
  point: CapturePoint;
  child: ChildProcess;
  pid: number;
  reader: PcapReader;
  stderr: string;
  exited: boolean;
  linktype: number;
  /** resolves when its stdout and stderr are closed */
  closed: Promise<void>;
}

export interface CaptureStats {
  packets: number;
  bytes: number;
  /** packets the ring let go (the oldest) */
  dropped: number;
  kept: number;
}

/**
 * A running capture. Events, every flushMs while packets come: "ready" (from, to: the numbers
 * (seq) of the packets new in the ring, to be read with ring.get / ring.encode; the cheap way),
 * "packets" (CapturedPacket[], copies, merged in time order; made only when someone listens);
 * and "end" (reason: string), once.
 */
export class Capture extends EventEmitter {
  readonly startedAt = Date.now();
  /** why it ended, once it has */
  ended: string | null = null;
  private stopping: Promise<void> | undefined;
  private readonly procs: Proc[] = [];
  /** with several interfaces: packets waiting to be merged in time order (copies) */
  private pendingOut: Omit<CapturedPacket, "seq">[] = [];
  /** the packets kept, numbered 1, 2, 3… in capture order */
  readonly ring: PacketRing;
  /** the last packet number handed on by "ready" / "packets" */
  private handed = 0;
  private timer: NodeJS.Timeout | undefined;
  private limitTimer: NodeJS.Timeout | undefined;
  private wireBytes = 0;
  private readonly opts: Required<Omit<CaptureOptions, "count" | "filter">> & Pick<CaptureOptions, "count"> & { filter: string };

  private constructor(
    readonly points: CapturePoint[],
    options: CaptureOptions,
  ) {
    super();
    this.opts = { ...CAPTURE_DEFAULTS, ...options, filter: options.filter ?? "" };
    this.ring = new PacketRing(this.opts.maxPackets, this.opts.maxBytes, Math.min(1 << 20, this.opts.maxBytes));
  }

  /** Packets captured, their bytes on the wire, those the ring let go, those it keeps. */
  get stats(): CaptureStats {
    return { packets: this.ring.stats.pushed, bytes: this.wireBytes, dropped: this.ring.stats.dropped, kept: this.ring.size };
  }

  /** The command lines it runs, one per interface, as the lab's command log shows them. */
  commandLines(): CommandLogEntry[] {
    return this.points.map((p) => ({
      command: tcpdumpArgv(p, this.opts.filter, this.opts.snaplen)
        .map((a) => shellQuote(/^\/.*\/(ip|nsenter|tcpdump)$/.test(a) ? basename(a) : a))
        .join(" "),
      ok: true,
      op: `capture ${p.label}`,
    }));
  }

  /** The PIDs of its tcpdump processes. */
  get pids(): number[] {
    return this.procs.map((p) => p.pid);
  }

  get filter(): string {
    return this.opts.filter;
  }

  /**
   * Checks the filter, starts one tcpdump per point, and resolves once every one of them is
   * listening. On any failure nothing is left running and the error says what tcpdump said.
   */
  static async start(points: CapturePoint[], options: CaptureOptions = {}): Promise<Capture> {
    if (points.length === 0) throw new CaptureError("name at least one interface to capture on", "interfaces");
    const filter = options.filter ? checkFilterText(options.filter) : "";
    if (filter) await checkFilter(points, filter);
    const c = new Capture(points, { ...options, filter });
    try {
      await Promise.all(points.map((p, i) => c.spawnOne(p, i)));
    } catch (e) {
      await c.stop("failed to start");
      throw e;
    }
    c.timer = setInterval(() => c.flush(), c.opts.flushMs);
    c.limitTimer = setTimeout(() => void c.stop(`time limit (${Math.round(c.opts.maxDurationMs / 1000)} s)`), c.opts.maxDurationMs);
    return c;
  }

  private spawnOne(point: CapturePoint, index: number): Promise<void> {
    const argv = tcpdumpArgv(point, this.opts.filter, this.opts.snaplen);
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], env: toolEnv() });
      } catch (e) {
        reject(new CaptureError(`${point.label}: cannot start tcpdump: ${(e as Error).message}`, "interfaces"));
        return;
      }
      if (child.pid === undefined) {
        child.once("error", (e) => reject(new CaptureError(`${point.label}: cannot start tcpdump: ${e.message}`, "interfaces")));
        return;
      }
      const closed = new Promise<void>((r) => child.once("close", () => r()));
      const proc: Proc = { point, child, pid: child.pid, reader: new PcapReader(), stderr: "", exited: false, linktype: 1, closed };
      this.procs.push(proc);
      let listening = false;
      // a tcpdump that never says it listens is stopped, and the start fails saying so
      const slow = setTimeout(() => {
        if (listening) return;
        reject(new CaptureError(`${point.label}: tcpdump did not start listening within ${START_TIMEOUT_MS / 1000} s`, "interfaces"));
        try {
          process.kill(proc.pid, "SIGKILL");
        } catch {
          /* gone */
        }
      }, START_TIMEOUT_MS);
      child.once("exit", () => clearTimeout(slow));
      child.stderr!.setEncoding("utf8");
      child.stderr!.on("data", (s: string) => {
        if (proc.stderr.length < 8192) proc.stderr += s;
        if (!listening && /listening on/.test(proc.stderr)) {
          listening = true;
          clearTimeout(slow);
          resolve();
        }
      });
      const single = this.points.length === 1;
      const arrive = (timeUs: number, length: number, data: Uint8Array) => {
        // one interface: straight into the ring (no allocation); several: a copy waits to be merged
        if (single) this.keep(index, timeUs, length, data);
        else this.pendingOut.push({ iface: index, timeUs, length, data: data.slice() });
      };
      child.stdout!.on("data", (chunk: Buffer) => {
        if (this.ended) return;
        try {
          proc.reader.each(chunk, arrive);
        } catch (e) {
          void this.stop(`${point.label}: ${(e as Error).message}`);
          return;
        }
        if (proc.reader.header) proc.linktype = proc.reader.header.linktype;
      });
      child.once("exit", (code, signal) => {
        proc.exited = true;
        const why = proc.stderr
          .split("\n")
          .filter((l) => l && !/listening on|packets? (captured|received|dropped)/.test(l))
          .join(" / ");
        if (!listening) {
          reject(new CaptureError(`${point.label}: ${why || `tcpdump exited (${signal ?? code})`}`, "interfaces"));
          return;
        }
        if (!this.stopping && this.procs.every((p) => p.exited)) void this.stop(`${point.label}: ${why || `tcpdump exited (${signal ?? code})`}`);
      });
    });
  }

  /**
   * Merges what arrived, keeps it in the ring, hands it on. With several interfaces, a packet
   * is held until MERGE_HOLD_US after its time: another interface's tcpdump may still be about
   * to hand over an older one, and a batch sorted on its own would then be out of order with
   * the next. The last flush (`all`) hands on everything.
   */
  private flush(all = false): void {
    if (this.pendingOut.length) {
      let batch = this.pendingOut;
      this.pendingOut = [];
      batch.sort((a, b) => a.timeUs - b.timeUs);
      if (!all) {
        const until = Date.now() * 1000 - MERGE_HOLD_US;
        let n = 0;
        while (n < batch.length && batch[n]!.timeUs <= until) n++;
        this.pendingOut = batch.slice(n);
        batch = batch.slice(0, n);
      }
      for (const p of batch) this.keep(p.iface, p.timeUs, p.length, p.data);
    }
    const from = this.handed + 1;
    const to = this.ring.newest;
    if (to < from) return;
    this.handed = to;
    this.emit("ready", from, to);
    if (this.listenerCount("packets") > 0) {
      const out: CapturedPacket[] = [];
      for (let s = Math.max(from, this.ring.oldest); s <= to; s++) {
        const p = this.ring.get(s)!;
        out.push({ iface: p.iface, timeUs: p.timeUs, length: p.length, data: p.data.slice(), seq: s });
      }
      if (out.length) this.emit("packets", out);
    }
    if (!this.stopping && this.opts.count !== undefined && this.ring.stats.pushed >= this.opts.count) void this.stop(`${this.opts.count} packets captured`);
  }

  /** Keeps one packet in the ring (its bytes are copied in), unless the count is reached. */
  private keep(iface: number, timeUs: number, length: number, data: Uint8Array): void {
    if (this.opts.count !== undefined && this.ring.stats.pushed >= this.opts.count) return;
    this.wireBytes += length;
    this.ring.push(iface, timeUs, length, data);
  }

  /** The packets kept, oldest first (copies). */
  packets(): CapturedPacket[] {
    const out: CapturedPacket[] = [];
    for (let s = this.ring.oldest; s <= this.ring.newest; s++) {
      const p = this.ring.get(s)!;
      out.push({ iface: p.iface, timeUs: p.timeUs, length: p.length, data: p.data.slice(), seq: s });
    }
    return out;
  }

  /** The kept packets as a pcapng file, one interface block per point ("node:if"). */
  pcapng(): Uint8Array {
    const ifs: PcapngInterface[] = this.points.map((p, i) => ({
      name: p.label,
      linktype: this.procs.find((x) => x.point === this.points[i])?.linktype ?? 1,
      snaplen: this.opts.snaplen,
    }));
    const packets = [];
    for (let s = this.ring.oldest; s <= this.ring.newest; s++) {
      const p = this.ring.get(s)!;
      packets.push({ interface: p.iface, timeUs: p.timeUs, data: p.data, length: p.length });
    }
    return writePcapng(ifs, packets);
  }

  /** Stops every tcpdump by PID (SIGTERM, then SIGKILL) and resolves when they are gone. */
  stop(reason = "stopped"): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.timer);
      clearTimeout(this.limitTimer);
      await stopPids(
        this.procs.filter((p) => !p.exited).map((p) => p.pid),
        1000,
      );
      // what tcpdump wrote while stopping
      await Promise.race([Promise.all(this.procs.map((p) => p.closed)), new Promise((r) => setTimeout(r, 1000))]);
      this.flush(true);
      this.ended = reason;
      this.emit("end", reason);
    })();
    return this.stopping;
  }
}

/** The capture points of a running lab in this state directory (NotFoundError if it is not up). */
export async function labCapturePoints(engine: Engine, lab: string, refs: string[]): Promise<CapturePoint[]> {
  const [meta, doc] = await Promise.all([engine.state.readMeta(lab), engine.state.readLab(lab)]);
  if (!meta || !doc) throw new NotFoundError(`there is no lab named ${lab}`);
  if (!meta.running) throw new NotFoundError(`lab ${lab} is not up`);
  return capturePoints(doc, meta.tag, refs);
}
