// What the benchmarks share: percentiles, and `topolab serve` started as a child process on a
// free port, its address read from the line it prints (benchServer: on a state directory of its
// own, and its lab taken down and proved gone at the end).

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { readFile } from "node:fs/promises";
import { parseProcStat, readProcStats, run } from "@topolab/engine";
import { leftoversAfterSettling } from "@topolab/engine/testing";

/** The benchmark's command-line arguments, and `--name VALUE` among them (or the default). */
export const args = process.argv.slice(2);
export function opt(name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
}

/** Debian's Chromium as the benchmarks start it: as the end-to-end tests do. */
export { BROWSER_ARGS } from "../e2e/chromium";

export { sleep } from "@topolab/engine";

/**
 * A process's CPU in clock ticks, in two parts: its own (utime + stime, every thread) and that of
 * the children it has reaped (cutime + cstime: the short `ip` runs it spawns); zeros when it is
 * gone. (Not the engine's cpuTicks, which is the own part alone, null when gone.)
 */
export async function ownAndReapedTicks(pid: number | "self"): Promise<{ own: number; reaped: number }> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, "utf8");
  } catch {
    return { own: 0, reaped: 0 };
  }
  const p = parseProcStat(text);
  return { own: p.utime + p.stime, reaped: p.cutime + p.cstime };
}

/** ownAndReapedTicks, summed. */
export async function totalTicks(pid: number | "self"): Promise<number> {
  const t = await ownAndReapedTicks(pid);
  return t.own + t.reaped;
}

/** A process and its living children (a server's ip monitor), from one pass over /proc. */
export async function family(pid: number): Promise<number[]> {
  return [pid, ...(await readProcStats()).filter((p) => p.ppid === pid).map((p) => p.pid)];
}

/** The CPU ticks of a process and of its living children, own and reaped, summed: from one pass over /proc. */
export async function familyTicks(pid: number): Promise<number> {
  const ours = (await readProcStats()).filter((p) => p.pid === pid || p.ppid === pid);
  return ours.reduce((n, p) => n + p.utime + p.stime + p.cutime + p.cstime, 0);
}

/** The p-th percentile of xs (nearest rank); NaN for no samples. */
export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
}

export interface ServeChild {
  child: ChildProcess;
  url: string;
  /** SIGTERM, then the exit */
  stop: () => Promise<void>;
}

/**
 * Starts `topolab serve --port 0 ARGS…` (bin: apps/server/bin/topolab.js) and waits for its address.
 * BENCH_SERVER_PROFILE=DIR: the server writes a CPU profile (.cpuprofile, for Chromium's DevTools) there when it stops.
 */
export async function serve(bin: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<ServeChild> {
  const profile = process.env["BENCH_SERVER_PROFILE"];
  const node = profile ? ["--cpu-prof", "--cpu-prof-dir", profile] : [];
  const child = spawn(process.execPath, [...node, bin, "serve", "--port", "0", ...args], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
    ...(cwd ? { cwd } : {}),
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (l) => {
      const m = /serving on (http:\S+)/.exec(l);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`topolab serve exited (${code})`)));
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  return { child, url, stop };
}

export interface BenchServer {
  server: ServeChild;
  stateDir: string;
  token: string;
  /** a REST call that throws on an error status */
  api: (method: string, path: string, body?: unknown) => Promise<void>;
  /**
   * `topolab down LAB` on the server's state directory (as the CLI would, within `downTimeoutMs`),
   * the server stopped, the state directory removed; what of the lab the kernel still holds
   * (after up to `settleMs`), in words: empty when nothing is left. A `topolab down` that fails
   * (its exit code, its stderr) is printed on stderr and fails the run (exit code 1), the rest
   * still done.
   */
  close: (o: { downTimeoutMs: number; settleMs: number }) => Promise<string[]>;
}

/**
 * `topolab serve` on a state directory of its own (under /tmp, named by `prefix`), leaving the
 * kernel alone but for `lab` (and the labs whose names start with it). `emptyTemplates`: its
 * templates directory is the (empty) state directory, not the repository's templates/; `env`:
 * more of its environment (a HOME of its own).
 */
export async function benchServer(
  root: string,
  lab: string,
  prefix: string,
  o: { emptyTemplates?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<BenchServer> {
  const stateDir = mkdtempSync(join(tmpdir(), prefix));
  const token = `bench-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const bin = join(root, "apps/server/bin/topolab.js");
  const server = await serve(
    bin,
    [...(o.emptyTemplates ? ["--templates", stateDir] : []), "--reconcile-only", lab],
    { ...process.env, ...o.env, TOPOLAB_TOKEN: token, TOPOLAB_STATE_DIR: stateDir },
    root,
  );
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${server.url}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  };
  const close = async ({ downTimeoutMs, settleMs }: { downTimeoutMs: number; settleMs: number }) => {
    const down = await run([process.execPath, bin, "down", lab], { env: { ...process.env, TOPOLAB_STATE_DIR: stateDir }, timeoutMs: downTimeoutMs });
    if (down.code !== 0) {
      const why = down.timedOut ? `timed out after ${downTimeoutMs} ms` : `exit code ${down.code}`;
      console.error(`topolab down ${lab} failed (${why}): ${down.stderr.trim() || "(nothing on stderr)"}`);
      process.exitCode = 1;
    }
    await server.stop();
    const left = await leftoversAfterSettling(lab, settleMs);
    rmSync(stateDir, { recursive: true, force: true });
    return left;
  };
  return { server, stateDir, token, api, close };
}

// ---- the browser side of the canvas benchmarks (web.ts, live.ts --canvas) ----

type Page = import("@playwright/test").Page;
type Browser = import("@playwright/test").Browser;

/** A page of `server` logged in with its token (the cookie the lab page reads), its page errors collected. */
export async function loggedInPage(
  browser: Browser,
  url: string,
  token: string,
  viewport = { width: 1600, height: 1000 },
): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport });
  const u = new URL(url);
  await context.addCookies([{ name: `topolab-${u.port}`, value: token, domain: u.hostname, path: "/", httpOnly: true, sameSite: "Strict" }]);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  return { page, errors };
}

/**
 * Frame times from requestAnimationFrame in the page, between start() and stop(). The page's side
 * lives in one object of its own: a global such as `window.__on` would break the canvas, since
 * d3-selection (under xyflow's pan and drag) keeps its listeners in `element.__on`, `window` included.
 */
export function frameRecorder(page: Page): { start: () => Promise<void>; stop: () => Promise<number[]> } {
  return {
    start: () =>
      page.evaluate(() => {
        const w = window as unknown as { __topolabBench?: { frames: number[]; on: boolean } };
        const bench = { frames: [] as number[], on: true };
        w.__topolabBench = bench;
        let last = performance.now();
        const tick = (t: number) => {
          bench.frames.push(t - last);
          last = t;
          if (bench.on) requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }),
    stop: () =>
      page.evaluate(() => {
        const bench = (window as unknown as { __topolabBench: { frames: number[]; on: boolean } }).__topolabBench;
        bench.on = false;
        return bench.frames.slice(1);
      }),
  };
}

/** A real mouse drag: press at `from`, move by (dx, dy) in `steps` moves about 8 ms apart, release. */
export async function mouseDrag(page: Page, from: { x: number; y: number }, dx: number, dy: number, steps: number): Promise<void> {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  for (let i = 1; i <= steps; i++) {
    await page.mouse.move(from.x + (dx * i) / steps, from.y + (dy * i) / steps);
    await page.waitForTimeout(8);
  }
  await page.mouse.up();
}

/**
 * Runs `measure`; when BENCH_PROFILE names this `phase`, under a DevTools trace, and prints where the
 * renderer spent the time (the 20 event names with the most total duration).
 */
export async function profiledPhase<T>(page: Page, phase: string, measure: () => Promise<T>): Promise<T> {
  if (process.env["BENCH_PROFILE"] === `${phase}-js`) return jsProfiled(page, phase, measure);
  if (process.env["BENCH_PROFILE"] !== phase) return measure();
  const cdp = await page.context().newCDPSession(page);
  const events: { name: string; dur?: number; ph: string }[] = [];
  cdp.on("Tracing.dataCollected", (d) => events.push(...(d.value as unknown as typeof events)));
  await cdp.send("Tracing.start", { categories: "devtools.timeline,disabled-by-default-devtools.timeline", transferMode: "ReportEvents" });
  const out = await measure();
  const done = new Promise((r) => cdp.once("Tracing.tracingComplete", r));
  await cdp.send("Tracing.end");
  await done;
  const by = new Map<string, number>();
  for (const e of events) if (e.ph === "X" && e.dur) by.set(e.name, (by.get(e.name) ?? 0) + e.dur);
  const top = [...by].sort((a, b) => b[1] - a[1]).slice(0, 20);
  console.log(`${phase}:\n${top.map(([k, v]) => `  ${(v / 1000).toFixed(0)} ms ${k}`).join("\n")}`);
  return out;
}

/** BENCH_PROFILE=PHASE-js: the page's JavaScript during `measure` (V8's sampling profiler), the 25 functions with the most self time. */
async function jsProfiled<T>(page: Page, phase: string, measure: () => Promise<T>): Promise<T> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.send("Profiler.start");
  const out = await measure();
  const { profile } = await cdp.send("Profiler.stop");
  const dt = new Map<number, number>();
  profile.samples?.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas?.[i] ?? 0)));
  const by = new Map<string, number>();
  for (const n of profile.nodes) {
    const f = n.callFrame;
    const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}:${f.columnNumber + 1}`;
    by.set(key, (by.get(key) ?? 0) + (dt.get(n.id) ?? 0));
  }
  const top = [...by].sort((a, b) => b[1] - a[1]).slice(0, 25);
  console.log(`${phase} (JavaScript, self time):\n${top.map(([k, v]) => `  ${(v / 1000).toFixed(0)} ms ${k}`).join("\n")}`);
  return out;
}

/** "p50 8.3 ms, p95 16.7 ms, p99 25.0 ms (612 frames, 1.3 % over 20 ms)" */
export function frameFigures(frames: number[]): { p50: number; p95: number; p99: number; over20: number; text: string } {
  const p50 = pct(frames, 50);
  const p95 = pct(frames, 95);
  const p99 = pct(frames, 99);
  const over20 = (100 * frames.filter((x) => x > 20).length) / Math.max(1, frames.length);
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  return { p50, p95, p99, over20, text: `p50 ${ms(p50)}, p95 ${ms(p95)}, p99 ${ms(p99)} (${frames.length} frames, ${over20.toFixed(1)} % over 20 ms)` };
}
