// `topolab check` and `topolab reset`: an exercise's checks from the command line.
//
// Knows: how a check result reads on a terminal (one line each, PASS/FAIL/ERROR with what was
// seen), the exit codes (0 all pass, 1 some fail, 2 the checks could not run), and the watch
// loop that re-runs the checks (every interval, and at once when the lab's links, addresses or
// routes change) and prints only what changed.
// Leaves to others: running and judging the checks (the engine).

import type { Command } from "commander";
import { Engine, LabWatch, NotFoundError, type CheckResult, type LiveEvent } from "@topolab/engine";

const out = (text: string) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
const err = (text: string) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);

const MARK: Record<CheckResult["status"], string> = { pass: "PASS ", fail: "FAIL ", error: "ERROR" };

/** One line per check: `PASS  c1  ns0 reaches ns1 — ns0 reaches 10.1.20.2 (0.08 ms)`. */
export function checkLine(r: CheckResult): string {
  return `${MARK[r.status]}  ${r.id.padEnd(4)} ${r.description} — ${r.seen}`;
}

export function checkSummary(results: readonly CheckResult[]): string {
  const passed = results.filter((r) => r.status === "pass").length;
  const errors = results.filter((r) => r.status === "error").length;
  if (results.length === 0) return "the exercise has no checks";
  if (passed === results.length) return `all ${results.length} checks pass`;
  return `${passed} of ${results.length} checks pass${errors ? `, ${errors} could not run` : ""}`;
}

/** 0: every check passes; 1: some fail; 2: some could not run. */
export function checkExitCode(results: readonly CheckResult[]): number {
  if (results.some((r) => r.status === "error")) return 2;
  return results.every((r) => r.status === "pass") ? 0 : 1;
}

export function registerExercise(p: Command): void {
  p.command("check")
    .description("run the checks of a lab's exercise against the kernel: 0 all pass, 1 some fail, 2 they could not run")
    .argument("<lab>")
    .option("--json", "print JSON")
    .option("--watch", "run them again and again, printing each check whose result changed, until interrupted")
    .option("--interval <ms>", "with --watch: time between runs", "1000")
    .action(async (lab: string, o: { json?: boolean; watch?: boolean; interval: string }) => {
      const e = new Engine();
      let first: Awaited<ReturnType<Engine["check"]>>;
      try {
        first = await e.check(lab);
      } catch (x) {
        if (x instanceof NotFoundError) {
          err(`topolab: ${x.message}`);
          process.exitCode = 2;
          return;
        }
        throw x;
      }
      if (o.json && !o.watch) out(JSON.stringify({ ...first, passed: checkExitCode(first.results) === 0 }, null, 2));
      else {
        out(`${first.title}`);
        for (const r of first.results) out(o.json ? JSON.stringify(r) : checkLine(r));
        out(checkSummary(first.results));
      }
      process.exitCode = checkExitCode(first.results);
      if (!o.watch) return;
      const interval = Number(o.interval);
      if (!(interval >= 100 && interval <= 60_000)) {
        err("topolab: --interval is a number of milliseconds from 100 to 60000");
        process.exitCode = 2;
        return;
      }
      const stop = new AbortController();
      // woken by the timer, or at once by a change of the lab's links, addresses or routes
      let wake: (() => void) | null = null;
      const sleepUntilWoken = () =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => resolve(), interval);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      stop.signal.addEventListener("abort", () => wake?.());
      process.once("SIGINT", () => stop.abort());
      process.once("SIGTERM", () => stop.abort());
      const [doc, meta] = await Promise.all([e.state.readLab(lab), e.state.readMeta(lab)]);
      const watch = doc && meta ? new LabWatch(doc, meta.tag, { refresh: () => e.state.readLab(lab) }) : null;
      watch?.on("event", (ev: LiveEvent) => {
        if (ev.type === "ports" || (ev.type === "node" && (ev.state === null || ev.kinds.some((k) => k !== "neigh")))) wake?.();
      });
      watch?.on("error", () => undefined);
      await watch?.start().catch(() => undefined);
      const last = new Map(first.results.map((r) => [r.id, r.status]));
      while (!stop.signal.aborted) {
        await sleepUntilWoken();
        if (stop.signal.aborted) break;
        let now: CheckResult[];
        try {
          now = (await e.check(lab, { noWait: true, signal: stop.signal })).results;
        } catch (x) {
          err(`topolab: ${(x as Error).message}`);
          process.exitCode = 2;
          break;
        }
        const changed = now.filter((r) => last.get(r.id) !== r.status);
        for (const r of changed) {
          last.set(r.id, r.status);
          out(o.json ? JSON.stringify({ at: new Date().toISOString(), ...r }) : `${new Date().toTimeString().slice(0, 8)}  ${checkLine(r)}`);
        }
        if (changed.length && !o.json) out(checkSummary(now));
        process.exitCode = checkExitCode(now);
      }
      await watch?.stop().catch(() => undefined);
    });

  p.command("reset")
    .description("put an exercise back as it shipped: the lab goes down and comes up from the shipped document")
    .argument("<lab>")
    .action(async (lab: string) => {
      const started = performance.now();
      const r = await new Engine().reset(lab);
      out(`lab ${r.lab}: reset to the exercise as shipped (${((performance.now() - started) / 1000).toFixed(2)} s)`);
    });
}
