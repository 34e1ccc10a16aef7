// Benchmark (not a test): the kernel's live state as a browser gets it. It starts `topolab
// serve` as a child process with its own state directory, makes a lab of N nodes (hosts on
// Linux bridges, default 200 nodes), opens it in a real socket.io client that watches it live
// with rates (counters and MAC tables sampled every second), and measures:
//   - kernel change -> browser event: a change made by hand in a random node (`ip link set eth0
//     mtu …`, alternating) until the client holds the live:event saying so (p50 / p99);
//   - the server's CPU while the lab is open and idle (the server, the short `ip` runs it
//     spawned, its ip monitor), as a share of one core, over a quiet window.
// Against the targets of issue 11 (p50 < 100 ms, p99 < 300 ms; idle CPU < 5 % of one core).
// Traffic: none; only the benchmark's own namespaces are touched.
//
// --canvas: the canvas instead (issue 11: "a 500-node lab with rates on every edge keeps panning
// at frame p95 < 20 ms"). A lab of N nodes (default 500: 25 Linux bridges in a chain, 19 hosts
// on each; bridges because they come up faster than OVS), every host pinging the next one (on
// the next bridge: the traffic crosses host links and the bridge chain; every edge is busy, and
// the pings' sizes differ so that the edges' widths differ and change from one second to the
// next), the lab page open in Debian's Chromium (headless) following the kernel with rates.
// Then real mouse drags pan the canvas for --pan-seconds (half with the whole lab in view, half
// zoomed in to about 100 %, by the mouse wheel) while requestAnimationFrame measures the frame
// times in the page; the same again after the pings stop (the rates still: the A/B of what the
// live rates cost). Prints p50/p95/p99 and the share of frames over 20 ms, and how often the
// canvas's live stylesheet changed meanwhile (proof that the rates really moved).
//
//   pnpm bench:live [--nodes 200] [--changes 100] [--idle-seconds 30] [--markdown]
//   pnpm bench:live --canvas [--nodes 500] [--pan-seconds 10] [--markdown]
//   BENCH_PROFILE=canvas pnpm bench:live --canvas    also: where the renderer spent the panning (DevTools trace)
//   BENCH_SERVER_PROFILE=DIR pnpm bench:live ...     also: the server's CPU profile, written to DIR

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { ensureOvsRunning, run } from "@topolab/engine";
import { nsName } from "@topolab/topology";
import { connectClient } from "../apps/server/src/testing";
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import {
  pct,
  args,
  opt,
  benchServer,
  sleep,
  ownAndReapedTicks,
  family,
  loggedInPage,
  frameRecorder,
  mouseDrag,
  profiledPhase,
  frameFigures,
  BROWSER_ARGS,
} from "./common";

const canvasMode = args.includes("--canvas");
const nodes = Number(opt("nodes", canvasMode ? "500" : "200"));
const changes = Number(opt("changes", "100"));
const idleSeconds = Number(opt("idle-seconds", "30"));
const markdown = args.includes("--markdown");
const lab = `lvbench${Math.random().toString(36).slice(2, 6)}`;

/** N nodes: hosts in groups of 19 on Linux bridges, the bridges in a line. */
function labDocument(n: number): Record<string, unknown> {
  const switches = Math.max(1, Math.ceil(n / 20));
  const hosts = n - switches;
  const out: { nodes: Record<string, unknown>[]; links: Record<string, unknown>[] } = { nodes: [], links: [] };
  for (let s = 1; s <= switches; s++) {
    out.nodes.push({ name: `b${s}`, kind: "switch", type: "bridge", position: { x: s * 300, y: 0 } });
    if (s > 1) out.links.push({ endpoints: [`b${s - 1}`, `b${s}`] });
  }
  for (let h = 1; h <= hosts; h++) {
    const s = ((h - 1) % switches) + 1;
    out.nodes.push({
      name: `h${h}`,
      kind: "host",
      position: { x: s * 300, y: 100 + h * 10 },
      interfaces: { eth0: { addresses: [`10.${100 + Math.floor(h / 250)}.${h % 250}.1/16`] } },
    });
    out.links.push({ endpoints: [`h${h}:eth0`, `b${s}`] });
  }
  return { version: 1, name: lab, nodes: out.nodes, links: out.links };
}

async function main(): Promise<void> {
  await ensureOvsRunning();
  const bench = await benchServer(process.cwd(), lab, "topolab-benchlive-", { emptyTemplates: true });
  const { child, url } = bench.server;
  const c = await connectClient(url, { token: bench.token, origin: url });
  const lines: string[] = [];
  try {
    const t0 = performance.now();
    await c.ok("lab:create", { name: lab, source: { type: "file", text: JSON.stringify(labDocument(nodes)) } }, 600_000);
    lines.push(`lab of ${nodes} nodes up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await c.ok("lab:open", { lab });
    const tw = performance.now();
    const snap = await c.ok("live:watch", { lab, rates: true }, 120_000);
    lines.push(`live:watch snapshot of ${Object.keys(snap.nodes).length} nodes in ${(performance.now() - tw).toFixed(0)} ms`);
    await sleep(2000);

    // 1. kernel change -> browser event
    const hosts = Object.keys(snap.nodes);
    const mtu = new Map<string, number>();
    const latencies: number[] = [];
    for (let i = 0; i < changes; i++) {
      const node = hosts[Math.floor(Math.random() * hosts.length)]!;
      const next = (mtu.get(node) ?? 1500) === 1500 ? 1400 : 1500;
      mtu.set(node, next);
      const seen = c.next(
        "live:event",
        (p) => p.event.type === "node" && p.event.node === node && !!p.event.state?.interfaces.some((x) => x.name === "eth0" && x.mtu === next),
        10_000,
      );
      const t = performance.now();
      const r = await run(["ip", "-n", nsName(lab, node), "link", "set", "eth0", "mtu", String(next)]);
      if (r.code !== 0) throw new Error(`ip link set failed: ${r.stderr}`);
      await seen.catch((e: unknown) => {
        const got = (c.events["live:event"] ?? []).map((p) =>
          p.event.type === "node" ? `${p.event.node}: ${p.event.changes.join(", ")}` : p.event.type === "error" ? `error: ${p.event.message}` : p.event.type,
        );
        throw new Error(`${(e as Error).message} (changed ${node} to mtu ${next}); events meanwhile: ${got.slice(-10).join(" | ")}`);
      });
      latencies.push(performance.now() - t);
      c.clear("live:event");
      await sleep(50 + Math.random() * 100);
    }

    // 2. idle CPU with the lab open, watched with rates
    await sleep(2000);
    // the server itself, the short `ip` runs it spawned and reaped meanwhile, its living children (the ip monitor)
    const pids = await family(child.pid!);
    const ticks = async () => {
      const [server, ...kids] = await Promise.all(pids.map(ownAndReapedTicks));
      return { server: server!.own, reaped: server!.reaped, children: kids.reduce((a, k) => a + k.own + k.reaped, 0) };
    };
    const before = await ticks();
    const tIdle = performance.now();
    await sleep(idleSeconds * 1000);
    const after = await ticks();
    const seconds = (performance.now() - tIdle) / 1000;
    const ticksPerSecond = 100; // USER_HZ on Linux
    const share = (k: "server" | "reaped" | "children") => ((after[k] - before[k]) / ticksPerSecond / seconds) * 100;
    const cpu = share("server") + share("reaped") + share("children");
    const load = (await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join(" ");
    const idleEvents = c.events["live:event"] ?? [];
    const counters = idleEvents.filter((p) => p.event.type === "counters").length;
    const others = idleEvents.filter((p) => p.event.type !== "counters");
    const otherText = others
      .slice(0, 5)
      .map((p) =>
        p.event.type === "node" ? `${p.event.node}: ${p.event.changes.join(", ")}` : p.event.type === "error" ? `error: ${p.event.message}` : p.event.type,
      )
      .join(" | ");

    const p50 = pct(latencies, 50);
    const p99 = pct(latencies, 99);
    const rows = [
      [
        "kernel change -> browser event",
        `${p50.toFixed(1)} ms`,
        `${p99.toFixed(1)} ms`,
        "p50 < 100 ms, p99 < 300 ms",
        p50 < 100 && p99 < 300 ? "met" : "not met",
      ],
      [
        `server CPU, lab open and idle, rates on (server ${share("server").toFixed(1)} + its short ip runs ${share("reaped").toFixed(1)} + ip monitor ${share("children").toFixed(1)})`,
        `${cpu.toFixed(1)} % of one core`,
        "",
        "< 5 %",
        cpu < 5 ? "met" : "not met",
      ],
    ];
    lines.push(`load average at the end: ${load}`);
    lines.push(`${latencies.length} changes; ${counters} counter samples during the ${idleSeconds} s idle window`);
    lines.push(`other events in the idle window: ${others.length}${others.length ? ` (${otherText}${others.length > 5 ? " …" : ""})` : ""}`);
    if (markdown) {
      console.log("| what | p50 / value | p99 | target | |\n|---|---|---|---|---|");
      for (const r of rows) console.log(`| ${r.join(" | ")} |`);
    } else for (const r of rows) console.log(r.join("   "));
    for (const l of lines) console.log(markdown ? `- ${l}` : l);
  } finally {
    c.socket.disconnect();
    const left = await bench.close({ downTimeoutMs: 600_000, settleMs: 20_000 });
    if (left.length) console.error(`left behind: ${left.join(", ")}`);
  }
}

/** The canvas lab: bridges in a chain on a grid of 5 columns, their hosts in rows of 10 below each; every address in one /16. */
function canvasDocument(name: string, n: number): { doc: Record<string, unknown>; hosts: { name: string; address: string }[] } {
  const switches = Math.max(1, Math.ceil(n / 20));
  const nodesOut: Record<string, unknown>[] = [];
  const links: Record<string, unknown>[] = [];
  const hosts: { name: string; address: string }[] = [];
  const at = (s: number) => ({ x: ((s - 1) % 5) * 1400, y: Math.floor((s - 1) / 5) * 520 });
  for (let s = 1; s <= switches; s++) {
    nodesOut.push({ name: `b${s}`, kind: "switch", type: "bridge", position: { x: at(s).x + 600, y: at(s).y } });
    if (s > 1) links.push({ endpoints: [`b${s - 1}`, `b${s}`] });
  }
  const perSwitch = new Map<number, number>();
  for (let h = 1; h <= n - switches; h++) {
    const s = ((h - 1) % switches) + 1;
    const k = perSwitch.get(s) ?? 0;
    perSwitch.set(s, k + 1);
    const address = `10.100.${Math.floor(h / 250)}.${(h % 250) + 1}`;
    nodesOut.push({
      name: `h${h}`,
      kind: "host",
      position: { x: at(s).x + (k % 10) * 130, y: at(s).y + 170 + Math.floor(k / 10) * 130 },
      interfaces: { eth0: { addresses: [`${address}/16`] } },
    });
    links.push({ endpoints: [`h${h}:eth0`, `b${s}`] });
    hosts.push({ name: `h${h}`, address });
  }
  return { doc: { version: 1, name, nodes: nodesOut, links }, hosts };
}

async function canvas(): Promise<void> {
  const root = process.cwd();
  // Playwright from the e2e package, at run time (it cannot be bundled)
  const { chromium } = createRequire(join(root, "e2e/package.json"))("@playwright/test") as typeof import("@playwright/test");
  const panSeconds = Number(opt("pan-seconds", "10"));
  const name = `lbcv${Math.random().toString(36).slice(2, 6)}`;
  const { doc, hosts } = canvasDocument(name, nodes);
  await ensureOvsRunning();
  const bench = await benchServer(root, name, "topolab-benchcanvas-", { emptyTemplates: true });
  const { url } = bench.server;
  const c = await connectClient(url, { token: bench.token, origin: url });
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: BROWSER_ARGS, headless: true });
  const pingers: ChildProcess[] = [];
  const lines: string[] = [];
  const rows: string[][] = [];
  const note = (l: string) => {
    lines.push(l);
    process.stderr.write(`  ${l}\n`); // progress as it goes; the figures come at the end
  };
  try {
    const t0 = performance.now();
    await c.ok("lab:create", { name, source: { type: "file", text: JSON.stringify(doc) } }, 900_000);
    note(`lab of ${nodes} nodes (${hosts.length} hosts, ${nodes - hosts.length} Linux bridges) up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // traffic: every host pings the next (wrapping), 2 a second, sizes 56 to 956 bytes by host
    for (const [i, h] of hosts.entries()) {
      const to = hosts[(i + 1) % hosts.length]!;
      const size = String(56 + (i % 10) * 100);
      const p = spawn("ip", ["netns", "exec", nsName(name, h.name), "ping", "-q", "-i", "0.5", "-s", size, to.address], { stdio: "ignore" });
      p.on("error", () => undefined);
      pingers.push(p);
      if (i % 25 === 24) await sleep(50); // spawned in small bursts, not all at once
    }
    const stopPings = async () => {
      await Promise.all(
        pingers.map(
          (p) =>
            new Promise<void>((resolve) => {
              if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return resolve();
              p.once("exit", () => resolve());
              try {
                process.kill(p.pid, "SIGTERM"); // by PID: `ip netns exec` became ping
              } catch {
                resolve(); // it ended meanwhile
              }
            }),
        ),
      );
    };

    const { page, errors } = await loggedInPage(browser, url, bench.token);
    // the live events the page receives, by type (socket.io frames: 42["live:event",{…"event":{"type":"…)
    const received = new Map<string, number>();
    page.on("websocket", (ws) =>
      ws.on("framereceived", (f) => {
        const m = typeof f.payload === "string" ? /^\d*\["live:event",\{.*?"event":\{"type":"(\w+)"/.exec(f.payload) : null;
        if (m) received.set(m[1]!, (received.get(m[1]!) ?? 0) + 1);
      }),
    );
    const eventsText = (since: Map<string, number>, seconds: number) =>
      [...received].map(([k, v]) => `${k} ${((v - (since.get(k) ?? 0)) / seconds).toFixed(1)}/s`).join(", ");
    const tp = performance.now();
    await page.goto(`${url}/labs/${name}`);
    await page.waitForFunction((n) => document.querySelectorAll(".react-flow__node").length >= n, nodes, { timeout: 120_000 });
    note(`page: all ${nodes} nodes drawn in ${((performance.now() - tp) / 1000).toFixed(1)} s`);
    // the rates on the canvas: busy edges in the live stylesheet
    const busy = () => page.evaluate(() => (document.querySelector('[data-testid="live-style"]')?.textContent?.match(/stroke-width/g) ?? []).length);
    const tb = performance.now();
    await page.waitForFunction(() => (document.querySelector('[data-testid="live-style"]')?.textContent?.match(/stroke-width/g) ?? []).length > 0, null, {
      timeout: 300_000,
    });
    await sleep(3000);
    note(
      `rates on the canvas ${((performance.now() - tb) / 1000).toFixed(1)} s after it was drawn; busy edges: ${await busy()} of ${(doc["links"] as unknown[]).length}`,
    );

    // how often the live stylesheet's text changes while panning (the rates moving)
    const watchStyle = () =>
      page.evaluate(() => {
        const el = document.querySelector('[data-testid="live-style"]')!;
        const w = window as unknown as { __topolabStyle?: { changes: number; observer: MutationObserver } };
        const s = { changes: 0, observer: new MutationObserver(() => s.changes++) };
        s.observer.observe(el, { characterData: true, childList: true, subtree: true });
        w.__topolabStyle = s;
      });
    const styleChanges = () =>
      page.evaluate(() => {
        const s = (window as unknown as { __topolabStyle: { changes: number; observer: MutationObserver } }).__topolabStyle;
        s.observer.disconnect();
        return s.changes;
      });
    const where = () => page.evaluate(() => document.querySelector<HTMLElement>(".react-flow__viewport")?.style.transform ?? "");
    const pane = (await page.locator(".react-flow__pane").boundingBox())!;
    const fit = async () => {
      await page.locator('[data-testid="zoom-fit"]').click();
      await page.waitForTimeout(500);
    };
    /** Drags the empty pane back and forth for `seconds`: whole lab in view, then zoomed in by the wheel. */
    const panFor = async (seconds: number): Promise<{ fitted: number[]; near: number[]; changes: number }> => {
      const frames = frameRecorder(page);
      await fit();
      await watchStyle();
      const start = await where();
      const sweep = async (until: number, from: { x: number; y: number }) => {
        let moved = false;
        while (performance.now() < until) {
          await mouseDrag(page, from, 300, -150, 40);
          if (!moved && (await where()) === start) throw new Error(`panning did not move the view (${start})${errors.length ? `: ${errors[0]}` : ""}`);
          moved = true;
          await mouseDrag(page, { x: from.x + 300, y: from.y - 150 }, -300, 150, 40);
        }
      };
      await frames.start();
      await sweep(performance.now() + (seconds * 1000) / 2, { x: pane.x + 200, y: pane.y + pane.height - 200 });
      const fitted = await frames.stop();
      // zoom in around the middle with the wheel, to about 100 %
      await page.mouse.move(pane.x + pane.width / 2, pane.y + pane.height / 2);
      for (let i = 0; i < 15 && !/scale\((0\.9|1)/.test(await where()); i++) {
        await page.mouse.wheel(0, -200);
        await page.waitForTimeout(100);
      }
      if (!/scale\((0\.9|1)/.test(await where())) throw new Error(`could not zoom in to about 100 % (${await where()})`);
      await frames.start();
      await sweep(performance.now() + (seconds * 1000) / 2, { x: pane.x + 500, y: pane.y + 600 });
      const near = await frames.stop();
      return { fitted, near, changes: await styleChanges() };
    };

    const beforeLive = new Map(received);
    const tLive = performance.now();
    const live = await profiledPhase(page, "canvas", () => panFor(panSeconds));
    note(`live events to the page while panning with traffic: ${eventsText(beforeLive, (performance.now() - tLive) / 1000)}`);
    await stopPings();
    await sleep(3000); // rates fall to nothing, the stylesheet settles
    const still = await panFor(panSeconds);
    if (errors.length) throw new Error(`the page failed while measured: ${errors.join("; ")}`);

    const target = (f: number[]) => (frameFigures(f).p95 < 20 ? "met" : "not met");
    const row = (what: string, f: number[]) => {
      const x = frameFigures(f);
      rows.push([
        what,
        `${x.p50.toFixed(1)} ms`,
        `${x.p95.toFixed(1)} ms`,
        `${x.p99.toFixed(1)} ms`,
        `${x.over20.toFixed(1)} % (${f.length} frames)`,
        target(f),
      ]);
    };
    row("pan, rates moving, whole lab in view", live.fitted);
    row("pan, rates moving, zoomed to ~100 %", live.near);
    row("pan, rates moving, both", [...live.fitted, ...live.near]);
    row("pan, traffic stopped (A/B), both", [...still.fitted, ...still.near]);
    note(`live stylesheet changed ${live.changes} times in the ${panSeconds} s of panning with traffic (${still.changes} times after it stopped)`);
    note(
      `Chromium ${browser.version()} headless, software rendering; load average at the end: ${(await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join(" ")}`,
    );
    if (markdown) {
      console.log("| canvas, 500-node lab, rates on | frame p50 | p95 | p99 | over 20 ms | target p95 < 20 ms |\n|---|---|---|---|---|---|");
      for (const r of rows) console.log(`| ${r.join(" | ")} |`);
    } else for (const r of rows) console.log(`${r[0]}: p50 ${r[1]}, p95 ${r[2]}, p99 ${r[3]}, ${r[4]} over 20 ms   target p95 < 20 ms: ${r[5]}`);
    for (const l of lines) console.log(markdown ? `- ${l}` : l);
  } finally {
    for (const p of pingers) if (p.exitCode === null && p.signalCode === null && p.pid !== undefined) process.kill(p.pid, "SIGKILL");
    await browser.close();
    c.socket.disconnect();
    const left = await bench.close({ downTimeoutMs: 900_000, settleMs: 30_000 });
    if (left.length) console.error(`left behind: ${left.join(", ")}`);
    else console.log(markdown ? "- left behind: nothing" : "left behind: nothing");
  }
}

await (canvasMode ? canvas() : main());
