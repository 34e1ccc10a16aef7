// The planner: plan(desired, actual) -> the ordered operations that turn one into the other.
//
// Knows: how to compare resources of each kind, which removals happen by themselves (a
// namespace takes its interfaces, addresses and routes with it; an OVS bridge its ports),
// what must be applied again when something it builds on is re-created, and which names in
// the way are stale leftovers (inside the lab's namespaces) or someone else's (in the root
// namespace: a conflict, never touched), and that an OVS port is made again in two
// transactions (del-port, then add-port in a later one): in one, ovs-vswitchd keeps the device it
// had open, and a veth re-created under the port's name forwards nothing. A port the reader
// found stale (its device not the one OVS has open) is made again the same way.
// Pure: plan(x, x) is empty.
// Leaves to others: reading the kernel (engine/actual) and running the commands (engine/apply).

import { createCommands, deleteCommands, reapplyCommands, Stage, updateCommands, type Command } from "./commands";
import { KIND_ORDER, keys, type NsRef, type Resource, type ResourceKind } from "./resources";

export type OpAction = "create" | "update" | "reapply" | "delete";

export interface Op {
  action: OpAction;
  kind: ResourceKind;
  key: string;
  /** what it does, for people: "create namespace tl.demo.h1" */
  summary: string;
  commands: Command[];
}

export interface Plan {
  ops: Op[];
  /** root-namespace names the lab needs that something else already uses; nothing may run */
  conflicts: string[];
}

export interface ActualState {
  resources: Resource[];
  /** every interface name present, per namespace ("root" for the root namespace) */
  names?: Map<string, Set<string>>;
  /**
   * Keys of resources that exist but that the dataplane does not use, with why: an OVS port
   * whose kernel device is not the one ovs-vswitchd has open. They are made again.
   */
  stale?: Map<string, string>;
}

export interface PlanOptions {
  /**
   * The resources of the last applied document. Addresses carry no owner mark in the kernel;
   * with `previous`, an address is removed only if topolab put it there, so an address a
   * person added by hand in a shell is left alone.
   */
  previous?: Resource[];
}

const order = new Map(KIND_ORDER.map((k, i) => [k, i]));
const byKindOrder = (a: Resource, b: Resource) => order.get(a.kind)! - order.get(b.kind)!;

function sameArray<T>(a: readonly T[] | undefined, b: readonly T[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Whether actual already is what desired asks for (undefined desired fields mean "any"). */
export function sameResource(d: Resource, a: Resource): boolean {
  switch (d.kind) {
    case "netns":
      return true;
    case "sysctl": {
      const av = (a as typeof d).values;
      return Object.entries(d.values).every(([k, v]) => av[k] === v);
    }
    case "lbridge":
      return d.stp === (a as typeof d).stp;
    case "veth": {
      const ae = (a as typeof d).ends;
      const key = (e: { ns: NsRef; name: string }) => `${e.ns ?? ""}/${e.name}`;
      const x = d.ends.map(key).sort();
      const y = ae.map(key).sort();
      return x[0] === y[0] && x[1] === y[1];
    }
    case "ovsBridge": {
      const x = a as typeof d;
      return d.datapath === x.datapath && d.stp === x.stp;
    }
    case "ovsPort": {
      const x = a as typeof d;
      return d.bridge === x.bridge && d.type === x.type && (d.type !== "patch" || d.peer === x.peer) && d.tag === x.tag && sameArray(d.trunks, x.trunks);
    }
    case "iface": {
      const x = a as typeof d;
      return (
        d.up === x.up && (d.mtu === undefined || d.mtu === x.mtu) && (d.mac === undefined || d.mac === x.mac) && (d.alias === undefined || d.alias === x.alias)
      );
    }
    case "bport":
      return d.bridge === (a as typeof d).bridge;
    case "addr":
      return true;
    case "route": {
      const x = a as typeof d;
      return d.via === x.via && (d.dev === undefined || d.dev === x.dev) && (d.metric === undefined || d.metric === x.metric);
    }
    case "qdisc": {
      const x = a as typeof d;
      const near = (p?: number, q?: number) => (p === undefined ? q === undefined : q !== undefined && Math.abs(p - q) <= Math.max(1e-9, Math.abs(p) * 0.01));
      return near(d.rate, x.rate) && near(d.delay, x.delay) && near(d.jitter, x.jitter) && near(d.loss, x.loss);
    }
    case "file":
      return d.content === (a as typeof d).content;
    case "proc": {
      const x = a as typeof d;
      return sameArray(d.argv, x.argv) && JSON.stringify(d.env ?? {}) === JSON.stringify(x.env ?? {});
    }
    case "loss":
      return Math.abs(d.percent - (a as typeof d).percent) < 0.005;
    case "nat": {
      const x = a as typeof d;
      return d.iface === x.iface && d.backend === x.backend && sameArray([...d.subnets].sort(), [...x.subnets].sort());
    }
  }
}

export function describe(r: Resource): string {
  const where = (ns: NsRef) => ns ?? "root namespace";
  switch (r.kind) {
    case "netns":
      return `namespace ${r.ns} (node ${r.node})`;
    case "sysctl":
      return `forwarding in ${r.ns}`;
    case "lbridge":
      return `Linux bridge ${r.name} (switch ${r.node})`;
    case "veth":
      return `veth pair ${r.ends.map((e) => (e.ns ? `${e.ns}:${e.name}` : e.name)).join(" <-> ")} (link ${r.link})`;
    case "ovsBridge":
      return `OVS bridge ${r.name} (switch ${r.node})`;
    case "ovsPort":
      return `OVS ${r.type === "system" ? "" : `${r.type} `}port ${r.name} on ${r.bridge}`;
    case "iface":
      return `interface ${r.name} in ${where(r.ns)}`;
    case "bport":
      return `port ${r.name} of Linux bridge ${r.bridge}`;
    case "addr":
      return `address ${r.cidr} on ${r.ns ?? "root namespace"}:${r.dev}`;
    case "route":
      return `route to ${r.to} in ${r.ns}`;
    case "qdisc":
      return `traffic shaping on ${r.ns ? `${r.ns}:` : ""}${r.dev}`;
    case "file":
      return `file ${r.path}`;
    case "proc":
      return `service ${r.name} on ${r.node} (${r.argv[0]})`;
    case "loss":
      return `${r.percent}% packet loss into ${r.ns}:${r.dev}`;
    case "nat":
      return `NAT of ${r.subnets.join(", ")} through ${r.iface} (${r.node})`;
  }
}

function op(action: OpAction, r: Resource, commands: Command[]): Op {
  return { action, kind: r.kind, key: r.key, summary: `${action} ${describe(r)}`, commands };
}

/** Names a resource creates in a namespace ("root" for the root namespace). */
function createdNames(r: Resource): { ns: string; name: string }[] {
  if (r.kind === "veth") return r.ends.map((e) => ({ ns: e.ns ?? "root", name: e.name }));
  if (r.kind === "lbridge" || r.kind === "ovsBridge") return [{ ns: "root", name: r.name }];
  if (r.kind === "ovsPort" && r.type === "internal") return [{ ns: "root", name: r.name }];
  if (r.kind === "iface" && r.moveFromRoot && r.ns) return [{ ns: r.ns, name: r.name }];
  return [];
}

export function plan(desired: Resource[], actual: ActualState, options: PlanOptions = {}): Plan {
  const D = new Map(desired.map((r) => [r.key, r]));
  const actualSorted = [...actual.resources].sort(byKindOrder);
  const A = new Map(actualSorted.map((r) => [r.key, r]));
  const previousKeys = options.previous ? new Set(options.previous.map((r) => r.key)) : null;

  const deleteKeys = new Set<string>();
  const createKeys = new Set<string>();
  const updates = new Map<string, Command[]>();

  for (const [k, a] of A) {
    if (D.has(k)) continue;
    if (a.kind === "addr" && previousKeys && !previousKeys.has(k)) continue; // added by hand
    deleteKeys.add(k);
  }
  const staleKeys = new Set<string>();
  for (const [k, d] of D) {
    const a = A.get(k);
    if (!a) createKeys.add(k);
    else if (actual.stale?.has(k) && d.kind === "ovsPort" && (a as typeof d).bridge === d.bridge) staleKeys.add(k);
    else if (!sameResource(d, a)) {
      const u = updateCommands(d, a);
      if (u) updates.set(k, u);
      else {
        deleteKeys.add(k);
        createKeys.add(k);
      }
    }
  }

  // what goes away by itself when something it lives in is removed
  const removed = new Set(deleteKeys);
  const implicit = new Set<string>();
  for (const a of actualSorted) {
    if (a.deps.some((dep) => removed.has(dep))) {
      removed.add(a.key);
      implicit.add(a.key);
      if (D.has(a.key)) {
        createKeys.add(a.key);
        updates.delete(a.key);
      }
    }
  }

  // what must be applied again because something it builds on is made anew
  const reapply = new Set<string>();
  for (const d of desired) {
    if (createKeys.has(d.key) || !A.has(d.key)) continue;
    if (staleKeys.has(d.key) || d.after?.some((k) => createKeys.has(k))) {
      reapply.add(d.key);
      updates.delete(d.key);
    }
  }

  // names in the way of what will be created
  const conflicts: string[] = [];
  const stale: Command[] = [];
  if (actual.names) {
    const accounted = new Set<string>();
    for (const a of actualSorted) {
      // the lab's own names are not in the way, neither those it keeps nor those it removes
      // (deletes run before creates, so a veth re-made under the same name frees it first);
      // only an interface deleted on its own is not freed, as deleting an iface runs nothing
      if (removed.has(a.key) && a.kind === "iface" && !implicit.has(a.key)) continue;
      for (const n of createdNames(a)) accounted.add(`${n.ns}/${n.name}`);
      if (a.kind === "iface") accounted.add(`${a.ns ?? "root"}/${a.name}`);
    }
    for (const k of createKeys) {
      const d = D.get(k)!;
      for (const n of createdNames(d)) {
        if (!actual.names.get(n.ns)?.has(n.name) || accounted.has(`${n.ns}/${n.name}`)) continue;
        if (n.ns === "root") conflicts.push(n.name);
        else if (!removed.has(keys.netns(n.ns))) {
          stale.push({ tool: "ip", ns: n.ns, args: ["link", "del", "dev", n.name], stage: Stage.delInside, missingOk: true });
        }
      }
    }
  }

  const ops: Op[] = [];
  const deletes = actualSorted.filter((a) => deleteKeys.has(a.key) && !implicit.has(a.key)).reverse();
  for (const a of deletes) {
    const commands = deleteCommands(a);
    if (commands.length) ops.push(op("delete", a, commands)); // an interface goes with its veth or port
  }
  if (stale.length) {
    ops.push({
      action: "delete",
      kind: "iface",
      key: "stale-interfaces",
      summary: `delete leftover interfaces ${stale.map((c) => (c.tool === "ip" ? `${c.ns}:${c.args[3]}` : "")).join(", ")}`,
      commands: stale,
    });
  }
  for (const d of [...desired].sort(byKindOrder)) {
    if (createKeys.has(d.key)) ops.push(op("create", d, createCommands(d)));
    else if (updates.has(d.key)) ops.push(op("update", d, updates.get(d.key)!));
    else if (reapply.has(d.key) && d.kind === "ovsPort") {
      const o = op("reapply", d, remakePort(d));
      const why = actual.stale?.get(d.key);
      ops.push(why ? { ...o, summary: `${o.summary} (${why})` } : o);
    } else if (reapply.has(d.key)) ops.push(op("reapply", d, reapplyCommands(d)));
  }
  return { ops: carrierLast(ops) ?? overlapStages(ops), conflicts: [...new Set(conflicts)] };
}

/**
 * An OVS port made again: del-port with the deletes, add-port in the later OVS transaction.
 * In one transaction ovs-vswitchd sees the same port name before and after, keeps the device it
 * has open, and never opens the one re-created under that name (seen on the userspace datapath).
 */
function remakePort(r: Extract<Resource, { kind: "ovsPort" }>): Command[] {
  return [{ tool: "ovs-vsctl", args: ["--if-exists", "del-port", r.bridge, r.name], stage: Stage.delOvs }, ...createCommands(r)];
}

/**
 * Interfaces, addresses and routes wait for OVS only when an internal port has to be moved
 * into a namespace first. Without one, they are configured while the OVS transaction runs:
 * one stage less for every edit.
 */
function overlapStages(ops: Op[]): Op[] {
  if (ops.some((o) => o.commands.some((c) => c.stage === Stage.move))) return ops;
  const early = (stage: number) => (stage === Stage.configure || stage === Stage.extras ? Stage.ovs : stage);
  return ops.map((o) => ({ ...o, commands: o.commands.map((c) => ({ ...c, stage: early(c.stage) })) }));
}

/** From this many namespaces configured in one plan, carrierLast orders it (a bring-up, not an edit). */
export const CARRIER_LAST_FROM = 8;

/**
 * A big bring-up's order: the namespaces and veth pairs (root batch, the root-side ends still
 * down); then, side by side, every namespace's interfaces, addresses and routes (their ends
 * come up without a carrier, since the peer is down) and the OVS transaction (its ports'
 * devices do not change meanwhile); then the root-side ends up, in one root batch. Setting a
 * veth end up while its peer is up turns the carrier on inside that `ip` process, and every
 * carrier change in the root namespace makes ovs-vswitchd reconfigure (it re-reads every
 * interface and address of the root namespace): one namespace at a time, that cost 1.1 ms
 * each under the kernel's lock (100 namespaces: 236 to 253 ms, against 122 to 138 ms without
 * a carrier). The root ends come up together in about 16 ms, once OVS has its ports (a port
 * added while its device changes sometimes never forwards: commands.ts). An edit (few
 * namespaces) keeps overlapStages' order: one stage less. null: not such a plan.
 */
function carrierLast(ops: Op[]): Op[] | null {
  const all = ops.flatMap((o) => o.commands);
  if (all.some((c) => c.stage === Stage.move)) return null;
  const configured = new Set(all.filter((c) => c.stage === Stage.configure && c.tool === "ip" && c.ns !== null).map((c) => (c as { ns: string }).ns));
  if (configured.size < CARRIER_LAST_FROM) return null;
  const restage = (c: Command): Command[] => {
    if (c.stage === Stage.configure || c.stage === Stage.extras || c.stage === Stage.ovs) return [{ ...c, stage: Stage.inside }];
    return [c];
  };
  const rootUp = (o: Op, c: Command): Command[] => {
    if (o.kind !== "iface" || o.action !== "create" || c.tool !== "ip" || c.ns !== null || c.stage !== Stage.rootLinks) return restage(c);
    if (c.args[0] !== "link" || c.args[1] !== "set" || c.args.at(-1) !== "up") return restage(c);
    const rest = c.args.slice(0, -1);
    const up: Command = { tool: "ip", ns: null, args: [...c.args.slice(0, 4), "up"], stage: Stage.carrier };
    return rest.length > 4 ? [{ ...c, args: rest }, up] : [up];
  };
  return ops.map((o) => ({ ...o, commands: o.commands.flatMap((c) => rootUp(o, c)) }));
}

export interface PlanSummary {
  create: number;
  update: number;
  delete: number;
}

export function summarize(p: Plan): PlanSummary {
  const s = { create: 0, update: 0, delete: 0 };
  for (const o of p.ops) s[o.action === "reapply" ? "update" : o.action]++;
  return s;
}
