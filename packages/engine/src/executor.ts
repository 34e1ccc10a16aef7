// The executor: a plan's operations run on the kernel, in stages, in batches.
//
// Knows: that the commands of one stage and one namespace go into a single `ip -batch` (or
// `tc -batch`), that all OVS sub-commands of a stage form one `ovs-vsctl` transaction, that
// different namespaces can be configured at the same time, how to read which batch line
// failed and why, and that removing what is already gone is success.
// Leaves to others: what to run (topology's planner) and rolling back (lab.ts).

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { commandToShell, shellQuote, type Command, type Op } from "@topolab/topology";
import { firstLines, inNetns, pool, run } from "./exec";
import { killNetnsProcesses } from "./processes";
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
    const failures = (
      await pool(
        [...groups.values()].map((group) => () => runGroup(group, options)),
        options.concurrency ?? 8,
      )
    ).filter((f): f is OperationError => f !== null);
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

async function runBatch(tool: "ip" | "tc", ns: string | null, group: Item[], options: ExecuteOptions): Promise<OperationError | null> {
  const lines = group.map((item) => {
    const args = (item.command as { args: string[] }).args;
    if (!args.every((a) => BATCH_SAFE.test(a))) {
      throw new Error(`internal: ${tool} argument cannot go into a batch line: ${JSON.stringify(args)}`);
    }
    return args.join(" ");
  });
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
    if (failed.size === 0) {
      // the whole batch could not run (namespace missing, tool missing)
      const message = firstLines(result.stderr || result.stdout);
      group.forEach((item) => logged(options, item, false, message));
      const item = group.find((i) => !i.command.missingOk);
      if (!item) return null;
      return new OperationError(item.op, commandToShell({ ...item.command, missingOk: false }), message);
    }
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

/** Largest number of sub-commands in one ovs-vsctl call (one transaction each). */
const OVS_CHUNK = 2000;

async function runOvs(group: Item[], options: ExecuteOptions): Promise<OperationError | null> {
  for (let start = 0; start < group.length; start += OVS_CHUNK) {
    const chunk = group.slice(start, start + OVS_CHUNK);
    const argv = ["ovs-vsctl", "--timeout=60"];
    for (const item of chunk) argv.push("--", ...(item.command as { args: string[] }).args);
    const result = await run(argv, { timeoutMs: 120_000 });
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

/**
 * The files of a stage (hosts files of every node, /etc/netns directories of removed
 * namespaces), one after the other with synchronous calls: for hundreds of small files that
 * is far quicker than as many round trips through libuv's thread pool.
 */
function runFiles(group: Item[], options: ExecuteOptions): OperationError | null {
  for (const item of group) {
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
          writeFileSync(c.path, keepLeaseNames(c.path, c.content ?? ""));
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
