// The executor: a plan's operations run on the kernel, in stages, in batches.
//
// Knows: that the commands of one stage and one namespace go into a single `ip -batch` (or
// `tc -batch`), that all OVS sub-commands of a stage form one `ovs-vsctl` transaction, that
// different namespaces can be configured at the same time, how to read which batch line
// failed and why, and that removing what is already gone is success. Many namespaces' batches
// (a big lab) go through a few `xargs` processes, each running `ip -n NS -batch FILE` for its
// share one after the other: Node.js forks its whole process for every spawn (5 to 8 ms of
// its one thread each on a 2-core machine, more than `ip` itself takes), xargs a small one.
// Their files are written in a private directory (mode 0700, files 0600), removed after.
// Leaves to others: what to run (topology's planner) and rolling back (lab.ts).

import { accessSync, constants, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commandToShell, shellQuote, type Command, type Op } from "@topolab/topology";
import { findTool, firstLines, inNetns, pool, run, shares } from "./exec";
import { alive, killNetnsProcesses } from "./processes";
import { watchOvsVswitchd } from "./ovs";
import { keepLeaseNames, type Services } from "./services";

export interface CommandLogEntry {
  /** the plain command it amounts to */
  command: string;
  ok: boolean;
  /** the kernel's or tool's message when it failed */
  error?: string;
  /** the operation it belongs to */
  op: string;
}

export interface ExecuteOptions {
  /** namespaces (or root) configured at the same time */
  concurrency?: number;
  /** where services are started and stopped (required when a plan has any) */
  services?: Services;
  /** every command, as it completes */
  log?: (entry: CommandLogEntry) => void;
}

export class OperationError extends Error {
  constructor(
    readonly op: Op,
    readonly command: string,
    readonly kernelMessage: string,
  ) {
    super(`${op.summary} failed: \`${command}\`: ${kernelMessage}`);
    this.name = "OperationError";
  }
}

interface Item {
  op: Op;
  command: Command;
}

/** Messages that mean "it is not there", which a delete takes as done. */
const MISSING =
  /cannot find device|no such device|no such file or directory|no such process|cannot assign requested address|does not exist|not found|invalid handle|handle of zero|cannot delete qdisc|ENOENT/i;

/** Arguments that an `ip -batch` line carries unchanged (no quoting there). */
const BATCH_SAFE = /^[^\s"'\\#]+$/;

export async function execute(ops: Op[], options: ExecuteOptions = {}): Promise<void> {
  const items: Item[] = ops.flatMap((op) => op.commands.map((command) => ({ op, command })));
  const stages = [...new Set(items.map((i) => i.command.stage))].sort((a, b) => a - b);
  for (const stage of stages) {
    const groups = new Map<string, Item[]>();
    let solo = 0;
    for (const item of items) {
      if (item.command.stage !== stage) continue;
      const c = item.command;
      const key =
        c.tool === "ip" || c.tool === "tc"
          ? `${c.tool}:${c.ns ?? ""}`
          : c.tool === "ovs-vsctl" || c.tool === "killns" || c.tool === "write" || c.tool === "remove"
            ? c.tool
            : `solo:${solo++}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = []));
      g.push(item);
    }
    const tasks: (() => Promise<OperationError | null>)[] = [];
    // the files are written last: runFiles works with synchronous calls (hundreds of hosts
    // files and /etc/netns directories in 20 to 30 ms of Node's one thread), and every program
    // of the stage should be started before that, not after
    const files: (() => Promise<OperationError | null>)[] = [];
    const inNamespaces = new Map<"ip" | "tc", Item[][]>();
    for (const group of groups.values()) {
      const c = group[0]!.command;
      if ((c.tool === "ip" || c.tool === "tc") && c.ns) inNamespaces.set(c.tool, [...(inNamespaces.get(c.tool) ?? []), group]);
      else (c.tool === "write" || c.tool === "remove" ? files : tasks).push(() => runGroup(group, options));
    }
    for (const [tool, list] of inNamespaces) {
      if (list.length < MANY_NAMESPACES) {
        tasks.push(...list.map((group) => () => runGroup(group, options)));
        continue;
      }
      for (const share of shares(list, MANY_NAMESPACES, NAMESPACE_RUNNERS)) tasks.push(() => runNamespaceBatches(tool, share, options));
    }
    tasks.push(...files);
    const failures = (await pool(tasks, options.concurrency ?? 8)).filter((f): f is OperationError => f !== null);
    if (failures.length) throw failures[0]!;
  }
}

async function runGroup(group: Item[], options: ExecuteOptions): Promise<OperationError | null> {
  const first = group[0]!.command;
  if (first.tool === "ip" || first.tool === "tc") return runBatch(first.tool, first.ns, group, options);
  if (first.tool === "ovs-vsctl") return runOvs(group, options);
  if (first.tool === "killns") {
    // one pass over /proc for all the namespaces about to go
    await killNetnsProcesses(group.map((i) => (i.command as { ns: string }).ns));
    group.forEach((i) => logged(options, i, true));
    return null;
  }
  if (first.tool === "write" || first.tool === "remove") return runFiles(group, options);
  for (const item of group) {
    const failure = await runOne(item, options);
    if (failure) return failure;
  }
  return null;
}

function logged(options: ExecuteOptions, item: Item, ok: boolean, error?: string): void {
  options.log?.({ command: commandToShell({ ...item.command, missingOk: false }), ok, op: item.op.summary, ...(error ? { error } : {}) });
}

/** The group's commands as lines of an `ip -batch` (or `tc -batch`) file. */
function batchLines(tool: "ip" | "tc", group: Item[]): string[] {
  return group.map((item) => {
    const args = (item.command as { args: string[] }).args;
    if (!args.every((a) => BATCH_SAFE.test(a))) {
      throw new Error(`internal: ${tool} argument cannot go into a batch line: ${JSON.stringify(args)}`);
    }
    return args.join(" ");
  });
}

async function runBatch(tool: "ip" | "tc", ns: string | null, group: Item[], options: ExecuteOptions): Promise<OperationError | null> {
  const lines = batchLines(tool, group);
  const argv = [tool, ...(ns ? ["-n", ns] : []), "-force", "-batch", "-"];
  const result = await run(argv, { input: lines.join("\n") + "\n", timeoutMs: 120_000 });
  const failed = new Map<number, string>();
  if (result.code !== 0) {
    let pending: string[] = [];
    for (const l of result.stderr.split("\n")) {
      const m = /^Command failed -:(\d+)\s*$/.exec(l);
      if (m) {
        failed.set(Number(m[1]) - 1, pending.join(" / ").trim() || "failed");
        pending = [];
      } else if (l.trim()) pending.push(l.trim());
    }
    // the whole batch could not run (namespace missing, tool missing)
    if (failed.size === 0) return settleBatch(group, failed, firstLines(result.stderr || result.stdout), options);
  }
  return settleBatch(group, failed, null, options);
}

/**
 * Logs each command of a batch and returns the first failure that counts: `failed` holds the
 * messages of failed lines (0-based); `whole` says the batch could not run at all.
 */
function settleBatch(group: Item[], failed: Map<number, string>, whole: string | null, options: ExecuteOptions): OperationError | null {
  if (whole !== null) {
    group.forEach((item) => logged(options, item, false, whole));
    const item = group.find((i) => !i.command.missingOk);
    if (!item) return null;
    return new OperationError(item.op, commandToShell({ ...item.command, missingOk: false }), whole);
  }
  let failure: OperationError | null = null;
  group.forEach((item, i) => {
    const message = failed.get(i);
    if (message === undefined) return logged(options, item, true);
    const tolerated = item.command.missingOk === true && MISSING.test(message);
    logged(options, item, tolerated, tolerated ? undefined : message);
    if (!tolerated && !failure) failure = new OperationError(item.op, commandToShell({ ...item.command, missingOk: false }), message);
  });
  return failure;
}

/** From this many namespaces in a stage, their batches go through xargs (runNamespaceBatches). */
const MANY_NAMESPACES = 4;
/** xargs processes at a time for them (the kernel takes one rtnl lock for all namespaces anyway). */
const NAMESPACE_RUNNERS = 4;

/**
 * The batches of several namespaces (one group each), run by one `xargs -0 -n 5 ip` as
 * `ip -n NS -force -batch FILE`, one after the other, each from its own file in a private
 * directory. A failed line is found by the file `ip` names ("Command failed FILE:LINE"), a
 * namespace that cannot be entered by its name; output that names neither, when xargs says
 * something failed, fails the first command of the share. Without xargs, one spawn each.
 */
export async function runNamespaceBatches(tool: "ip" | "tc", groups: Item[][], options: ExecuteOptions): Promise<OperationError | null> {
  const program = findTool(tool);
  const xargs = findTool("xargs");
  const each = async () => {
    for (const group of groups) {
      const failure = await runBatch(tool, (group[0]!.command as { ns: string }).ns, group, options);
      if (failure) return failure;
    }
    return null;
  };
  if (!program || !xargs) return each();
  const dir = mkdtempSync(join(batchDir(), `topolab-batch-${process.pid}-`));
  try {
    const byFile = new Map<string, number>();
    const byNs = new Map<string, number>();
    const args: string[] = [];
    groups.forEach((group, i) => {
      const ns = (group[0]!.command as { ns: string }).ns;
      const file = join(dir, ns);
      writeFileSync(file, batchLines(tool, group).join("\n") + "\n", { mode: 0o600 });
      byFile.set(file, i);
      byNs.set(ns, i);
      args.push("-n", ns, "-force", "-batch", file);
    });
    const result = await run([xargs, "-0", "-n", "5", program], { input: args.join("\0") + "\0", timeoutMs: 120_000 + 200 * groups.length });
    const { failed, whole, notRun, stopped, unplaced } = parseNamespaceBatches(result.stderr, byFile, byNs, groups.length);
    const later = new Set(notRun);
    let failure: OperationError | null = null;
    groups.forEach((group, i) => {
      if (later.has(i)) return;
      const f = settleBatch(group, failed[i]!, whole.get(i) ?? null, options);
      failure ??= f;
    });
    if (failure) return failure;
    const first = groups[0]![0]!;
    const fail = (message: string) => new OperationError(first.op, commandToShell({ ...first.command, missingOk: false }), message);
    if (later.size === groups.length) return fail([...unplaced, stopped].filter(Boolean).join(" / ") || `xargs exited ${result.code}`);
    // xargs stopped at a batch that could not run (or was killed): the ones after it, again
    if (later.size)
      return await runNamespaceBatches(
        tool,
        notRun.map((i) => groups[i]!),
        options,
      );
    // xargs said something failed, yet no batch owns a failure (a timeout, something unforeseen)
    if (result.code !== 0 && !failed.some((m) => m.size) && whole.size === 0) {
      return fail(unplaced.join(" / ") || firstLines(result.stderr) || `xargs exited ${result.code}${result.timedOut ? " (timed out)" : ""}`);
    }
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Where the batch files go: /dev/shm when it is a writable directory (a tmpfs: 50 small files
 * in about 1 ms, where /tmp on this machine's disk took 15 to 150 ms), else the temp directory.
 */
function batchDir(): string {
  if (chosenBatchDir) return chosenBatchDir;
  let dir: string;
  try {
    accessSync("/dev/shm", constants.W_OK);
    dir = "/dev/shm";
  } catch {
    dir = tmpdir();
  }
  // once per process at its first batch (and at every `down`): what a killed topolab left is swept by the next one
  sweepBatchDirs(dir);
  return (chosenBatchDir = dir);
}

/** Removes the batch directories that killed topolab processes left (one listing of the batch directory). */
export function sweepBatchLeftovers(): void {
  if (chosenBatchDir) sweepBatchDirs(chosenBatchDir);
  else batchDir();
}

let chosenBatchDir: string | null = null;

/** A batch directory's name: topolab-batch-PID-XXXXXX (PID: the topolab that made it; older ones have none). */
export const BATCH_DIR = /^topolab-batch-(?:(\d+)-)?[A-Za-z0-9]{6}$/;

/**
 * Removes the batch directories that a killed topolab left (kill -9 gives no time to remove
 * them): at once when the process that made it is gone, else an hour old (no run of a batch
 * lasts more than minutes; a process number in use again keeps it until then).
 */
function sweepBatchDirs(dir: string, olderThanMs = 3_600_000): void {
  try {
    for (const name of readdirSync(dir)) {
      const m = BATCH_DIR.exec(name);
      if (!m) continue;
      const path = join(dir, name);
      const ownerGone = m[1] !== undefined && Number(m[1]) !== process.pid && !alive(Number(m[1]));
      if (ownerGone || Date.now() - statSync(path).mtimeMs > olderThanMs) rmSync(path, { recursive: true, force: true });
    }
  } catch {
    /* another process removed it first, or the directory cannot be listed: nothing to sweep */
  }
}

/**
 * What `xargs … ip -n NS -force -batch FILE` printed, per batch (in the order xargs ran them):
 * the failed lines of each (by "Command failed FILE:LINE" and the messages before it), the
 * batches that could not run (`Cannot open network namespace "NS"`), the batches xargs never
 * started (ip exits 255 when it cannot enter a namespace, and xargs stops there; so it does
 * when a program is killed: every batch after the last one heard of), why it stopped, and
 * the lines that belong to none.
 */
export function parseNamespaceBatches(
  stderr: string,
  byFile: Map<string, number>,
  byNs: Map<string, number>,
  count: number,
): { failed: Map<number, string>[]; whole: Map<number, string>; notRun: number[]; stopped: string | null; unplaced: string[] } {
  const failed = Array.from({ length: count }, () => new Map<number, string>());
  const whole = new Map<number, string>();
  let pending: string[] = [];
  let last = -1;
  let stopped: string | null = null;
  for (const raw of stderr.split("\n")) {
    const l = raw.trim();
    const m = /^Command failed (.+):(\d+)$/.exec(l);
    const at = m ? byFile.get(m[1]!) : undefined;
    if (at !== undefined) {
      failed[at]!.set(Number(m![2]) - 1, pending.join(" / ") || "failed");
      pending = [];
      last = Math.max(last, at);
      continue;
    }
    const n = /network namespace "([^"]+)"/.exec(l);
    const ns = n ? byNs.get(n[1]!) : undefined;
    if (ns !== undefined) {
      whole.set(ns, [...pending, l].join(" / "));
      pending = [];
      last = Math.max(last, ns);
      continue;
    }
    if (/^(\S*\/)?xargs: /.test(l)) stopped ??= l;
    else if (l) pending.push(l);
  }
  const notRun = stopped === null ? [] : Array.from({ length: count - last - 1 }, (_, k) => last + 1 + k);
  return { failed, whole, notRun, stopped, unplaced: pending };
}

/** Largest number of sub-commands in one ovs-vsctl call (one transaction each; a 1,000-port switch is 2,002). */
const OVS_CHUNK = 5000;

/**
 * The order in which a transaction's sub-commands go to ovs-vsctl: removals, then every
 * add-br, then every add-port, then the rest (set, clear: the new rows' columns), each kind in
 * the plan's order. ovs-vsctl keeps a cache of bridges and ports that add-br and the generic
 * commands throw away, and add-port builds again from the whole database: in the plan's order
 * (each bridge, its ports, their columns) a 1,000-switch chain rebuilt it thousands of times
 * (13 to 41 s of ovs-vsctl's CPU, against 1.6 s in this order). Every sub-command still comes
 * after the ones that make the rows it names. Returns the indexes of `subcommands` in order.
 */
export function ovsTransactionOrder(subcommands: readonly (readonly string[])[]): number[] {
  const kind = (args: readonly string[]) => {
    const verb = args.find((a) => !a.startsWith("--"));
    return verb === "del-br" || verb === "del-port" ? 0 : verb === "add-br" ? 1 : verb === "add-port" || verb === "add-bond" ? 2 : 3;
  };
  return subcommands
    .map((args, i) => ({ i, k: kind(args) }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((x) => x.i);
}

/**
 * A stage's OVS sub-commands as one transaction. ovs-vsctl returns once ovs-vswitchd has
 * applied it (its ports open, with their OpenFlow numbers): that takes as long as it takes
 * (7 to 10 s for a 1,000-port switch on the userspace datapath here, minutes on a starved
 * machine), so there is no fixed time limit, only ovs-vswitchd's progress (ovs.ts).
 */
async function runOvs(group: Item[], options: ExecuteOptions): Promise<OperationError | null> {
  for (let start = 0; start < group.length; start += OVS_CHUNK) {
    // cut in the plan's order, then ordered within the transaction: a resource's row and its
    // columns stay in one transaction (a patch port is never committed untyped)
    const planned = group.slice(start, start + OVS_CHUNK);
    const chunk = ovsTransactionOrder(planned.map((i) => (i.command as { args: string[] }).args)).map((k) => planned[k]!);
    // no --timeout: ovs-vsctl waits as long as ovs-vswitchd works (the watch below stops it when it
    // does not). It dies with this process (setpriv --pdeathsig): a topolab killed while a long
    // transaction is being built must not leave an ovs-vsctl that commits it minutes later, after
    // the lab was taken down (a benchmark that stopped `up` of linear,1000 found 1,000 bridges so)
    const ovs = findTool("ovs-vsctl") ?? "ovs-vsctl";
    const setpriv = findTool("setpriv");
    const argv = setpriv ? [setpriv, "--pdeathsig", "KILL", "--", ovs] : [ovs];
    for (const item of chunk) argv.push("--", ...(item.command as { args: string[] }).args);
    const watch = watchOvsVswitchd();
    const result = await run(argv, { timeoutMs: 3_600_000, signal: watch.signal }).finally(watch.stop);
    if (result.code !== 0) {
      const message = firstLines(result.stderr || result.stdout);
      // a transaction is all or nothing: name the operation the message points at, else the first
      const item = chunk.find((i) => message.includes((i.command as { args: string[] }).args.at(-1) ?? "\u0000")) ?? chunk[0]!;
      chunk.forEach((i) => logged(options, i, false, message));
      return new OperationError(item.op, commandToShell(item.command), message);
    }
    chunk.forEach((i) => logged(options, i, true));
  }
  return null;
}

/** The longest the files' synchronous calls hold Node's thread before it lets other work run. */
const FILES_SLICE_MS = 8;

/**
 * The files of a stage (hosts files of every node, /etc/netns directories of removed
 * namespaces), one after the other with synchronous calls: for hundreds of small files that
 * is far quicker than as many round trips through libuv's thread pool. Every FILES_SLICE_MS
 * they yield to the event loop: in the server, a 200-host lab's files held it for 0.5 to
 * 0.8 s in one piece, and every other lab's terminals waited that long (bench:server).
 */
async function runFiles(group: Item[], options: ExecuteOptions): Promise<OperationError | null> {
  // the lab's hosts file that holds its leases, looked for once for all the new files
  const leaseSources = new Map<string, string | null>();
  let slice = performance.now();
  for (const item of group) {
    if (performance.now() - slice > FILES_SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      slice = performance.now();
    }
    const c = item.command as { tool: "write" | "remove"; path: string; content?: string };
    let message: string | null = null;
    if (!ownedPath(c.path) || (c.tool === "remove" && c.path.startsWith("/proc/"))) message = `refusing to ${c.tool} ${c.path}: not a topolab path`;
    else {
      try {
        if (c.tool === "write" && c.path.startsWith("/proc/sys/")) {
          // a root-side port's IPv6 turned off: the file is the kernel's, written in place
          writeFileSync(c.path, c.content ?? "");
        } else if (c.tool === "write") {
          mkdirSync(c.path.slice(0, c.path.lastIndexOf("/")), { recursive: true });
          // a hosts file keeps the names of DHCP leases (services.ts's keepLeaseNames)
          writeFileSync(c.path, keepLeaseNames(c.path, c.content ?? "", leaseSources));
        } else {
          rmSync(c.path, { recursive: true, force: true });
        }
      } catch (e) {
        message = (e as Error).message;
      }
    }
    logged(options, item, message === null, message ?? undefined);
    if (message !== null) return new OperationError(item.op, commandToShell(item.command), message);
  }
  return null;
}

/**
 * Files topolab may write or remove: only its own namespaces' /etc/netns directories, and the
 * IPv6 switch of one root-namespace interface (never `all`, `default` or `lo`: nothing machine-wide).
 */
export function ownedPath(path: string): boolean {
  const sys = /^\/proc\/sys\/net\/ipv6\/conf\/([A-Za-z0-9_.-]{1,15})\/disable_ipv6$/.exec(path);
  if (sys) return !["all", "default", "lo", ".", ".."].includes(sys[1]!);
  return /^\/etc\/netns\/tl\.[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)?$/.test(path) && !path.includes("..");
}

async function runOne(item: Item, options: ExecuteOptions): Promise<OperationError | null> {
  const c = item.command;
  const fail = (message: string) => {
    logged(options, item, false, message);
    return new OperationError(item.op, commandToShell(c), message);
  };
  try {
    switch (c.tool) {
      case "exec": {
        const result = await run(inNetns(c.ns, c.argv), { timeoutMs: 60_000 });
        if (result.code !== 0) {
          const message = firstLines(result.stderr || result.stdout);
          if (c.missingOk && MISSING.test(message)) break;
          return fail(message);
        }
        break;
      }
      case "start": {
        if (!options.services) return fail("internal: no service runner");
        const argv = await options.services.start(c);
        // the command log shows what really runs, with the run directory filled in
        options.log?.({ command: argv.map(shellQuote).join(" ") + " &", ok: true, op: item.op.summary });
        return null;
      }
      case "stop":
        if (!options.services) return fail("internal: no service runner");
        await options.services.stop(c.lab, c.node, c.name);
        break;
      case "nft": {
        const result = await run(["nft", "-f", "-"], { input: c.script, timeoutMs: 30_000 });
        if (result.code !== 0) return fail(firstLines(result.stderr || result.stdout));
        break;
      }
      default:
        return fail(`internal: ${c.tool} cannot run alone`);
    }
  } catch (e) {
    return fail((e as Error).message);
  }
  logged(options, item, true);
  return null;
}
