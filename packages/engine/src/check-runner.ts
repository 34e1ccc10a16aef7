// Exercise checks, the running half: every check of a lab's exercise against the real kernel.
//
// Knows: how to run a check's probes (inside the node's namespace, with a time limit each),
// how long to retry a check that may wait (`within`), that checks run side by side with a
// bound and that one failing or hanging check never holds the others back, and where a lab's
// kernel names come from (its tag, as realize() derives them).
// Leaves to others: what to probe and how to judge it (checks.ts), the exercise's shape and
// rules (the topology package's exercise.ts).

import { readFile } from "node:fs/promises";
import { dhcpClientName, nsName, portIfName, switchIfName, type Check, type Lab } from "@topolab/topology";
import { judge, probesFor, ProbeError, type JudgeContext, type ProbeContext, type ProbeResult } from "./checks";
import { inNetns, pool, run } from "./exec";
import { sleep } from "./processes";

export type CheckStatus = "pass" | "fail" | "error";

export interface CheckResult {
  id: string;
  kind: Check["kind"];
  description: string;
  status: CheckStatus;
  /** what was seen, or why the check could not run */
  seen: string;
  /** milliseconds the check took, retries included */
  ms: number;
}

export interface CheckRunOptions {
  /** checks at once (default 8) */
  concurrency?: number;
  /** ignore every check's `within` (a watcher re-runs checks anyway) */
  noWait?: boolean;
  /** only these check ids */
  only?: readonly string[];
  signal?: AbortSignal;
}

/** The kernel names of a lab's objects, as the probes need them. */
export function probeContext(lab: Lab, tag: string, runDir: (node: string) => string): ProbeContext {
  const switches = new Map(lab.nodes.flatMap((n) => (n.kind === "switch" ? [[n.name, n] as const] : [])));
  return {
    ns: (node) => nsName(lab.name, node),
    bridge: (node) => switchIfName(tag, node),
    switchType: (node) => switches.get(node)?.type ?? "ovs",
    switchPort: (node, ifname) => portIfName(tag, node, ifname),
    leaseFile: (node, ifname) => `${runDir(node)}/${dhcpClientName(ifname)}.leases`,
  };
}

async function runProbes(check: Check, ctx: ProbeContext): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  for (const probe of probesFor(check, ctx)) {
    if (probe.type === "file") {
      results.push({
        type: "file",
        text: await readFile(probe.path, "utf8").catch((e: NodeJS.ErrnoException) => {
          if (e.code === "ENOENT") return null;
          throw new ProbeError(`cannot read ${probe.path}: ${e.message}`);
        }),
      });
    } else {
      const r = await run(inNetns(probe.ns, probe.argv), { timeoutMs: probe.timeoutMs, maxOutput: 1024 * 1024 });
      if (probe.ns && r.code !== 0 && /Cannot open network namespace|No such file or directory/.test(r.stderr) && r.stderr.includes(probe.ns)) {
        throw new ProbeError(`the node's namespace ${probe.ns} is not there (is the lab up?)`);
      }
      results.push({ type: "run", code: r.code, stdout: r.stdout, stderr: r.stderr, ...(r.timedOut ? { timedOut: true } : {}) });
    }
  }
  return results;
}

/** One check, retried until it passes or its window closes. */
export async function runCheck(check: Check, ctx: ProbeContext, options: { noWait?: boolean; signal?: AbortSignal } = {}): Promise<CheckResult> {
  const started = performance.now();
  const deadline = started + (options.noWait ? 0 : check.withinMs);
  const known: JudgeContext = {};
  if (check.kind === "mac-table" && check.port) {
    const [sw, ifname] = [check.port.slice(0, check.port.indexOf(":")), check.port.slice(check.port.indexOf(":") + 1)];
    known.portName = ctx.switchPort(sw, ifname);
    known.portNames = new Map([[known.portName, check.port]]);
  }
  const base = { id: check.id, kind: check.kind, description: check.description };
  for (;;) {
    let outcome: { status: CheckStatus; seen: string };
    try {
      outcome = judge(check, await runProbes(check, ctx), known);
    } catch (e) {
      outcome = { status: "error", seen: (e as Error).message };
    }
    if (outcome.status === "pass" || performance.now() >= deadline || options.signal?.aborted) {
      return { ...base, ...outcome, ms: Math.round(performance.now() - started) };
    }
    await sleep(Math.min(500, Math.max(50, deadline - performance.now())));
  }
}

/** Every check of the lab's exercise (or those named), side by side with a bound, in the exercise's order. */
export async function runChecks(lab: Lab, tag: string, runDir: (node: string) => string, options: CheckRunOptions = {}): Promise<CheckResult[]> {
  const checks = (lab.exercise?.checks ?? []).filter((c) => !options.only || options.only.includes(c.id));
  const ctx = probeContext(lab, tag, runDir);
  return pool(
    checks.map((c) => () => runCheck(c, ctx, { ...(options.noWait ? { noWait: true } : {}), ...(options.signal ? { signal: options.signal } : {}) })),
    options.concurrency ?? 8,
  );
}
