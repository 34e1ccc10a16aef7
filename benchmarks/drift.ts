// Benchmark (not a test): what the drift costs the server, and how soon a browser knows it
// (issue 11 item 2). It starts `topolab serve` as a child process with its own state directory,
// makes a lab of N hosts (default 200, on Linux bridges of 20 hosts each, the bridges in a line),
// opens it in B socket.io clients (default 2) that watch it live, and then, K times (default 20),
// adds an address by hand in a random host (`ip -n NS addr add …`) and removes it again. It
// measures:
//   - now (the server keeps the drift per lab and pushes it): from the `ip addr add` to the
//     live:event "drift" naming the address, in every client (p50 / p99 / max); and the
//     server's CPU per change (itself, the short `ip` runs it reaped, its ip monitor), over the
//     2K changes;
//   - before (each browser asked for the whole lab's drift after each change: live:drift read
//     every namespace, readDrift): the same readDrift and driftView the old handler ran, timed
//     here in this process R times (wall and CPU, its `ip` runs included), and the time from the
//     `ip addr add` to the node's live:event (when the old page started its 400 ms debounce).
//     Before, a change cost the server the node's live read plus B full drift reads, and a
//     browser saw the item after node event + 400 ms + one full read (more when reads queued).
// Traffic: none; only the benchmark's own namespaces are touched.
//
// Then the before replayed (--before-changes, default 5): a hand-made address, its node event,
// 400 ms, then B full reads at once in this process (as B pages asked), timed to each answer
// holding the item.
//
//   pnpm bench:drift [--hosts 200] [--browsers 2] [--changes 20] [--reads 3] [--before-changes 5] [--markdown]

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { ensureOvsRunning, readDrift, run } from "@topolab/engine";
import { nsName, validateLab } from "@topolab/topology";
import { connectClient } from "../apps/server/src/testing";
import { driftView } from "../apps/server/src/server/live";
import { pct, args, opt, benchServer, sleep, totalTicks, familyTicks } from "./common";

const hosts = Number(opt("hosts", "200"));
const browsers = Number(opt("browsers", "2"));
const changes = Number(opt("changes", "20"));
const reads = Number(opt("reads", "3"));
const beforeChanges = Number(opt("before-changes", "5"));
const markdown = args.includes("--markdown");
const lab = `dfbench${Math.random().toString(36).slice(2, 6)}`;
const TICKS = 100; // USER_HZ

function labDocument(n: number): Record<string, unknown> {
  const switches = Math.max(1, Math.ceil(n / 20));
  const nodes: Record<string, unknown>[] = [];
  const links: Record<string, unknown>[] = [];
  for (let s = 1; s <= switches; s++) {
    nodes.push({ name: `b${s}`, kind: "switch", type: "bridge", position: { x: s * 300, y: 0 } });
    if (s > 1) links.push({ endpoints: [`b${s - 1}`, `b${s}`] });
  }
  for (let h = 1; h <= n; h++) {
    const s = ((h - 1) % switches) + 1;
    nodes.push({
      name: `h${h}`,
      kind: "host",
      position: { x: s * 300, y: 100 + h * 10 },
      interfaces: { eth0: { addresses: [`10.100.${Math.floor(h / 250)}.${(h % 250) + 1}/16`] } },
    });
    links.push({ endpoints: [`h${h}:eth0`, `b${s}`] });
  }
  return { version: 1, name: lab, nodes, links };
}

const loadavg = async () => (await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join(" ");

async function main(): Promise<void> {
  await ensureOvsRunning();
  const bench = await benchServer(process.cwd(), lab, "topolab-benchdrift-", { emptyTemplates: true });
  const { child, url } = bench.server;
  const clients = await Promise.all(Array.from({ length: browsers }, () => connectClient(url, { token: bench.token, origin: url })));
  const c = clients[0]!;
  const lines: string[] = [];
  try {
    const t0 = performance.now();
    await c.ok("lab:create", { name: lab, source: { type: "file", text: JSON.stringify(labDocument(hosts)) } }, 900_000);
    lines.push(`lab of ${hosts} hosts up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    for (const x of clients) await x.ok("lab:open", { lab });
    const tw = performance.now();
    const snaps = await Promise.all(clients.map((x) => x.ok("live:watch", { lab }, 180_000)));
    lines.push(`${browsers} live:watch snapshots (with the drift: ${snaps[0]!.drift.items.length} items) in ${(performance.now() - tw).toFixed(0)} ms`);
    await sleep(3000);

    // now: hand-made address -> pushed drift event in every client
    const names = Object.keys(snaps[0]!.nodes);
    const toDrift: number[] = [];
    const toNode: number[] = [];
    const cpu0 = await familyTicks(child.pid!);
    const tc = performance.now();
    for (let i = 0; i < changes; i++) {
      const node = names[Math.floor(Math.random() * names.length)]!;
      const cidr = `10.250.${i % 250}.${(i % 200) + 1}/32`;
      const id = `address:${node}:eth0:${cidr}`;
      const seenNode = c.next("live:event", (p) => p.event.type === "node" && p.event.node === node && p.event.changes.some((x) => x.includes(cidr)), 20_000);
      const seen = clients.map((x) =>
        x.next("live:event", (p) => p.event.type === "drift" && !!p.event.nodes[node]?.some((it) => it.id === id), 20_000).then(() => performance.now()),
      );
      const t = performance.now();
      const r = await run(["ip", "-n", nsName(lab, node), "addr", "add", cidr, "dev", "eth0"]);
      if (r.code !== 0) throw new Error(`ip addr add failed: ${r.stderr}`);
      const [ends, nodeAt] = await Promise.all([Promise.all(seen), seenNode.then(() => performance.now())]);
      for (const e of ends) toDrift.push(e - t);
      toNode.push(nodeAt - t);
      const gone = clients.map((x) => x.next("live:event", (p) => p.event.type === "drift" && p.event.nodes[node]?.length === 0, 20_000));
      const d = await run(["ip", "-n", nsName(lab, node), "addr", "del", cidr, "dev", "eth0"]);
      if (d.code !== 0) throw new Error(`ip addr del failed: ${d.stderr}`);
      await Promise.all(gone);
      for (const x of clients) x.clear("live:event");
      await sleep(100);
    }
    const cpuNow = ((await familyTicks(child.pid!)) - cpu0) / TICKS / (2 * changes);
    const loadNow = await loadavg();
    const wallNow = (performance.now() - tc) / 1000;

    // before: the old live:drift handler's work, once per browser per change
    const doc = validateLab(JSON.parse(await readFile(join(bench.stateDir, "labs", lab, "lab.json"), "utf8")));
    if (!doc.ok) throw new Error("the lab's document does not validate");
    const meta = JSON.parse(await readFile(join(bench.stateDir, "labs", lab, "meta.json"), "utf8")) as { tag: string };
    const readMs: number[] = [];
    const readCpu: number[] = [];
    for (let i = 0; i < reads; i++) {
      const c0 = await totalTicks("self");
      const t = performance.now();
      const view = driftView(doc.lab, await readDrift(doc.lab, meta.tag));
      readMs.push(performance.now() - t);
      readCpu.push(((await totalTicks("self")) - c0) / TICKS);
      if (view.items.length) throw new Error(`drift left after the changes: ${view.items.map((x) => x.id).join(", ")}`);
    }
    // before, replayed: per change, after the node's event the old page waited 400 ms, then each
    // browser's live:drift read the whole lab (all B at once, as B pages did), here in this process
    const replay: number[] = [];
    const replayCpu0 = await totalTicks("self");
    for (let i = 0; i < beforeChanges; i++) {
      const node = names[Math.floor(Math.random() * names.length)]!;
      const cidr = `10.251.${i % 250}.${(i % 200) + 1}/32`;
      const id = `address:${node}:eth0:${cidr}`;
      const seenNode = c.next("live:event", (p) => p.event.type === "node" && p.event.node === node && p.event.changes.some((x) => x.includes(cidr)), 20_000);
      const t = performance.now();
      const r = await run(["ip", "-n", nsName(lab, node), "addr", "add", cidr, "dev", "eth0"]);
      if (r.code !== 0) throw new Error(`ip addr add failed: ${r.stderr}`);
      await seenNode;
      await sleep(400);
      const ends = await Promise.all(
        clients.map(async () => {
          const view = driftView(doc.lab, await readDrift(doc.lab, meta.tag));
          if (!view.items.some((x) => x.id === id)) throw new Error(`the full read missed ${id}`);
          return performance.now();
        }),
      );
      for (const e of ends) replay.push(e - t);
      const d = await run(["ip", "-n", nsName(lab, node), "addr", "del", cidr, "dev", "eth0"]);
      if (d.code !== 0) throw new Error(`ip addr del failed: ${d.stderr}`);
      for (const x of clients) x.clear("live:event");
      await sleep(200);
    }
    const replayCpu = ((await totalTicks("self")) - replayCpu0) / TICKS / Math.max(1, beforeChanges);
    const loadBefore = await loadavg();
    const read = pct(readMs, 50);
    const readC = pct(readCpu, 50);
    const rows = [
      [
        "`ip addr add` → drift item in every client",
        `${pct(toDrift, 50).toFixed(0)} ms p50, ${pct(toDrift, 99).toFixed(0)} ms p99 (${toDrift.length} deliveries)`,
        `≈ ${(pct(toNode, 50) + 400 + read).toFixed(0)} ms p50 (node event ${pct(toNode, 50).toFixed(0)} + debounce 400 + full read ${read.toFixed(0)}), more with ${browsers} reads queued`,
      ],
      [
        "server CPU per change",
        `${(cpuNow * 1000).toFixed(0)} ms (the node's live read, its drift, the push to ${browsers} clients)`,
        `≈ ${((cpuNow + browsers * readC) * 1000).toFixed(0)} ms (that + ${browsers} × a full read's ${(readC * 1000).toFixed(0)} ms CPU)`,
      ],
      [
        `before, replayed (${beforeChanges} changes): node event, 400 ms, then ${browsers} full reads at once`,
        "",
        `${pct(replay, 50).toFixed(0)} ms p50, ${pct(replay, 99).toFixed(0)} ms p99 to the item (${replay.length} deliveries); ${(replayCpu * 1000).toFixed(0)} ms CPU per change for the reads alone`,
      ],
      [
        "one full drift read (live:drift without a watch, and before: every browser, every change)",
        `${read.toFixed(0)} ms wall, ${(readC * 1000).toFixed(0)} ms CPU (p50 of ${reads})`,
        "",
      ],
    ];
    lines.push(`load average: ${loadNow} during the ${2 * changes} changes (${wallNow.toFixed(1)} s), ${loadBefore} after the full reads`);
    if (markdown) {
      console.log(`| ${hosts} hosts, ${browsers} browsers | now (pushed, kept per lab) | before (each browser reads the whole lab) |\n|---|---|---|`);
      for (const r of rows) console.log(`| ${r.join(" | ")} |`);
    } else for (const r of rows) console.log(r.join("   "));
    for (const l of lines) console.log(markdown ? `- ${l}` : l);
  } finally {
    for (const x of clients) x.socket.disconnect();
    const left = await bench.close({ downTimeoutMs: 900_000, settleMs: 20_000 });
    if (left.length) console.error(`left behind: ${left.join(", ")}`);
    else console.log(markdown ? "- nothing of the lab left behind" : "nothing of the lab left behind");
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
