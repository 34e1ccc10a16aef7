/// <reference lib="dom" />
// The canvas with a large lab (a benchmark, not a test): the real server, Debian's Chromium
// driven by Playwright, a generated 500-node lab (50 OVS switches in a chain, 9 hosts on each).
// Reports the time until all 500 nodes are drawn, the frame time (p50/p95, from
// requestAnimationFrame) while panning the view (with the whole lab fitted in, and again at
// 100 % zoom) and while dragging a node, and the gzip size of the JavaScript the lab page
// loads first. Targets: p95 < 20 ms; first-load JS < 300 KB.
//
// The lab is stopped (its document only): what is measured is the browser, not the kernel.
//
//   pnpm bench:web [--nodes 500] [--runs 3]
//   BENCH_PROFILE=pan|drag|pan-near pnpm bench:web --runs 1   also: where the renderer spent
//                                                             that gesture (a DevTools trace)
//   BENCH_SHOTS=DIR pnpm bench:web --runs 1                   also: screenshots of both zooms

import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { pct, BROWSER_ARGS, benchServer, frameRecorder, mouseDrag, profiledPhase } from "./common";

// scripts/run-ts.mjs runs a bundle from a temporary directory, with argv[1] set to this file
const root = join(dirname(process.argv[1] ?? fileURLToPath(import.meta.url)), "..");
// Playwright is loaded from the e2e package at run time (it cannot be bundled)
const { chromium } = createRequire(join(root, "e2e/package.json"))("@playwright/test") as typeof import("@playwright/test");

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const NODES = arg("nodes", 500);
const RUNS = arg("runs", 3);
const LAB = "benchweb";

function generate(nodes: number) {
  const perSwitch = 9;
  const switches = Math.max(1, Math.round(nodes / (perSwitch + 1)));
  const out: { nodes: Record<string, unknown>[]; links: Record<string, unknown>[] } = { nodes: [], links: [] };
  for (let s = 0; s < switches; s++) {
    const sx = (s % 10) * 1100;
    const sy = Math.floor(s / 10) * 420;
    out.nodes.push({ name: `s${s + 1}`, kind: "switch", position: { x: sx + 400, y: sy } });
    if (s > 0) out.links.push({ endpoints: [`s${s}`, `s${s + 1}`] });
    for (let h = 0; h < perSwitch && out.nodes.length < nodes; h++) {
      const name = `h${s * perSwitch + h + 1}`;
      out.nodes.push({ name, kind: "host", position: { x: sx + h * 115, y: sy + 200 }, interfaces: { eth0: { addresses: [`10.${s}.0.${h + 1}/24`] } } });
      out.links.push({ endpoints: [`${name}:eth0`, `s${s + 1}`] });
    }
  }
  return out;
}

const ms = (x: number) => `${x.toFixed(1)} ms`;
/** The share of frames that took longer than 20 ms: what the p95 hides when it sits on a vsync step. */
const over20 = (xs: number[]) => `${((100 * xs.filter((x) => x > 20).length) / Math.max(1, xs.length)).toFixed(1)} % over 20 ms`;

async function main(): Promise<void> {
  const { server, stateDir, token, api } = await benchServer(root, LAB, "topolab-benchweb-");
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: BROWSER_ARGS, headless: true });
  try {
    // a stopped lab: its document only, the kernel is not involved
    await api("POST", "/labs", { name: LAB, source: { type: "blank" } });
    await api("POST", `/labs/${LAB}/stop`);
    await api("POST", `/labs/${LAB}/edit`, { changes: [{ type: "replace", document: generate(NODES) }] });

    const port = new URL(server.url).port;
    const results: { load: number; pan: number[]; panNear: number[]; drag: number[]; js: number; jsFiles: number }[] = [];
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
      await context.addCookies([
        { name: `topolab-${port}`, value: token, domain: new URL(server.url).hostname, path: "/", httpOnly: true, sameSite: "Strict" },
      ]);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      const scripts: string[] = [];
      page.on("response", (r) => {
        if (r.request().resourceType() === "script") scripts.push(r.url());
      });
      const started = Date.now();
      await page.goto(`${server.url}/labs/${LAB}`);
      await page.waitForFunction((n) => document.querySelectorAll(".react-flow__node").length >= n, NODES, { timeout: 60_000 });
      const load = Date.now() - started;
      let js = 0;
      const firstLoad = new Set(scripts); // later chunks (the inspector's, on selecting h1) are not first load
      for (const url of firstLoad) {
        const body = await (await fetch(url, { headers: { cookie: `topolab-${port}=${token}` } })).arrayBuffer();
        js += gzipSync(Buffer.from(body)).length;
      }
      await page.waitForTimeout(500);

      // frame times (common.ts: the page's side in one object of its own), real mouse drags, and
      // BENCH_PROFILE=pan, =drag or =pan-near: where the renderer's time goes during that gesture
      const frames = frameRecorder(page);
      const record = frames.start;
      const collect = frames.stop;
      const gesture = (from: { x: number; y: number }, dx: number, dy: number, steps: number) => mouseDrag(page, from, dx, dy, steps);
      const profiled = (phase: string, measure: () => Promise<number[]>) => profiledPhase(page, phase, measure);
      // the node the gestures use: h1 when it is on screen; in a lab wider than the smallest
      // zoom fits, the view is centred and h1 lies off screen (under the palette), so the host
      // nearest the pane's centre
      let dragId = "h1";
      // what moved: the view's transform and that node's position (a gesture that moved nothing
      // measures nothing)
      const where = () =>
        page.evaluate(
          (id) => ({
            view: document.querySelector<HTMLElement>(".react-flow__viewport")?.style.transform ?? "",
            h1: document.querySelector<HTMLElement>(`.react-flow__node[data-id="${id}"]`)?.style.transform ?? "",
          }),
          dragId,
        );

      if (process.env["BENCH_SHOTS"]) await page.screenshot({ path: join(process.env["BENCH_SHOTS"], `fitted-${run}.png`) });
      // panning: drag the empty pane back and forth
      const pane = (await page.locator(".react-flow__pane").boundingBox())!;
      const panStart = await where();
      const pan = await profiled("pan", async () => {
        await record();
        for (let i = 0; i < 3; i++) {
          await gesture({ x: pane.x + 40, y: pane.y + pane.height - 40 }, 300, -150, 60);
          if (i === 0 && (await where()).view === panStart.view)
            throw new Error(`panning did not move the view (${panStart.view})${errors.length ? `: ${errors[0]}` : ""}`);
          await gesture({ x: pane.x + 340, y: pane.y + pane.height - 190 }, -300, 150, 60);
        }
        return collect();
      });

      // dragging one node around
      await page.locator('[data-testid="zoom-fit"]').click();
      await page.waitForTimeout(400);
      dragId = await page.evaluate(() => {
        const pane = document.querySelector(".react-flow__pane")!.getBoundingClientRect();
        const [cx, cy] = [pane.x + pane.width / 2, pane.y + pane.height / 2];
        let best = { id: "h1", d: Infinity };
        for (const n of document.querySelectorAll<HTMLElement>('.react-flow__node[data-id^="h"]')) {
          const r = n.getBoundingClientRect();
          const d = Math.hypot(r.x + r.width / 2 - cx, r.y + r.height / 2 - cy);
          if (d < best.d) best = { id: n.dataset["id"]!, d };
        }
        return best.id;
      });
      const node = (await page.locator(`[data-testid="node-${dragId}"]`).boundingBox())!;
      const dragStart = await where();
      const drag = await profiled("drag", async () => {
        await record();
        for (let i = 0; i < 3; i++) {
          await gesture({ x: node.x + node.width / 2, y: node.y + node.height / 2 }, 200, 120, 60);
          if (i === 0 && (await where()).h1 === dragStart.h1)
            throw new Error(`dragging did not move ${dragId} (${dragStart.h1})${errors.length ? `: ${errors[0]}` : ""}`);
          await gesture({ x: node.x + node.width / 2 + 200, y: node.y + node.height / 2 + 120 }, -200, -120, 60);
        }
        return collect();
      });

      // panning again at 100 % zoom, around h1: the nodes in full detail, most of them off screen
      const h1 = (await page.locator(`[data-testid="node-${dragId}"]`).boundingBox())!;
      await page.mouse.move(h1.x + h1.width / 2, h1.y + h1.height / 2);
      for (let i = 0; i < 12 && !/scale\((0\.9|1)/.test((await where()).view); i++) {
        await page.mouse.wheel(0, -200);
        await page.waitForTimeout(120);
      }
      const zoomed = (await where()).view;
      if (process.env["BENCH_SHOTS"]) await page.screenshot({ path: join(process.env["BENCH_SHOTS"], `near-${run}.png`) });
      if (!/scale\((0\.9|1)/.test(zoomed)) throw new Error(`could not zoom in to about 100 % (${zoomed})`);
      await page.waitForTimeout(400);
      // a drag that starts on a node moves the node: start on the empty pane (the point under the
      // mouse stays empty as the view follows it)
      const empty = await page.evaluate(() => {
        const r = document.querySelector(".react-flow__pane")!.getBoundingClientRect();
        for (let y = r.y + 200; y < r.y + r.height - 20; y += 20)
          for (let x = r.x + 20; x < r.x + r.width - 320; x += 20) if (document.elementFromPoint(x, y)?.classList.contains("react-flow__pane")) return { x, y };
        return { x: r.x + 500, y: r.y + 500 };
      });
      const panNear = await profiled("pan-near", async () => {
        await record();
        for (let i = 0; i < 3; i++) {
          await gesture(empty, 300, -150, 60);
          if (i === 0 && (await where()).view === zoomed) throw new Error(`panning did not move the view (${zoomed})`);
          await gesture({ x: empty.x + 300, y: empty.y - 150 }, -300, 150, 60);
        }
        return collect();
      });
      if (errors.length) throw new Error(`the page failed while measured: ${errors.join("; ")}`);
      results.push({ load, pan, panNear, drag, js, jsFiles: firstLoad.size });
      await context.close();
    }

    const best = (f: (r: (typeof results)[number]) => number) => Math.min(...results.map(f));
    const pans = results.flatMap((r) => r.pan);
    const drags = results.flatMap((r) => r.drag);
    const nears = results.flatMap((r) => r.panNear);
    const chromeVersion = browser.version();
    const lines = [
      `web canvas, ${NODES} nodes / ${generate(NODES).links.length} links (lab stopped), Chromium ${chromeVersion} headless, software rendering, ${RUNS} runs`,
      `  load until every node is drawn: best ${best((r) => r.load)} ms, median ${pct(
        results.map((r) => r.load),
        50,
      )} ms`,
      `  frame time panning (whole lab in view): p50 ${ms(pct(pans, 50))}, p95 ${ms(pct(pans, 95))} (${pans.length} frames, ${over20(pans)})   target p95 < 20 ms: ${pct(pans, 95) < 20 ? "met" : "NOT met"}`,
      `  frame time panning at 100 % zoom: p50 ${ms(pct(nears, 50))}, p95 ${ms(pct(nears, 95))} (${nears.length} frames, ${over20(nears)})   target p95 < 20 ms: ${pct(nears, 95) < 20 ? "met" : "NOT met"}`,
      `  frame time dragging a node (whole lab in view): p50 ${ms(pct(drags, 50))}, p95 ${ms(pct(drags, 95))} (${drags.length} frames, ${over20(drags)})   target p95 < 20 ms: ${pct(drags, 95) < 20 ? "met" : "NOT met"}`,
      `  first-load JavaScript (lab page): ${(results[0]!.js / 1024).toFixed(1)} KB gzip in ${results[0]!.jsFiles} files   target < 300 KB: ${results[0]!.js < 300 * 1024 ? "met" : "NOT met"}`,
    ];
    console.log(lines.join("\n"));
    await api("DELETE", `/labs/${LAB}`);
  } finally {
    await browser.close();
    await server.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

await main();
