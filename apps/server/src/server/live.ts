// The live side of the server: which sockets watch which lab's kernel, one LabWatch per
// watched lab (started with the first watcher, stopped with the last), events numbered per lab
// and sent to the watchers, counters sampled only while a watcher asked for rates, and the MAC
// table of an OVS switch only while someone inspects it (MAC_INTEREST_MS); a node inspected on
// request; drift listed with the edits that adopt each item, and the kernel put back as the
// document says. The drift of a watched lab is kept here, once per lab, piece by piece (the
// engine's DriftTracker, fed by the watch's reads of each changed namespace and by the
// document's changes: no kernel read of its own), and pushed to the watchers: whole in the
// snapshot, then a live:event "drift" with the nodes whose items changed (worked out only while a
// watcher is shown the drift: an exercise's watch alone does not need it). live:drift answers
// from it while a watch runs (a full kernel read only when none does).
//
// Knows: watchers and their sockets, sequence numbers, how a drift item becomes lab:edit
// changes (protocol), that putting back runs in the lab's queue (no edit interleaves).
// Leaves to others: reading the kernel (engine), applying edits (labs.ts), the socket events
// and their checks (sockets.ts).

import {
  DriftTracker,
  inspectNode,
  LabWatch,
  readDrift,
  removeHandMade,
  type DriftItem,
  type DriftNet,
  type Engine,
  type LiveEvent as EngineLiveEvent,
  type NodeInspect,
} from "@topolab/engine";
import { InspectSchema, LIVE_VERSION, type Change, type Drift, type Inspect, type LiveEvent, type LiveSnapshot, type PingAll } from "@topolab/protocol";
import { canonicalIp, isHostLike, labToDocument, linkKey, zodIssues, type Lab } from "@topolab/topology";
import { RequestError, runningMeta } from "./errors";
import type { Labs } from "./labs";

/** A type with its intersections flattened and nested objects spelled out: two ways of writing one shape compare equal. */
type Plain<T> = T extends (infer U)[] ? Plain<U>[] : T extends object ? { [K in keyof T]: Plain<T[K]> } : T;
/** true only when A and B are the same shape, field for field (optional ones included), both ways. */
type Same<A, B> = (<X>() => X extends Plain<A> ? 1 : 2) extends <X>() => X extends Plain<B> ? 1 : 2 ? true : false;
/**
 * The engine's NodeInspect (TypeScript interfaces: the engine does not depend on the protocol)
 * is the protocol's Inspect (zod), checked at compile time: a field added, dropped or retyped on
 * one side only fails the typecheck here.
 */
export const INSPECT_SHAPES_MATCH: Same<NodeInspect, Inspect> = true;

/** What a watcher is sent: the engine's events, and the drift's changes. */
export type HubEvent = EngineLiveEvent | Extract<LiveEvent, { type: "drift" }>;

export interface Watcher {
  socketId: string;
  rates: boolean;
  /** shown the drift (a browser); false: follows the kernel's changes only (an exercise's checks), no drift is worked out for it */
  drift: boolean;
  send: (payload: { lab: string; version: typeof LIVE_VERSION; seq: number; event: HubEvent }) => void;
}

interface Watched {
  watch: LabWatch;
  /** the lab's drift, kept from the watch's reads */
  drift: DriftTracker;
  /** nodes whose drift changed and is not sent yet (sent together, once the current burst of reads is in) */
  driftDirty: Set<string>;
  driftTimer: NodeJS.Immediate | null;
  /** the drift as the protocol carries it, worked out once per change (null: to work out) */
  driftView: Drift | null;
  /** true once the first full read is in (before, the snapshot will carry the drift) */
  started: boolean;
  watchers: Map<string, Watcher>;
  seq: number;
  ready: Promise<void>;
  /** OVS switches someone inspected lately, each with the timer that forgets it */
  lookedAt: Map<string, NodeJS.Timeout>;
}

/**
 * How long a switch's MAC table stays sampled after it was last inspected: the inspector's MAC
 * tab asks again every few seconds while it is shown. A MAC table costs two processes (ovs-vsctl,
 * ovs-appctl) a second: switches no one looks at are not sampled.
 */
export const MAC_INTEREST_MS = 15_000;

/**
 * live:drift on a watched lab answers once the kernel was quiet this long (what a command just
 * changed has reached the monitor and been read), from the kept state.
 */
export const DRIFT_QUIET_MS = 100;

export class LiveHub {
  private labsWatched = new Map<string, Watched>();

  constructor(
    private readonly engine: Engine,
    /** the server's labs (their queue, for restore) */
    private readonly labs: Labs,
  ) {}

  private async running(name: string): Promise<{ lab: Lab; tag: string }> {
    const [lab, meta] = await Promise.all([this.engine.state.readLab(name), runningMeta(this.engine, name, "start it to see its kernel")]);
    if (!lab) throw new RequestError("not_found", `there is no lab named ${name}`);
    return { lab, tag: meta.tag };
  }

  /** Starts following a lab for one socket; the snapshot now, events after. */
  async watch(name: string, w: Watcher): Promise<LiveSnapshot> {
    let entry = this.labsWatched.get(name);
    if (!entry) {
      const { lab, tag } = await this.running(name);
      entry = this.labsWatched.get(name); // another socket may have started it meanwhile
      if (!entry) {
        const watch = new LabWatch(lab, tag, { refresh: () => this.engine.state.readLab(name) });
        const created: Watched = {
          watch,
          drift: new DriftTracker(lab, tag),
          driftDirty: new Set(),
          driftTimer: null,
          driftView: null,
          started: false,
          watchers: new Map(),
          seq: 0,
          ready: Promise.resolve(),
          lookedAt: new Map(),
        };
        watch.on("event", (event: EngineLiveEvent) => {
          this.send(name, created, event);
          if (event.type === "ports") this.driftChanged(name, created, created.drift.setPorts(event.ports));
        });
        watch.on("read", (node: string, net: DriftNet | null) => this.driftChanged(name, created, created.drift.setNode(node, net)));
        watch.on("lab", (next: Lab) => this.driftChanged(name, created, created.drift.setLab(next)));
        created.ready = watch.start().then(() => {
          created.drift.setPorts(watch.snapshot().ports);
          created.started = true;
        });
        this.labsWatched.set(name, created);
        entry = created;
        try {
          await created.ready;
        } catch (e) {
          this.labsWatched.delete(name);
          await watch.stop();
          throw e;
        }
      }
    }
    await entry.ready;
    entry.watchers.set(w.socketId, w);
    this.sampling(entry);
    this.flushDrift(name, entry); // the snapshot's seq covers every drift change before it
    const snap = entry.watch.snapshot();
    return { lab: name, version: LIVE_VERSION, seq: entry.seq, nodes: snap.nodes, ports: snap.ports, drift: this.driftViewOf(entry) };
  }

  private send(name: string, entry: Watched, event: HubEvent): void {
    entry.seq++;
    const payload = { lab: name, version: LIVE_VERSION as typeof LIVE_VERSION, seq: entry.seq, event };
    for (const x of entry.watchers.values()) x.send(payload);
  }

  /** Nodes whose drift changed: sent once the reads of this turn are in (one event per burst, not per node). */
  private driftChanged(name: string, entry: Watched, nodes: string[]): void {
    if (!nodes.length) return;
    entry.driftView = null;
    if (!entry.started) return; // the snapshot carries it
    // no watcher is shown the drift (only an exercise follows the lab): worked out when asked (a snapshot, live:drift)
    if (![...entry.watchers.values()].some((x) => x.drift)) return;
    for (const n of nodes) entry.driftDirty.add(n);
    entry.driftTimer ??= setImmediate(() => this.flushDrift(name, entry));
  }

  private flushDrift(name: string, entry: Watched): void {
    if (entry.driftTimer) clearImmediate(entry.driftTimer);
    entry.driftTimer = null;
    if (!entry.driftDirty.size) return;
    const lab = entry.drift.lab;
    const nodes: Record<string, Drift["items"]> = {};
    for (const n of entry.driftDirty) nodes[n] = driftView(lab, entry.drift.itemsOf(n)).items;
    entry.driftDirty.clear();
    if (this.labsWatched.get(name) !== entry) return; // stopped meanwhile
    this.send(name, entry, { type: "drift", nodes, adoptAll: this.driftViewOf(entry).adoptAll, at: Date.now() });
  }

  private driftViewOf(entry: Watched): Drift {
    return (entry.driftView ??= driftView(entry.drift.lab, entry.drift.items()));
  }

  /**
   * The lab's document changed (an edit, taking drift into the document above all: no kernel
   * event follows it): its drift is worked out again from the kept kernel state.
   */
  documentChanged(name: string, lab: Lab): void {
    const entry = this.labsWatched.get(name);
    if (entry) this.driftChanged(name, entry, entry.drift.setLab(lab));
  }

  private sampling(entry: Watched): void {
    entry.watch.sampling(
      [...entry.watchers.values()].some((x) => x.rates),
      entry.lookedAt.keys(),
    );
  }

  /** A switch was inspected: its MAC table is sampled for the next MAC_INTEREST_MS. */
  private lookedAt(name: string, node: string): void {
    const entry = this.labsWatched.get(name);
    if (!entry) return;
    clearTimeout(entry.lookedAt.get(node));
    const fresh = !entry.lookedAt.has(node);
    const timer = setTimeout(() => {
      entry.lookedAt.delete(node);
      this.sampling(entry);
    }, MAC_INTEREST_MS);
    timer.unref();
    entry.lookedAt.set(node, timer);
    if (fresh) this.sampling(entry);
  }

  private forget(entry: Watched): void {
    for (const t of entry.lookedAt.values()) clearTimeout(t);
    entry.lookedAt.clear();
  }

  async unwatch(name: string, socketId: string): Promise<void> {
    const entry = this.labsWatched.get(name);
    if (!entry || !entry.watchers.delete(socketId)) return;
    if (entry.watchers.size === 0) {
      this.labsWatched.delete(name);
      this.forget(entry);
      if (entry.driftTimer) clearImmediate(entry.driftTimer);
      await entry.watch.stop();
    } else this.sampling(entry);
  }

  async socketGone(socketId: string): Promise<void> {
    for (const name of [...this.labsWatched.keys()]) await this.unwatch(name, socketId);
  }

  /** Ends every watch (the server stops). */
  async close(): Promise<void> {
    const all = [...this.labsWatched.values()];
    this.labsWatched.clear();
    for (const e of all) {
      this.forget(e);
      if (e.driftTimer) clearImmediate(e.driftTimer);
    }
    await Promise.all(all.map((e) => e.watch.stop()));
  }

  watching(name: string): number {
    return this.labsWatched.get(name)?.watchers.size ?? 0;
  }

  /**
   * One node read from the kernel, checked against the protocol's InspectSchema before it goes
   * out: a field the engine sends that the contract does not describe (or of another type) is an
   * error naming it, never carried to the browser unchecked.
   */
  async inspect(name: string, node: string): Promise<Inspect> {
    const { lab, tag } = await this.running(name);
    const n = lab.nodes.find((x) => x.name === node);
    if (!n) throw new RequestError("not_found", `lab ${name} has no node named ${node}`);
    const read: Inspect = await inspectNode(lab, tag, node);
    const out = InspectSchema.safeParse(read, { reportInput: true });
    if (!out.success) {
      const issues = zodIssues(out.error, []);
      throw new Error(`the kernel's view of ${node} does not fit live:inspect's contract: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
    }
    if (n.kind === "switch" && n.type === "ovs") this.lookedAt(name, node);
    return out.data;
  }

  /**
   * The lab's drift: while a watch runs, the kept one once the kernel was quiet for
   * DRIFT_QUIET_MS and the changes seen are read (no kernel read of its own); else read from the kernel (the CLI, a one-off request).
   */
  async drift(name: string): Promise<Drift> {
    const now = await this.running(name);
    const entry = this.labsWatched.get(name);
    if (
      entry &&
      (await entry.ready.then(
        () => true,
        () => false,
      ))
    ) {
      await entry.watch.quiet(DRIFT_QUIET_MS);
      if (this.labsWatched.get(name) === entry) {
        this.driftChanged(name, entry, entry.drift.setLab(now.lab));
        this.flushDrift(name, entry);
        return this.driftViewOf(entry);
      }
    }
    return this.kernelDrift(now);
  }

  /** The lab's drift read whole from the kernel (a one-off: not a watch's kept state). */
  private async kernelDrift({ lab, tag }: { lab: Lab; tag: string }): Promise<Drift> {
    return driftView(lab, await readDrift(lab, tag));
  }

  async pingAll(name: string): Promise<PingAll> {
    await this.running(name);
    return this.engine.pingAll(name);
  }

  /** Puts the kernel back as the document says, in the lab's queue; the drift after. */
  async restore(name: string): Promise<Drift> {
    await this.labs.queue.run(name, async () => {
      const { lab, tag } = await this.running(name);
      await removeHandMade(lab, await readDrift(lab, tag));
      await this.engine.up(lab);
    });
    // read from the kernel, as before (the kept drift follows by itself, from the kernel's events)
    return this.kernelDrift(await this.running(name));
  }
}

const hubs = new WeakMap<Engine, LiveHub>();

/** Makes the server's one LiveHub for its engine, with its labs: once, where the server is assembled (app.ts). */
export function startLive(engine: Engine, labs: Labs): LiveHub {
  if (hubs.has(engine)) throw new Error("this engine has its live hub already");
  const hub = new LiveHub(engine, labs);
  hubs.set(engine, hub);
  return hub;
}

/** The server's one LiveHub (per engine), shared by the browsers' watches and the exercises'. */
export function liveOf(engine: Engine): LiveHub {
  const hub = hubs.get(engine);
  if (!hub) throw new Error("this engine has no live hub: the server makes it with its labs (startLive, app.ts) before it serves");
  return hub;
}

type InputNode = { name: string; interfaces?: Record<string, Record<string, unknown>>; routes?: Record<string, unknown>[] };

const same = (a: string, b: string) => {
  const [x, xl] = a.split("/");
  const [y, yl] = b.split("/");
  return xl === yl && (canonicalIp(x!) ?? x) === (canonicalIp(y!) ?? y);
};
const routeTo = (to: string) => (to === "0.0.0.0/0" ? "default" : to === "::/0" ? "default6" : to);
const sameTo = (docTo: unknown, to: string) => {
  const t = String(docTo);
  if (t === "default") return to === "0.0.0.0/0" || to === "::/0";
  if (t === "default6") return to === "::/0";
  return same(t.includes("/") ? t : `${t}/${t.includes(":") ? 128 : 32}`, to);
};

/** The edits that take `items` into the lab's document, one updateNode per node, one updateLink per link. */
export function adoptChanges(lab: Lab, items: DriftItem[]): Change[] {
  const doc = labToDocument(lab) as { nodes: InputNode[] };
  const touched = new Map<string, { interfaces: boolean; routes: boolean; node: InputNode }>();
  const linkSets = new Map<string, Record<string, unknown>>();
  const nodeOf = (name: string) => {
    let t = touched.get(name);
    if (!t) {
      const node = structuredClone(doc.nodes.find((n) => n.name === name));
      if (!node) return null;
      touched.set(name, (t = { interfaces: false, routes: false, node }));
    }
    return t;
  };
  const linkOfEnd = (node: string, iface: string) => {
    const l = lab.links.find((x) => x.endpoints.some((e) => e.node === node && e.interface === iface));
    return l ? linkKey(l.endpoints[0], l.endpoints[1]) : null;
  };
  for (const item of items) {
    if (item.kind === "link") {
      linkSets.set(item.link, { state: item.up ? null : "down" });
      continue;
    }
    const t = nodeOf(item.node);
    if (!t) continue;
    const ifs = (t.node.interfaces ??= {});
    if (item.kind === "address") {
      const cfg = (ifs[item.interface] ??= {});
      const list = ((cfg["addresses"] as string[] | undefined) ?? []).filter((a) => !same(a, item.cidr));
      if (item.origin === "hand") list.push(item.cidr);
      if (list.length) cfg["addresses"] = list;
      else delete cfg["addresses"];
      t.interfaces = true;
    } else if (item.kind === "interface") {
      const labNode = lab.nodes.find((n) => n.name === item.node);
      const cfgUp = labNode && isHostLike(labNode) ? (labNode.interfaces[item.interface]?.up ?? true) : true;
      const link = linkOfEnd(item.node, item.interface);
      if (item.up && cfgUp && link) {
        // down only because its link is: the link comes up
        linkSets.set(link, { state: null });
        continue;
      }
      const cfg = (ifs[item.interface] ??= {});
      if (item.up) delete cfg["up"];
      else cfg["up"] = false;
      t.interfaces = true;
    } else {
      const routes = (t.node.routes ?? []).filter((r) => !(sameTo(r["to"], item.to) && (r["via"] ?? undefined) === (item.via ?? undefined)));
      if (item.origin === "hand") {
        routes.push({
          to: routeTo(item.to),
          ...(item.via ? { via: item.via } : {}),
          ...(!item.via && item.dev ? { dev: item.dev } : {}),
          ...(item.metric !== undefined && item.metric !== 1024 && item.metric !== 0 ? { metric: item.metric } : {}),
        });
      }
      t.node.routes = routes;
      t.routes = true;
    }
  }
  const changes: Change[] = [];
  for (const [name, t] of touched) {
    const set: Record<string, unknown> = {};
    if (t.interfaces) set["interfaces"] = t.node.interfaces;
    if (t.routes) set["routes"] = t.node.routes?.length ? t.node.routes : null;
    changes.push({ type: "updateNode", name, set });
  }
  for (const [link, set] of linkSets) changes.push({ type: "updateLink", link, set });
  return changes;
}

export function driftView(lab: Lab, items: DriftItem[]): Drift {
  return {
    lab: lab.name,
    items: items.map((i) => ({ id: i.id, node: i.node, kind: i.kind, origin: i.origin, text: i.text, adopt: adoptChanges(lab, [i]) })),
    adoptAll: adoptChanges(lab, items),
  };
}
