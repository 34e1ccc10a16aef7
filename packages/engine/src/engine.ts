// The engine: bring a lab up, change it, take it down, say how it is, clean the machine.
//
// Knows the sequence of an apply: lock the lab, check what this machine can build, realize
// the document, read the kernel, plan, run, and on any failure return the kernel to the last
// document that applied whole (or to nothing, for a new lab), naming the operation that failed
// and the kernel's message. Knows what "down" and "clean" remove, and that they only ever
// remove what carries topolab's marks. Leaves the details to planner, executor and reader.

import { existsSync } from "node:fs";
import { readdir, readFile, rm } from "node:fs/promises";
import {
  capabilityIssues,
  dhcpClientName,
  duplicateRootNames,
  isHostLike,
  LabValidationError,
  nodeSysctls,
  nsName,
  parseNsName,
  plan,
  realize,
  renderScript,
  summarize,
  OVS_DATAPATH_VAR,
  exportRunDir,
  OVS_LAB_KEY,
  aliasLab,
  type Capabilities,
  type Lab,
  type Op,
  type Plan,
  type PlanSummary,
  type RealizeEnv,
  type Resource,
} from "@topolab/topology";
import { readLab, readSnapshot, labLeftovers, type KernelSnapshot, type LabActual } from "./actual";
import { lossNodes, readLoss } from "./loss";
import { capabilities, PROBE_NS_PREFIX } from "./capabilities";
import { execute, OperationError, sweepBatchLeftovers, type CommandLogEntry } from "./executor";
import { run } from "./exec";
import { killNetnsProcesses, sleep } from "./processes";
import { StateStore, type LabMeta } from "./state";
import { buildStatus, parseDhclientLease, type DhcpLease, type LabStatus } from "./status";
import { Services } from "./services";
import { cleanNat, syncHostForwarding } from "./nat";
import { cleanConfinement } from "./confine";
import { foreignWords, ownedStatus, ownerId, ownership, releaseAll, releaseLab, takeLab, type Ownership } from "./owner";
import { pingAll, pingPair, type PingAllOptions, type PingAllResult, type PingNode, type PingPairResult } from "./pingall";
import { runChecks, type CheckResult, type CheckRunOptions } from "./check-runner";
import { traceLab, type TraceOptions, type TraceResult } from "./trace";
import { appendJournal } from "./journal";

export interface EngineOptions {
  stateDir?: string;
  /** every kernel command, as it completes */
  log?: (entry: CommandLogEntry & { lab: string }) => void;
}

export interface ApplyResult {
  lab: string;
  summary: PlanSummary;
  ops: Op[];
  /** true when nothing had to change */
  unchanged: boolean;
}

export class ApplyError extends Error {
  constructor(
    message: string,
    readonly cause: OperationError | Error,
    readonly rolledBack: boolean,
    readonly rollbackError?: Error,
  ) {
    super(message);
    this.name = "ApplyError";
  }
}

export class ConflictError extends Error {
  constructor(
    readonly names: string[],
    lab: string,
  ) {
    super(
      `lab ${lab} needs ${names.length === 1 ? "the interface name" : "the interface names"} ${names.join(", ")}, ` +
        `which something else on this machine already uses; nothing was changed`,
    );
    this.name = "ConflictError";
  }
}

/** Refused: the lab's kernel objects are another topolab's (another state directory's; owner.ts). */
export class OwnerError extends ConflictError {
  constructor(
    readonly lab: string,
    readonly other: Ownership,
    doing: string,
  ) {
    super([], lab);
    this.name = "OwnerError";
    this.message = `${doing}: ${foreignWords(lab, other)}; topolab left it alone`;
  }
}

/**
 * The namespace of `lab` that a failed read says is not there (gone between the listing and the
 * read: another process took the lab down), or null for any other failure. iproute2 (ip -n, ip
 * netns exec, tc -n) says `Cannot open network namespace "NS": No such file or directory` when
 * the name is gone, and `setting the network namespace "NS" failed: Invalid argument` when `ip
 * netns del` has unmounted it but not yet removed the name.
 */
export function vanishedNamespace(lab: string, message: string): string | null {
  const m = /Cannot open network namespace "([^"]+)": No such file or directory|setting the network namespace "([^"]+)" failed: Invalid argument/.exec(message);
  const ns = m?.[1] ?? m?.[2];
  return ns && parseNsName(ns)?.lab === lab ? ns : null;
}

export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotFoundError";
  }
}

export type { PingAllResult, PingAllPair, PairOutput, PingPairResult } from "./pingall";

export interface CleanResult {
  namespaces: string[];
  interfaces: string[];
  ovsBridges: string[];
  ovsPorts: string[];
  files: string[];
  processes: number[];
  /** nftables tables or iptables rules of NAT gateways */
  natRules?: string[];
  /** students' cgroups (confine.ts) */
  cgroups?: string[];
}

export class Engine {
  readonly state: StateStore;

  readonly services: Services;

  constructor(private readonly options: EngineOptions = {}) {
    this.state = new StateStore(options.stateDir);
    this.services = new Services(this.state.dir);
  }

  capabilities(): Promise<Capabilities> {
    return capabilities(this.state.dir);
  }

  /** This state directory's owner id (owner.ts), or null before its first lab. */
  async ownerId(): Promise<string | null> {
    this.owner ??= await ownerId(this.state.dir, false);
    return this.owner;
  }

  private owner: string | null = null;

  /** Whose the lab's kernel objects are: this state directory's, nobody's, or another's. */
  async ownership(name: string): Promise<Ownership> {
    return ownership(await this.snapshot(), name, await this.ownerId());
  }

  private async env(tag: string): Promise<RealizeEnv> {
    const caps = await this.capabilities();
    const owner = await this.ownerId();
    return {
      tag,
      ...(owner ? { owner } : {}),
      ovsDatapath: caps.ovs.datapath,
      checksumOffloadOff: caps.ovs.datapath === "netdev" && !caps.ovs.userspaceTso,
      natBackend: caps.nat ?? "nft",
      // switch ports without IPv6 where the kernel has it (realize.ts, RealizeEnv.rootIpv6Off)
      rootIpv6Off: existsSync("/proc/sys/net/ipv6/conf/all"),
    };
  }

  /**
   * The root namespace, the namespaces, and OVS unless the lab documents given show no OVS
   * switch (then OVS holds nothing of the lab, and the read is skipped).
   */
  private async snapshot(docs?: (Lab | null)[]): Promise<KernelSnapshot> {
    const needsOvs = !docs || docs.some((d) => !d || d.nodes.some((n) => n.kind === "switch" && n.type === "ovs"));
    return readSnapshot({ ovs: needsOvs && (await this.capabilities()).ovs.available });
  }

  private async readActual(snapshot: KernelSnapshot | Promise<KernelSnapshot>, name: string, docs: (Lab | null)[], shallow = false): Promise<LabActual> {
    // nodes with sysctls (routers, and nodes that set their own), now or in the last applied document
    const sysctls = new Map<string, Set<string>>();
    for (const d of docs) {
      for (const n of d?.nodes ?? []) {
        const values = isHostLike(n) ? nodeSysctls(n) : null;
        if (!values) continue;
        const keys = sysctls.get(n.name) ?? new Set<string>();
        for (const k of Object.keys(values)) keys.add(k);
        sysctls.set(n.name, keys);
      }
    }
    const nat = (await this.capabilities()).nat;
    const hasNat = docs.some((d) => d?.nodes.some((n) => n.kind === "nat"));
    // links with loss: their nftables rules, read beside the rest (loss.ts)
    const [actual, loss] = await Promise.all([
      readLab(snapshot, {
        lab: name,
        sysctlNodes: new Map([...sysctls].map(([n, k]) => [n, [...k]])),
        services: this.services,
        ...(hasNat && nat ? { nat } : {}),
        ...(shallow ? { shallow } : {}),
      }),
      shallow ? Promise.resolve([]) : readLoss(name, lossNodes(docs)),
    ]);
    actual.resources.push(...loss);
    return actual;
  }

  /**
   * Adds a command to the lab's command log, for work done beside the engine's plans (a
   * capture's tcpdump): to the log callback this engine was given (the server's), or without
   * one (the CLI) to the lab's journal in the state directory, which a server on the same
   * state directory shows in the lab's log (journal.ts). Rejects when the journal cannot be written.
   */
  async logCommand(lab: string, entry: CommandLogEntry): Promise<void> {
    if (this.options.log) return this.options.log({ ...entry, lab });
    await appendJournal(this.state.labDir(lab), [{ ...entry, time: new Date().toISOString(), pid: process.pid }]);
  }

  private run(ops: Op[], lab: string): Promise<void> {
    const log = this.options.log ? (e: CommandLogEntry) => this.options.log!({ ...e, lab }) : undefined;
    return execute(ops, { services: this.services, ...(log ? { log } : {}) });
  }

  /** What up(lab) would do, without doing it. */
  async dryRun(lab: Lab): Promise<Plan> {
    const meta = await this.state.readMeta(lab.name);
    const env = await this.env(meta?.tag ?? "tag");
    const previous = await this.state.readLab(lab.name);
    const snapshot = await this.snapshot();
    const own = await ownership(snapshot, lab.name, await this.ownerId());
    if (own.state === "foreign") throw new OwnerError(lab.name, own, `cannot plan lab ${lab.name}`);
    const actual = await this.readActual(snapshot, lab.name, [lab, previous]);
    return plan(realize(lab, env), actual, { previous: previous ? realize(previous, env) : [] });
  }

  /**
   * Makes the kernel match the lab: creates what is missing, changes what differs, removes
   * what the lab no longer has. All or nothing: on failure the lab returns to its last good
   * document. Running it twice changes nothing the second time.
   */
  async up(lab: Lab, options: { source?: string; origin?: boolean } = {}): Promise<ApplyResult> {
    const caps = await this.capabilities();
    const issues = capabilityIssues(lab, caps);
    if (issues.length) throw new LabValidationError(issues);
    return this.state.withLabLock(lab.name, `up ${lab.name}`, async () => {
      const previousLab = await this.state.readLab(lab.name);
      // the kernel is read while the rest is prepared: an edit's time is mostly this read
      const snapshot = this.snapshot([lab, previousLab]);
      // and the lab's own objects beside it (readLab: its namespaces too), not after the
      // ownership check below: 5 to 8 ms of an edit's 45. A failure is thrown where it is awaited
      const actual = this.readActual(snapshot, lab.name, [lab, previousLab]);
      actual.catch(() => undefined);
      const existing = await this.state.readMeta(lab.name);
      const isNew = existing === null;
      // another state directory's lab of the same name is refused before anything is made
      try {
        this.owner = await takeLab(this.state.dir, await snapshot, lab.name);
      } catch (e) {
        if (isNew) await this.state.removeLab(lab.name);
        throw e;
      }
      const meta = existing ?? (await this.state.ensureMeta(lab.name, new Set((await snapshot).rootLinks.map((l) => l.ifname)), options.source));
      try {
        return await this.applyLocked(lab, meta, actual, previousLab, !!options.origin);
      } catch (e) {
        if (isNew && !(await this.state.readLab(lab.name))) {
          await this.state.removeLab(lab.name);
          // rolled back to nothing: the name is free again on this machine
          if (!(e instanceof ApplyError) || e.rolledBack) await releaseLab(this.state.dir, lab.name);
        }
        throw e;
      }
    });
  }

  private async applyLocked(lab: Lab, meta: LabMeta, reading: Promise<LabActual>, previousLab: Lab | null, origin = false): Promise<ApplyResult> {
    const env = await this.env(meta.tag);
    const desired = realize(lab, env);
    const dups = duplicateRootNames(desired);
    if (dups.length) {
      throw new LabValidationError([
        {
          path: "nodes",
          message: `two parts of the lab would get the same kernel name (${dups.join(", ")}); rename a switch or an interface`,
        },
      ]);
    }
    const previous = previousLab ? realize(previousLab, env) : [];
    const actual = await reading;
    const p = plan(desired, actual, { previous });
    if (p.conflicts.length) throw new ConflictError(p.conflicts, lab.name);
    try {
      await this.run(p.ops, lab.name);
      if (p.ops.some((o) => o.action === "delete" && o.kind === "netns")) await this.waitGone(actual.resources, desired);
    } catch (e) {
      const failure = e as Error;
      let rollbackError: Error | undefined;
      try {
        await this.rollback(lab.name, previousLab, lab, [...desired, ...previous], env);
      } catch (re) {
        rollbackError = re as Error;
      }
      const back = previousLab ? "the lab is back as it was before this change" : "nothing of it was left behind";
      throw new ApplyError(
        `${failure.message}\n${rollbackError ? `rolling back failed too: ${rollbackError.message}` : back}`,
        failure,
        !rollbackError,
        rollbackError,
      );
    }
    await this.state.writeLab(lab);
    // the document an exercise shipped as: what `reset` brings back
    if (lab.exercise && (origin || !(await this.state.readOrigin(lab.name)))) await this.state.writeOrigin(lab);
    await this.state.writeMeta({ ...meta, updatedAt: new Date().toISOString(), running: true });
    await this.syncHostForwarding();
    const summary = summarize(p);
    return { lab: lab.name, summary, ops: p.ops, unchanged: p.ops.length === 0 };
  }

  /** Back to `previousLab` (or nothing), reading what `failed` may have left too (its routers' sysctls, its NAT rules). */
  private async rollback(name: string, previousLab: Lab | null, failed: Lab, touched: Resource[], env: RealizeEnv): Promise<void> {
    const target = previousLab ? realize(previousLab, env) : [];
    const actual = await this.readActual(await this.snapshot(), name, [previousLab, failed]);
    const p = plan(target, actual, { previous: touched });
    await this.run(p.ops, name);
    await this.waitGone(actual.resources, target);
  }

  /**
   * Waits until the root-side veth ends of removed namespaces are gone: the kernel removes them
   * in the background after `ip netns del`. Checked in /sys/class/net, without spawning anything.
   */
  private async waitGone(actual: Resource[], keep: Resource[], timeoutMs = 10_000): Promise<void> {
    const rootEnds = (rs: Resource[]) => rs.flatMap((r) => (r.kind === "veth" ? r.ends.filter((e) => e.ns === null).map((e) => e.name) : []));
    const kept = new Set(rootEnds(keep));
    let left = rootEnds(actual).filter((n) => !kept.has(n));
    const deadline = Date.now() + timeoutMs;
    while (left.length) {
      left = left.filter((n) => existsSync(`/sys/class/net/${n}`));
      if (left.length === 0) return;
      if (Date.now() > deadline) throw new Error(`${left.join(", ")} did not go away after their namespaces were removed`);
      await sleep(5);
    }
  }

  /**
   * Removes every kernel object of the lab, and its state unless `keep` (then the document
   * stays, marked not running).
   */
  async down(name: string, options: { keep?: boolean } = {}): Promise<{ removed: number; leftAlone?: string }> {
    const meta = await this.state.readMeta(name);
    if (!meta) {
      const snapshot = await this.snapshot();
      if (labLeftovers(snapshot, name).length === 0) throw new NotFoundError(`there is no lab named ${name}`);
      const own = await ownership(snapshot, name, await this.ownerId());
      if (own.state === "foreign") throw new OwnerError(name, own, `cannot take down lab ${name}`);
    }
    // the batch files a killed topolab left (of this lab or another) go too
    sweepBatchLeftovers();
    return this.state.withLabLock(name, `down ${name}`, async () => {
      // what lives inside the namespaces goes with them: no need to read it
      const doc = await this.state.readLab(name);
      const snapshot = await this.snapshot([doc]);
      const own = await ownership(snapshot, name, await this.ownerId());
      if (own.state === "foreign") {
        // the kernel objects are another topolab's: only this state directory's document goes
        if (!meta) throw new OwnerError(name, own, `cannot take down lab ${name}`);
        if (options.keep) await this.state.writeMeta({ ...meta, running: false, updatedAt: new Date().toISOString() });
        else await this.state.removeLab(name);
        return { removed: 0, leftAlone: foreignWords(name, own) };
      }
      const actual = await this.readActual(snapshot, name, [doc], true);
      const p = plan([], actual);
      await this.run(p.ops, name);
      await this.waitGone(actual.resources, []);
      if (options.keep && meta) await this.state.writeMeta({ ...meta, running: false, updatedAt: new Date().toISOString() });
      else await this.state.removeLab(name);
      await releaseLab(this.state.dir, name);
      await this.syncHostForwarding();
      return { removed: p.ops.length };
    });
  }

  /** Labs known to the state directory or found in the kernel, with their nodes' states: one lab
   * (by name: not found if neither knows it), the labs a predicate keeps (the others' objects are
   * not read: a lab going away meanwhile is no concern of the caller's), or every lab. */
  async status(only?: string | ((lab: string) => boolean)): Promise<LabStatus[]> {
    const snapshot = await this.snapshot();
    const names = new Set(await this.state.labNames());
    for (const n of snapshot.namespaces) {
      const p = parseNsName(n);
      if (p) names.add(p.lab);
    }
    for (const b of snapshot.ovs?.bridges ?? []) if (b.externalIds[OVS_LAB_KEY]) names.add(b.externalIds[OVS_LAB_KEY]);
    if (typeof only === "string") {
      if (!names.has(only)) throw new NotFoundError(`there is no lab named ${only}`);
      names.clear();
      names.add(only);
    } else if (only) {
      for (const n of [...names]) if (!only(n)) names.delete(n);
    }
    const out: LabStatus[] = [];
    for (const name of [...names].sort()) {
      const [meta, doc] = await Promise.all([this.state.readMeta(name), this.state.readLab(name)]);
      const own = await ownership(snapshot, name, await this.ownerId());
      const env = await this.env(meta?.tag ?? "");
      if (own.state !== "mine") delete env.owner; // old-format marks are compared as they were made
      // a lab another process takes down meanwhile loses its namespaces under the read: read it
      // once more from the kernel as it is now. Any other failure, or a second one, is the answer
      const actual = await this.readActual(snapshot, name, [doc]).catch((first: unknown) => {
        const said = (e: unknown) => (e instanceof Error ? e.message : String(e));
        const gone = vanishedNamespace(name, said(first));
        if (!gone) throw first;
        return this.readActual(this.snapshot(), name, [doc]).catch((second: unknown) => {
          const again = `read again from the kernel as it is now: ${said(second)}`;
          throw new Error(`reading lab ${name} failed: ${said(first)} (${gone} went away meanwhile); ${again}`, { cause: second });
        });
      });
      const services = await this.services.list(name);
      const leases = new Map<string, DhcpLease>();
      for (const node of doc?.nodes ?? []) {
        if (!isHostLike(node)) continue;
        for (const [ifname, cfg] of Object.entries(node.interfaces)) {
          if (!cfg.dhcp) continue;
          const text = await readFile(`${this.services.runDir(name, node.name)}/${dhcpClientName(ifname)}.leases`, "utf8").catch(() => "");
          const lease = parseDhclientLease(text);
          if (lease) leases.set(`${node.name}/${ifname}`, lease);
        }
      }
      out.push(ownedStatus(buildStatus(name, meta, doc, doc ? realize(doc, env) : [], actual, { services, leases }), name, own));
    }
    return out;
  }

  /**
   * IPv4 forwarding in the root namespace, which a NAT gateway needs: on while a running lab
   * of this state directory has one, and put back as it was when none has.
   */
  private async syncHostForwarding(): Promise<void> {
    let needed = false;
    for (const name of await this.state.labNames()) {
      const meta = await this.state.readMeta(name);
      const doc = meta?.running ? await this.state.readLab(name) : null;
      if (doc?.nodes.some((n) => n.kind === "nat")) needed = true;
    }
    await syncHostForwarding(this.state.dir, needed);
  }

  /**
   * Mininet's pingall: every host or router pings every other one's first IPv4 address (static
   * or leased); one fping per source (pingall.ts).
   */
  async pingAll(name: string, options: PingAllOptions = {}): Promise<PingAllResult> {
    return pingAll(name, await this.pingNodes(name), options);
  }

  /** The lab's hosts and routers with the addresses the kernel has now: what ping all and a pair ping from and to. */
  private async pingNodes(name: string): Promise<PingNode[]> {
    const [status] = await this.status(name);
    if (!status) throw new NotFoundError(`there is no lab named ${name}`);
    return status.nodes.filter((n) => n.namespace).map((n) => ({ name: n.name, addresses: n.interfaces.flatMap((i) => i.addresses) }));
  }

  /**
   * Pings one pair of a running lab again (`ping -c 3 -W 1`, pingall.ts): from a host or router
   * to another's first IPv4 address as the kernel has it now. The command goes to the lab's
   * command log (logCommand), ok when a reply came back.
   */
  async pingPair(name: string, from: string, to: string): Promise<PingPairResult> {
    return pingPair(name, await this.pingNodes(name), from, to, async (argv) => {
      const r = await run(argv, { timeoutMs: 30_000 });
      // the log says why it failed: ping's error, or its statistics line ("3 packets transmitted, 0 received, …")
      const why = r.stderr.trim().split("\n")[0] || r.stdout.split("\n").find((l) => l.includes("packet loss"));
      const error = r.code !== 0 ? why : undefined;
      await this.logCommand(name, { command: argv.join(" "), ok: r.code === 0, ...(error ? { error } : {}), op: `ping:${from}>${to}` });
      return r;
    });
  }

  /**
   * Traces from a host or router of a running lab to another node, node:interface or address
   * (trace.ts): the hops on the lab's nodes and links, and where and why it stopped. Its
   * commands go to the lab's command log (logCommand: the CLI's through the lab's journal).
   */
  async trace(name: string, from: string, to: string, options: TraceOptions = {}): Promise<TraceResult> {
    const [doc, meta] = await Promise.all([this.state.readLab(name), this.state.readMeta(name)]);
    if (!doc || !meta) throw new NotFoundError(`there is no lab named ${name}`);
    if (!meta.running) throw new NotFoundError(`lab ${name} is down: bring it up to trace in it`);
    const op = `trace:${from}>${to}`;
    return traceLab({ lab: doc, tag: meta.tag, from, to }, options, async (argv) => {
      const r = await run(argv, { timeoutMs: 60_000 });
      const error = (r.stderr || r.stdout).trim().split("\n")[0];
      // the server's log, or (the CLI) the lab's journal that a server shows
      await this.logCommand(name, { command: argv.join(" "), ok: r.code === 0, ...(r.code !== 0 && error ? { error } : {}), op });
      return r;
    });
  }

  /** Runs the checks of a running lab's exercise against the kernel. */
  async check(name: string, options: CheckRunOptions = {}): Promise<{ lab: string; title: string; results: CheckResult[] }> {
    const [doc, meta] = await Promise.all([this.state.readLab(name), this.state.readMeta(name)]);
    if (!doc || !meta) throw new NotFoundError(`there is no lab named ${name}`);
    if (!doc.exercise) throw new NotFoundError(`lab ${name} has no exercise (a lab file's exercise: section gives one)`);
    if (!meta.running) throw new NotFoundError(`lab ${name} is down: bring it up to check it`);
    const results = await runChecks(doc, meta.tag, (node) => this.services.runDir(name, node), options);
    return { lab: name, title: doc.exercise.title, results };
  }

  /**
   * Puts an exercise back as it shipped: the lab goes down (its kernel objects, its processes,
   * the students' hand-made changes with them) and comes up again from the shipped document.
   */
  async reset(name: string): Promise<ApplyResult> {
    const origin = await this.state.readOrigin(name);
    if (!origin) {
      if (!(await this.state.readMeta(name))) throw new NotFoundError(`there is no lab named ${name}`);
      throw new NotFoundError(`lab ${name} has no shipped exercise to go back to (reset is for labs with an exercise)`);
    }
    await this.down(name, { keep: true });
    // a DHCP client would otherwise ask for the address it held after the fix (another VLAN's)
    await this.services.forgetRuns(name);
    return this.up(origin, { origin: true });
  }

  /** The namespace of a host or router of a running lab. */
  async nodeNamespace(labName: string, node: string): Promise<string> {
    const doc = await this.state.readLab(labName);
    if (!doc) throw new NotFoundError(`there is no lab named ${labName}`);
    const n = doc.nodes.find((x) => x.name === node);
    if (!n) throw new NotFoundError(`lab ${labName} has no node named ${node} (nodes: ${doc.nodes.map((x) => x.name).join(", ")})`);
    if (!isHostLike(n)) {
      throw new NotFoundError(`${node} is a switch: it has no namespace of its own (its ports are in the root namespace)`);
    }
    return nsName(labName, node);
  }

  /** The lab as a bash script of plain commands: `sh` builds it, `sh-down` removes it. */
  async exportScript(name: string, format: "sh" | "sh-down"): Promise<string> {
    const doc = await this.state.readLab(name);
    const meta = await this.state.readMeta(name);
    if (!doc || !meta) throw new NotFoundError(`there is no lab named ${name}`);
    const caps = await this.capabilities();
    const resources = realize(doc, {
      tag: meta.tag,
      ovsDatapath: OVS_DATAPATH_VAR,
      checksumOffloadOff: caps.ovs.datapath === "netdev" && !caps.ovs.userspaceTso,
      natBackend: caps.nat ?? "nft",
      rootIpv6Off: existsSync("/proc/sys/net/ipv6/conf/all"),
    });
    const usesOvs = resources.some((r) => r.kind === "ovsBridge");
    const hasNat = resources.some((r) => r.kind === "nat");
    const hasServices = resources.some((r) => r.kind === "proc");
    if (format === "sh") {
      const p = plan(resources, { resources: [] });
      return renderScript(p.ops, {
        lab: name,
        title: `Builds lab ${name} with plain ip, tc and ovs-vsctl commands.`,
        usesOvs,
        strict: true,
        tail: hasNat
          ? ["# a NAT gateway needs the machine to forward IPv4 (this changes the machine, not only the lab)", "sysctl -q -w net.ipv4.ip_forward=1"]
          : [],
      });
    }
    const p = plan([], { resources });
    return renderScript(p.ops, {
      lab: name,
      title: `Removes lab ${name} (what its "sh" export built).`,
      usesOvs: false,
      strict: false,
      tail: [
        ...(hasServices ? ["# the services' pid files and logs", `rm -rf -- ${exportRunDir(name, "").replace(/\/$/, "")}`] : []),
        ...(hasNat ? ["# net.ipv4.ip_forward was turned on for the NAT gateway; set it back if the machine had it off"] : []),
      ],
    });
  }

  /** Removes every object topolab made on this machine, whatever lab it belongs to; nothing else. */
  async clean(): Promise<CleanResult> {
    const snapshot = await this.snapshot();
    const result: CleanResult = { namespaces: [], interfaces: [], ovsBridges: [], ovsPorts: [], files: [], processes: [] };
    const ours = snapshot.namespaces.filter((n) => parseNsName(n) !== null || n.startsWith(PROBE_NS_PREFIX));
    result.processes.push(...(await killNetnsProcesses(ours)));
    if (snapshot.ovs) {
      const args: string[] = [];
      const ourBridges = new Set<string>();
      for (const b of snapshot.ovs.bridges) {
        if (b.externalIds[OVS_LAB_KEY]) {
          ourBridges.add(b.name);
          result.ovsBridges.push(b.name);
          args.push("--", "--if-exists", "del-br", b.name);
        }
      }
      for (const b of snapshot.ovs.bridges) {
        if (ourBridges.has(b.name)) continue;
        for (const id of b.ports) {
          const p = snapshot.ovs.ports.get(id);
          if (p?.externalIds[OVS_LAB_KEY]) {
            result.ovsPorts.push(p.name);
            args.push("--", "--if-exists", "del-port", b.name, p.name);
          }
        }
      }
      if (args.length) {
        const r = await run(["ovs-vsctl", "--timeout=60", ...args]);
        if (r.code !== 0) throw new Error(`ovs-vsctl failed: ${r.stderr.trim()}`);
      }
    }
    const batch: string[] = [];
    for (const n of ours) {
      result.namespaces.push(n);
      batch.push(`netns del ${n}`);
    }
    for (const l of snapshot.rootLinks) {
      if (aliasLab(l.ifalias)) {
        result.interfaces.push(l.ifname);
        batch.push(`link del dev ${l.ifname}`);
      }
    }
    // -force: one object already gone does not stop the rest; what the kernel refused is told
    // below, with whatever is still there
    const removal = batch.length ? await run(["ip", "-force", "-batch", "-"], { input: batch.join("\n") + "\n" }) : null;
    try {
      for (const d of await readdir("/etc/netns")) {
        if (parseNsName(d) || d.startsWith(PROBE_NS_PREFIX)) {
          await rm(`/etc/netns/${d}`, { recursive: true, force: true });
          result.files.push(`/etc/netns/${d}`);
        }
      }
    } catch {
      /* no /etc/netns */
    }
    const nat = (await this.capabilities()).nat;
    if (nat) result.natRules = await cleanNat(nat);
    // students' confined shells: their processes, cgroups and files (confine.ts)
    const confined = await cleanConfinement(this.state.dir);
    result.cgroups = confined.cgroups;
    result.files.push(...confined.files);
    // every lab's claim (owner.ts) goes with every lab
    result.files.push(...(await releaseAll()));
    for (const name of await this.state.labNames()) {
      const meta = await this.state.readMeta(name);
      if (meta && meta.running) await this.state.writeMeta({ ...meta, running: false, updatedAt: new Date().toISOString() });
    }
    await syncHostForwarding(this.state.dir, false);
    // namespaces take their veth ends with them in the background: checked in /run/netns and
    // /sys/class/net, without spawning anything
    const paths = [...result.namespaces.map((n) => `/run/netns/${n}`), ...result.interfaces.map((i) => `/sys/class/net/${i}`)];
    const deadline = Date.now() + 10_000;
    let left = paths.filter((path) => existsSync(path));
    while (left.length && Date.now() < deadline) {
      await sleep(20);
      left = left.filter((path) => existsSync(path));
    }
    if (left.length) {
      const said = removal?.stderr.trim();
      throw new Error(
        `clean: still present after 10 s: ${left.map((path) => path.slice(path.lastIndexOf("/") + 1)).join(", ")}${said ? `; ip said: ${said}` : ""}`,
      );
    }
    return result;
  }
}
