// Watching a running lab live: the kernel tells what changed (one `ip monitor all-nsid` per
// watched lab, so a change by the canvas, the CLI or a person in a shell is seen the same way),
// events are debounced per namespace, the changed namespace is re-read, and a typed event says
// the node's new state when it really differs. Interface counters and OVS MAC tables are
// sampled once a second, only while sampling is switched on (someone looks at the lab).
//
// Knows: that all-nsid needs each namespace to have an nsid (`ip netns set NS auto`), that its
// lines name namespaces by nsid (`ip netns list-id`), that a root-side veth end's counters are
// its namespace end's mirrored (so one root read covers every host-to-switch link), and how to
// end its own processes (by PID, spawn errors reported, never thrown away).
// Leaves to others: parsing (parse/*), reading a node in full (inspect.ts), who watches and
// what to send them (the server).

import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { access, readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { aliasLab, hostIfNames, isHostLike, nsName, parseNsName, switchIfName, type Lab } from "@topolab/topology";
import { pool, run, tool, toolEnv } from "./exec";
import { readNetns, readOvsViews, switchPortNames, type InterfaceView } from "./inspect";
import {
  parseLinks,
  parseMonitorLine,
  parseNetnsList,
  parseProcNetDev,
  type LinkCounters,
  type MonitorKind,
  type RouteInfo,
  type NeighbourInfo,
} from "./parse/index";

/** How many namespaces are read at once (the first full read, a burst of changes). */
export const READ_CONCURRENCY = 8;

/** A node's live state: what the canvas draws (no counters: those come by sampling). */
export interface NodeLive {
  interfaces: {
    name: string;
    /** the lab's name when it differs from the kernel's (internal ports) */
    interface?: string;
    adminUp: boolean;
    carrier: boolean;
    operstate: string;
    mac: string;
    mtu: number;
    addresses: string[];
  }[];
  /** main-table unicast routes, IPv4 and IPv6, with their proto */
  routes: RouteInfo[];
  neighbours: NeighbourInfo[];
}

/** A switch-side (root namespace) end of a link. */
export interface PortLive {
  /** kernel name */
  name: string;
  /** "s1:eth1" */
  endpoint: string;
  adminUp: boolean;
  carrier: boolean;
}

export interface Rate {
  /** bits per second received and sent by this end */
  rxBps: number;
  txBps: number;
  rxPps: number;
  txPps: number;
}

export type LiveEvent =
  /** a host or router changed (null: its namespace is gone, the node is stopped or removed) */
  | { type: "node"; node: string; state: NodeLive | null; kinds: MonitorKind[]; changes: string[]; at: number }
  /** the root-side ends of the lab's links changed */
  | { type: "ports"; ports: PortLive[]; changes: string[]; at: number }
  /** a counter sample: per endpoint "node:iface" its counters and rates since the last sample */
  | { type: "counters"; at: number; counters: Record<string, LinkCounters>; rates: Record<string, Rate> }
  /** an OVS switch's MAC table changed */
  | { type: "macs"; node: string; entries: { mac: string; vlan: number; port: string; endpoint?: string; peer?: string }[]; at: number }
  /** something could not be read or the monitor died; the watch goes on where it can */
  | { type: "error"; message: string; at: number };

export interface LabWatchOptions {
  /** the lab's document now (it may have changed since the watch began); null: the lab is gone */
  refresh?: () => Promise<Lab | null>;
  /** quiet time after the last kernel event before a namespace is re-read (ms) */
  debounceMs?: number;
  /** sampling period of counters and MAC tables (ms) */
  sampleMs?: number;
}

function nodeLive(interfaces: InterfaceView[], routes: RouteInfo[], neighbours: NeighbourInfo[], kernelToLab: Map<string, string>): NodeLive {
  return {
    interfaces: interfaces.map((i) => {
      const lab = kernelToLab.get(i.name);
      return {
        name: i.name,
        ...(lab && lab !== i.name ? { interface: lab } : {}),
        adminUp: i.adminUp,
        carrier: i.carrier,
        operstate: i.operstate,
        mac: i.mac,
        mtu: i.mtu,
        addresses: i.addresses.filter((a) => a.scope !== "link").map((a) => a.cidr),
      };
    }),
    routes: routes.filter((r) => r.table === "main" && r.type === "unicast"),
    neighbours: neighbours.filter((n) => !["NOARP", "NONE"].includes(n.state)),
  };
}

/**
 * Watches one lab. Events: "event" (LiveEvent); "read" (node, its namespace as read: readNetns's
 * answer, null when gone) after every read of a node, changed or not, the first ones included;
 * "lab" (Lab) when it follows a changed document. start() reads every node once (so state() is a
 * full snapshot), then follows the kernel; stop() ends the monitor process.
 */
export class LabWatch extends EventEmitter {
  private lab: Lab;
  private tag: string;
  private readonly debounceMs: number;
  private readonly sampleMs: number;
  private child: ChildProcess | null = null;
  private stopped = false;
  private nsids = new Map<number, string>();
  private pending = new Map<string, Set<MonitorKind>>();
  private timer: NodeJS.Timeout | null = null;
  private nodes = new Map<string, NodeLive | null>();
  private ports: PortLive[] = [];
  private macs = new Map<string, string>();
  private sampler: NodeJS.Timeout | null = null;
  private lastSample: { at: number; counters: Record<string, LinkCounters> } | null = null;
  private reading: Promise<void> = Promise.resolve();
  private readonly refresh: (() => Promise<Lab | null>) | undefined;

  constructor(lab: Lab, tag: string, options: LabWatchOptions = {}) {
    super();
    this.lab = lab;
    this.tag = tag;
    this.debounceMs = options.debounceMs ?? 30;
    this.sampleMs = options.sampleMs ?? 1000;
    this.refresh = options.refresh;
  }

  /** Follows a changed document: new nodes are given nsids and read in full. */
  private async refreshLab(): Promise<string[]> {
    if (!this.refresh) return [];
    const lab = await this.refresh().catch(() => null);
    if (!lab || JSON.stringify(lab) === JSON.stringify(this.lab)) return [];
    this.lab = lab;
    this.emit("lab", lab);
    const hosts = this.hostNodes();
    for (const n of [...this.nodes.keys()]) if (!hosts.includes(n)) this.nodes.delete(n);
    const fresh = hosts.filter((n) => !this.nodes.has(n));
    if (fresh.length) await this.assignNsids();
    return fresh;
  }

  private portNamesOf: { lab: Lab; names: Map<string, { endpoint: string; peer: string }> } | null = null;

  /** The lab's root-side interface names (switch ports), for the document of now. */
  private portNames(): Map<string, { endpoint: string; peer: string }> {
    if (this.portNamesOf?.lab !== this.lab) this.portNamesOf = { lab: this.lab, names: switchPortNames(this.lab, this.tag) };
    return this.portNamesOf.names;
  }

  private hostNodes(): string[] {
    return this.lab.nodes.filter(isHostLike).map((n) => n.name);
  }

  /** The last known state of every host, and the root-side ends. */
  snapshot(): { nodes: Record<string, NodeLive | null>; ports: PortLive[] } {
    return { nodes: Object.fromEntries(this.nodes), ports: this.ports };
  }

  private emitEvent(e: LiveEvent): void {
    this.emit("event", e);
  }

  private fail(message: string): void {
    this.emitEvent({ type: "error", message, at: Date.now() });
  }

  /** The document changed (a node added or renamed): follow the new one. */
  async update(lab: Lab): Promise<void> {
    this.lab = lab;
    this.emit("lab", lab);
    await this.assignNsids();
    for (const n of [...this.nodes.keys()]) if (!this.hostNodes().includes(n)) this.nodes.delete(n);
    for (const n of this.hostNodes()) this.queue(nsName(lab.name, n), "link");
    this.queue(null, "link");
  }

  /**
   * Gives the lab's namespaces that have none an nsid (all-nsid needs one; a few at a time) and
   * learns every namespace's nsid. Called through relist(), never in bursts.
   */
  private async assignNsids(): Promise<void> {
    const list = async (): Promise<boolean> => {
      const r = await run(["ip", "-j", "netns", "list"], { timeoutMs: 5000 });
      if (r.code !== 0) {
        this.fail(`ip -j netns list failed: ${r.stderr.trim()}`);
        return false;
      }
      try {
        this.nsids = parseNetnsList(r.stdout);
        return true;
      } catch (e) {
        this.fail((e as Error).message);
        return false;
      }
    };
    if (!(await list())) return;
    const have = new Set(this.nsids.values());
    const missing = this.hostNodes()
      .map((n) => nsName(this.lab.name, n))
      .filter((ns) => !have.has(ns));
    if (!missing.length) return;
    // "no such namespace" (a stopped node) is fine here
    await pool(
      missing.map((ns) => () => run(["ip", "netns", "set", ns, "auto"], { timeoutMs: 5000 })),
      4,
    );
    await list();
  }

  private relisting: Promise<void> | null = null;
  private lastList = 0;

  /** One relist at a time, at most two a second, however many lines ask for one. */
  private relist(): Promise<void> {
    if (this.relisting) return this.relisting;
    const wait = Math.max(0, 500 - (Date.now() - this.lastList));
    this.relisting = new Promise<void>((r) => setTimeout(r, wait))
      .then(() => (this.stopped ? undefined : this.assignNsids()))
      .finally(() => {
        this.lastList = Date.now();
        this.relisting = null;
      });
    return this.relisting;
  }

  async start(): Promise<void> {
    await this.assignNsids();
    // by absolute path, with topolab's environment (exec.ts), as every tool topolab runs
    const child = spawn(tool("ip"), ["-o", "monitor", "label", "all-nsid", "link", "address", "route", "neigh"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: toolEnv(),
    });
    this.child = child;
    child.on("error", (e) => this.fail(`ip monitor could not run: ${e.message}`));
    child.on("exit", (code, signal) => {
      if (!this.stopped) this.fail(`ip monitor ended (${signal ?? `exit ${code}`}); live updates stopped`);
    });
    child.stderr.on("data", (b: Buffer) => {
      const text = b.toString().trim();
      if (text) this.fail(`ip monitor: ${text}`);
    });
    createInterface({ input: child.stdout }).on("line", (line) => this.onLine(line));
    // a full read once, now that changes are followed (nothing between is missed)
    // a few at a time: 500 `ip` spawned at once on a busy machine each wait out their timeout
    await Promise.all([
      pool(
        this.hostNodes().map((n) => () => this.readNode(n, [])),
        READ_CONCURRENCY,
      ),
      this.readPorts(true),
    ]);
  }

  private onLine(line: string): void {
    let e;
    try {
      e = parseMonitorLine(line);
    } catch (err) {
      this.fail((err as Error).message);
      return;
    }
    if (!e) return;
    if (e.kind === "nsid") {
      void this.relist();
      return;
    }
    if (e.nsid === null) {
      // the root namespace: only links matter, and only the lab's switch-side ends (not the
      // other labs' veths that come and go beside it)
      if (e.kind === "link" && (e.dev === undefined || this.portNames().has(e.dev))) this.queue(null, "link");
      return;
    }
    const ns = this.nsids.get(e.nsid);
    if (ns === undefined) {
      // a namespace given its nsid after our last look: look again, then re-read the lab's
      void this.relist().then(() => {
        const again = this.nsids.get(e.nsid!);
        if (again && parseNsName(again)?.lab === this.lab.name) this.queue(again, e.kind);
      });
      return;
    }
    if (parseNsName(ns)?.lab !== this.lab.name) return;
    this.queue(ns, e.kind);
  }

  private queue(ns: string | null, kind: MonitorKind): void {
    this.lastLineAt = Date.now();
    const key = ns ?? "";
    (this.pending.get(key) ?? this.pending.set(key, new Set()).get(key)!).add(kind);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.debounceMs);
  }

  private flush(): void {
    this.timer = null;
    const batch = this.pending;
    this.pending = new Map();
    // reads run one batch at a time, in order
    this.reading = this.reading
      .then(async () => {
        for (const node of await this.refreshLab()) {
          const key = nsName(this.lab.name, node);
          if (!batch.has(key)) batch.set(key, new Set(["link"]));
        }
        await pool(
          [...batch].map(([key, kinds]) => () => {
            if (key === "") return this.readPorts();
            const node = parseNsName(key)?.node;
            return node && this.hostNodes().includes(node) ? this.readNode(node, [...kinds]) : Promise.resolve();
          }),
          READ_CONCURRENCY,
        );
      })
      .catch((e: unknown) => this.fail(`live read failed: ${(e as Error).message}`));
  }

  private lastLineAt = 0;

  /**
   * Waits until the lab's kernel has been quiet for `ms` (no monitor line of its own) and every read is done: what
   * was changed before the call is then in the kept state (an answer from it, not a read).
   */
  async quiet(ms: number): Promise<void> {
    for (let i = 0; i < 50 && !this.stopped; i++) {
      await this.settled();
      const since = Date.now() - this.lastLineAt;
      if (since >= ms && this.timer === null && this.pending.size === 0) return;
      await new Promise((r) => setTimeout(r, Math.max(5, ms - since)));
    }
  }

  /** Waits until the reads queued so far are done (for tests and orderly stops). */
  async settled(): Promise<void> {
    await new Promise((r) => setTimeout(r, this.debounceMs + 5));
    await this.reading;
  }

  private async readNode(node: string, kinds: MonitorKind[]): Promise<void> {
    if (this.stopped) return;
    const ns = nsName(this.lab.name, node);
    let state: NodeLive | null;
    try {
      const net = await readNetns(ns);
      this.emit("read", node, net);
      const kernelToLab = new Map([...(hostIfNames(this.lab, this.tag).get(node) ?? new Map<string, string>())].map(([l, k]) => [k, l]));
      state = nodeLive(net.interfaces, net.routes, net.neighbours, kernelToLab);
    } catch (e) {
      if (await namespaceGone(ns)) {
        state = null;
        this.emit("read", node, null);
      } else {
        this.fail((e as Error).message);
        return;
      }
    }
    const before = this.nodes.get(node);
    this.nodes.set(node, state);
    if (before === undefined && kinds.length === 0) return; // the first read is the snapshot
    if (JSON.stringify(before) === JSON.stringify(state)) return;
    this.emitEvent({ type: "node", node, state, kinds, changes: describeNodeChange(before ?? null, state), at: Date.now() });
  }

  /** Root-side ends of the lab's links (switch ports), by their topolab alias. */
  private async readPorts(first = false): Promise<void> {
    if (this.stopped) return;
    const r = await run(["ip", "-j", "link", "show"], { timeoutMs: 10_000 });
    if (r.code !== 0) {
      this.fail(`reading the root namespace's links failed: ${r.stderr.trim()}`);
      return;
    }
    const names = this.portNames();
    let links;
    try {
      links = parseLinks(r.stdout);
    } catch (e) {
      this.fail((e as Error).message);
      return;
    }
    const ports = links
      .filter((l) => aliasLab(l.alias)?.lab === this.lab.name && names.has(l.name))
      .map((l) => ({ name: l.name, endpoint: names.get(l.name)!.endpoint, adminUp: l.adminUp, carrier: l.carrier }))
      .sort((a, b) => a.endpoint.localeCompare(b.endpoint));
    const changed = JSON.stringify(ports) !== JSON.stringify(this.ports);
    const before = this.ports;
    this.ports = ports;
    if (changed && !first) this.emitEvent({ type: "ports", ports, changes: describePortChange(before, ports), at: Date.now() });
  }

  /** the OVS switches whose MAC tables are sampled: all, or those someone looks at */
  private macsOf: "all" | Set<string> = "all";

  /**
   * Counters and MAC tables once per period while on; off stops the timer at once. `macs`: the
   * OVS switches whose MAC tables to sample (each costs two processes a second), all by default.
   */
  sampling(on: boolean, macs: "all" | Iterable<string> = "all"): void {
    const next = macs === "all" ? "all" : new Set(macs);
    if (next !== "all") for (const sw of this.macs.keys()) if (!next.has(sw)) this.macs.delete(sw); // sent again when looked at again
    this.macsOf = next;
    if (on && !this.sampler && !this.stopped) {
      const tick = () => {
        void this.sample()
          .catch((e: unknown) => this.fail(`sampling failed: ${(e as Error).message}`))
          .finally(() => {
            if (this.sampler) this.sampler = setTimeout(tick, this.sampleMs);
          });
      };
      this.sampler = setTimeout(tick, 0);
    } else if (!on && this.sampler) {
      clearTimeout(this.sampler);
      this.sampler = null;
      this.lastSample = null;
    }
  }

  get isSampling(): boolean {
    return this.sampler !== null;
  }

  /**
   * One sample: root links (every switch-side end, from /proc/net/dev), namespaces only for
   * links with no root end (one `ip -n NS` each).
   */
  async sample(): Promise<void> {
    const at = Date.now();
    const counters: Record<string, LinkCounters> = {};
    const byName = new Map(this.lab.nodes.map((n) => [n.name, n]));
    const portNames = this.portNames();
    const ifNames = hostIfNames(this.lab, this.tag);
    // the root namespace's counters from one file read, for the ports readPorts() knows to be
    // the lab's (by their alias); no process spawned each second
    let text: string;
    try {
      text = await readFile("/proc/self/net/dev", "utf8");
    } catch (e) {
      return this.fail(`sampling counters failed: reading /proc/self/net/dev: ${(e as Error).message}`);
    }
    const root = parseProcNetDev(text);
    for (const port of this.ports) {
      const names = portNames.get(port.name);
      const c = root.get(port.name);
      if (!names || !c) continue;
      counters[names.endpoint] = c;
      // the host end of a veth sees the same packets, the other way round
      const [node] = names.peer.split(":");
      const peerNode = byName.get(node!);
      if (peerNode && isHostLike(peerNode)) counters[names.peer] = mirror(c);
    }
    // links with no root end: both ends in namespaces (host to host, and internal ports)
    const inside = new Set<string>();
    for (const link of this.lab.links) {
      const nodes = link.endpoints.map((e) => byName.get(e.node));
      if (link.internal || nodes.every((n) => n && isHostLike(n))) {
        for (const e of link.endpoints) if (byName.get(e.node) && isHostLike(byName.get(e.node)!)) inside.add(e.node);
      }
    }
    await Promise.all(
      [...inside].map(async (node) => {
        const x = await run(["ip", "-n", nsName(this.lab.name, node), "-j", "-s", "link", "show"], { timeoutMs: 10_000 });
        if (x.code !== 0) return; // a stopped node has no counters
        const kernelToLab = new Map([...(ifNames.get(node) ?? new Map<string, string>())].map(([l, k]) => [k, l]));
        for (const l of parseLinks(x.stdout)) if (l.counters && l.name !== "lo") counters[`${node}:${kernelToLab.get(l.name) ?? l.name}`] = l.counters;
      }),
    );
    const rates: Record<string, Rate> = {};
    if (this.lastSample) {
      const dt = (at - this.lastSample.at) / 1000;
      for (const [k, c] of Object.entries(counters)) {
        const p = this.lastSample.counters[k];
        if (!p || dt <= 0) continue;
        const d = (a: number, b: number) => Math.max(0, a - b) / dt;
        rates[k] = {
          rxBps: d(c.rxBytes, p.rxBytes) * 8,
          txBps: d(c.txBytes, p.txBytes) * 8,
          rxPps: d(c.rxPackets, p.rxPackets),
          txPps: d(c.txPackets, p.txPackets),
        };
      }
    }
    this.lastSample = { at, counters };
    if (this.stopped) return;
    this.emitEvent({ type: "counters", at, counters, rates });
    await this.sampleMacs();
  }

  private async sampleMacs(): Promise<void> {
    for (const sw of this.lab.nodes) {
      if (sw.kind !== "switch" || sw.type !== "ovs" || (this.macsOf !== "all" && !this.macsOf.has(sw.name))) continue;
      try {
        const { macs } = await readOvsViews(this.lab, this.tag, switchIfName(this.tag, sw.name));
        // without the ages: they change every second, the table does not
        const entries = macs.map((m) => ({
          mac: m.mac,
          vlan: m.vlan,
          port: m.port,
          ...(m.endpoint ? { endpoint: m.endpoint } : {}),
          ...(m.peer ? { peer: m.peer } : {}),
        }));
        const key = JSON.stringify(entries);
        if (this.macs.get(sw.name) === key) continue;
        this.macs.set(sw.name, key);
        if (!this.stopped) this.emitEvent({ type: "macs", node: sw.name, entries, at: Date.now() });
      } catch (e) {
        this.fail((e as Error).message);
      }
    }
  }

  /** Ends the monitor process (by its PID) and the sampler. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.sampling(false);
    if (this.timer) clearTimeout(this.timer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      try {
        process.kill(child.pid, "SIGTERM");
      } catch {
        /* already gone */
      }
      await exited;
    }
    await this.reading;
  }

  /** The PID of the monitor process (tests prove it is gone after stop). */
  get pid(): number | undefined {
    return this.child?.pid;
  }
}

const ifState = (i: { adminUp: boolean; carrier: boolean }) => (!i.adminUp ? "down" : i.carrier ? "up" : "up, NO-CARRIER");
const routeText = (r: RouteInfo) => `${r.to}${r.via ? ` via ${r.via}` : ""}${r.dev ? ` dev ${r.dev}` : ""} proto ${r.proto}`;

/** What changed in a node, in short phrases: "eth0 down", "eth0 +10.9.9.9/24", "route -10.1.0.0/16 via 10.0.0.1". */
export function describeNodeChange(before: NodeLive | null, after: NodeLive | null): string[] {
  if (!after) return ["stopped (its namespace is gone)"];
  if (!before) return ["started"];
  const out: string[] = [];
  const old = new Map(before.interfaces.map((i) => [i.name, i]));
  for (const i of after.interfaces) {
    const label = i.interface ?? i.name;
    const o = old.get(i.name);
    old.delete(i.name);
    if (!o) {
      out.push(`${label} appeared (${ifState(i)})`);
      continue;
    }
    if (ifState(o) !== ifState(i)) out.push(`${label} ${ifState(i)}`);
    if (o.mtu !== i.mtu) out.push(`${label} mtu ${i.mtu}`);
    if (o.mac !== i.mac) out.push(`${label} mac ${i.mac}`);
    for (const a of i.addresses) if (!o.addresses.includes(a)) out.push(`${label} +${a}`);
    for (const a of o.addresses) if (!i.addresses.includes(a)) out.push(`${label} -${a}`);
  }
  for (const o of old.values()) out.push(`${o.interface ?? o.name} gone`);
  const r0 = new Set(before.routes.map(routeText));
  const r1 = new Set(after.routes.map(routeText));
  for (const r of r1) if (!r0.has(r)) out.push(`route +${r}`);
  for (const r of r0) if (!r1.has(r)) out.push(`route -${r}`);
  const n0 = new Map(before.neighbours.map((n) => [`${n.address} ${n.dev}`, n]));
  for (const n of after.neighbours) {
    const o = n0.get(`${n.address} ${n.dev}`);
    n0.delete(`${n.address} ${n.dev}`);
    if (!o || o.state !== n.state || o.mac !== n.mac) out.push(`neighbour ${n.address} ${n.mac ?? ""} ${n.state}`.replace(/\s+/g, " "));
  }
  for (const o of n0.values()) out.push(`neighbour ${o.address} gone`);
  return out;
}

export function describePortChange(before: PortLive[], after: PortLive[]): string[] {
  const old = new Map(before.map((p) => [p.endpoint, p]));
  const out: string[] = [];
  for (const p of after) {
    const o = old.get(p.endpoint);
    old.delete(p.endpoint);
    if (!o) out.push(`${p.endpoint} appeared (${ifState(p)})`);
    else if (ifState(o) !== ifState(p)) out.push(`${p.endpoint} ${ifState(p)}`);
  }
  for (const o of old.values()) out.push(`${o.endpoint} gone`);
  return out;
}

function mirror(c: LinkCounters): LinkCounters {
  return {
    rxBytes: c.txBytes,
    rxPackets: c.txPackets,
    rxErrors: c.txErrors,
    rxDropped: c.txDropped,
    txBytes: c.rxBytes,
    txPackets: c.rxPackets,
    txErrors: c.rxErrors,
    txDropped: c.rxDropped,
  };
}

async function namespaceGone(ns: string): Promise<boolean> {
  try {
    await access(`/run/netns/${ns}`);
    return false;
  } catch {
    return true;
  }
}
