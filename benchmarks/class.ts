// Benchmark (not a test): a class of 30 joining at once (issue 15). `topolab serve` runs as a
// child process with its own state directory; the instructor opens a class of a 6-node lab
// (two routers, four hosts), then 30 students join together (30 POST /api/class/join at once,
// each with its own cookie). Measured: the time until all 30 labs are up (the grid says "up"),
// the server's RSS before and after and what one student costs (RSS, namespaces), then 30
// open terminals (one per student, their confined shells) and the keystroke echo round trip
// across them (p50/p99), and the time to end the class; nothing may be left in the kernel.
// The instructor's watch (issue 15, item 3): the same echo with the instructor watching all
// the terminals (one socket, acking), then with a second watcher that never acks (a frozen
// tab) after every shell printed past the high-water mark: the students' echo must not care.
// Traffic: loopback between this process and the server only.
//
//   pnpm bench:class [--students 30] [--markdown]

import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { leftoversAfterSettling, tempStateDir } from "@topolab/engine/testing";
import type { ClassView } from "../packages/protocol/src/index";
import type { Client } from "../apps/server/src/testing";
import { studentClient } from "../apps/server/src/server/classes-testing";
import { connectClient } from "../apps/server/src/testing";
import { pct, serve, args, opt } from "./common";

const students = Number(opt("students", "30"));
const markdown = args.includes("--markdown");
const bin = join(process.cwd(), "apps/server/bin/topolab.js");
const token = `bench-${Math.random().toString(36).slice(2)}-${Date.now()}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const LAB = `# six nodes: two routers, two hosts on each
version: 1
name: classsix
nodes:
  - { name: r1, kind: router, interfaces: { eth0: { addresses: [10.1.1.1/24] }, eth1: { addresses: [10.1.2.1/24] }, eth2: { addresses: [10.9.0.1/30] } }, routes: [{ to: 10.2.0.0/16, via: 10.9.0.2 }] }
  - { name: r2, kind: router, interfaces: { eth0: { addresses: [10.2.1.1/24] }, eth1: { addresses: [10.2.2.1/24] }, eth2: { addresses: [10.9.0.2/30] } }, routes: [{ to: 10.1.0.0/16, via: 10.9.0.1 }] }
  - { name: h1, kind: host, interfaces: { eth0: { addresses: [10.1.1.2/24] } }, routes: [{ to: default, via: 10.1.1.1 }] }
  - { name: h2, kind: host, interfaces: { eth0: { addresses: [10.1.2.2/24] } }, routes: [{ to: default, via: 10.1.2.1 }] }
  - { name: h3, kind: host, interfaces: { eth0: { addresses: [10.2.1.2/24] } }, routes: [{ to: default, via: 10.2.1.1 }] }
  - { name: h4, kind: host, interfaces: { eth0: { addresses: [10.2.2.2/24] } }, routes: [{ to: default, via: 10.2.2.1 }] }
links:
  - endpoints: [h1:eth0, r1:eth0]
  - endpoints: [h2:eth0, r1:eth1]
  - endpoints: [h3:eth0, r2:eth0]
  - endpoints: [h4:eth0, r2:eth1]
  - endpoints: [r1:eth2, r2:eth2]
`;

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

async function main(): Promise<void> {
  const state = await tempStateDir();
  const templates = join(state.dir, "templates");
  await mkdir(templates, { recursive: true });
  await writeFile(join(templates, "classsix.yaml"), LAB);
  const { child, url, stop } = await serve(bin, ["--state-dir", join(state.dir, "state"), "--templates", templates, "--no-reconcile"], {
    ...process.env,
    TOPOLAB_TOKEN: token,
  });
  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${token}` }) => {
    const res = await fetch(`${url}/api${path}`, {
      method,
      headers: { ...headers, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null, headers: res.headers };
  };
  const lines: string[] = [];
  const out = (what: string, value: string) => lines.push(markdown ? `| ${what} | ${value} |` : `${what.padEnd(56)} ${value}`);
  let code = "";
  const clients: Client[] = [];
  try {
    await sleep(500);
    const rss0 = await rssMiB(child.pid!);
    const created = await api("POST", "/classes", { name: "bench", size: students, source: { type: "template", id: "classsix" } });
    if (created.status !== 201) throw new Error(`class:create: ${JSON.stringify(created.body)}`);
    code = (created.body as ClassView).code;

    // everyone at once
    const t0 = performance.now();
    const joined = await Promise.all(
      Array.from({ length: students }, (_, i) => api("POST", "/class/join", { code, name: `student ${i + 1}` }, { origin: url })),
    );
    const joinMs = performance.now() - t0;
    const bad = joined.filter((j) => j.status !== 201);
    if (bad.length) throw new Error(`${bad.length} joins refused: ${JSON.stringify(bad[0]!.body)}`);
    let grid: ClassView;
    for (;;) {
      grid = (await api("GET", `/classes/${code}`)).body as ClassView;
      const failed = grid.students.filter((s) => s.state === "failed");
      if (failed.length) throw new Error(`${failed.length} labs failed: ${failed[0]!.error}`);
      if (grid.students.length === students && grid.students.every((s) => s.state === "up")) break;
      await sleep(100);
    }
    const upMs = performance.now() - t0;
    await sleep(1000);
    const rss1 = await rssMiB(child.pid!);

    // one terminal per student, on h1, in their confined shell; the echo round trip across them
    const cookies = joined.map((j) => j.headers.get("set-cookie")!.split(";")[0]!);
    const labs = joined.map((j) => (j.body as { lab: string }).lab);
    const t1 = performance.now();
    const terms = await Promise.all(
      cookies.map(async (cookie, i) => {
        const c = await studentClient(url, cookie);
        clients.push(c);
        const { id } = await c.ok("term:open", { lab: labs[i]!, node: "h1", cols: 80, rows: 24 }, 120_000);
        await c.screen(id, /\$ $/, 60_000);
        return { c, id };
      }),
    );
    const termsMs = performance.now() - t1;
    const rss2 = await rssMiB(child.pid!);
    const echoRound = async (key: string): Promise<number[]> => {
      const times: number[] = [];
      for (let round = 0; round < 20; round++) {
        for (const { c, id } of terms) {
          const from = (c.screens.get(id) ?? "").length;
          const t = performance.now();
          c.socket.emit("term:input", { id, data: key });
          while (!(c.screens.get(id) ?? "").slice(from).includes(key)) {
            if (performance.now() - t > 5000) throw new Error("no echo within 5 s");
            await new Promise((r) => setImmediate(r));
          }
          times.push(performance.now() - t);
        }
      }
      // the keys typed are erased again (Ctrl-U), so the next round starts on an empty line
      for (const { c, id } of terms) c.socket.emit("term:input", { id, data: "\x15" });
      await sleep(200);
      return times;
    };
    const echoes = await echoRound("x");

    // the instructor watches every terminal, acking as a browser does
    const teacher = await connectClient(url, { token, origin: url, client: "bench teacher" });
    clients.push(teacher);
    const t3 = performance.now();
    for (const { id } of terms) await teacher.ok("term:watch", { id });
    const watchMs = performance.now() - t3;
    const echoesWatched = await echoRound("w");
    const seen = terms.every(({ id }) => (teacher.screens.get(id) ?? "").includes("w"));
    const rss3 = await rssMiB(child.pid!);
    // and a frozen tab watches them too (never acks); every shell prints past the high-water mark
    const frozen = await connectClient(url, { token, origin: url, client: "bench frozen tab" });
    frozen.autoAck = false;
    clients.push(frozen);
    for (const { id } of terms) await frozen.ok("term:watch", { id });
    const t4 = performance.now();
    for (const { c, id } of terms) c.socket.emit("term:input", { id, data: "head -c 400000 /dev/zero | tr '\\0' y | fold -w 100; echo flood-$((40+2))\r" });
    await Promise.all(terms.map(({ c, id }) => c.screen(id, /flood-42/, 120_000)));
    const floodMs = performance.now() - t4;
    const frozenGot = Math.max(...terms.map(({ id }) => (frozen.screens.get(id) ?? "").length));
    const echoesFrozen = await echoRound("z");
    for (const c of clients) c.close();

    const t2 = performance.now();
    const ended = await api("DELETE", `/classes/${code}`);
    if (ended.status !== 204) throw new Error(`end: ${JSON.stringify(ended.body)}`);
    const endMs = performance.now() - t2;
    code = "";
    const left: string[] = [];
    for (const lab of labs) left.push(...(await leftoversAfterSettling(lab)));

    if (markdown) lines.push("| measure | value |", "|---|---|");
    out(`${students} joins answered (all at once)`, `${joinMs.toFixed(0)} ms`);
    out(`all ${students} labs (6 nodes, 5 links each) up, from the first join`, `${(upMs / 1000).toFixed(1)} s (${(upMs / students).toFixed(0)} ms per lab)`);
    out("server RSS: before the class", `${rss0.toFixed(0)} MiB`);
    out(`server RSS: ${students} labs up`, `${rss1.toFixed(0)} MiB (+${((rss1 - rss0) / students).toFixed(2)} MiB per student)`);
    out(`${students} confined terminals open, to their prompts`, `${(termsMs / 1000).toFixed(1)} s`);
    out(`server RSS: with ${students} terminals`, `${rss2.toFixed(0)} MiB (+${((rss2 - rss1) / students).toFixed(2)} MiB per terminal)`);
    out(`keystroke echo across ${students} terminals (${echoes.length} keys): p50 / p99`, `${pct(echoes, 50).toFixed(1)} / ${pct(echoes, 99).toFixed(1)} ms`);
    out(`the instructor starts watching all ${students} terminals (one socket)`, `${watchMs.toFixed(0)} ms`);
    out(
      `keystroke echo, the instructor watching all (${echoesWatched.length} keys): p50 / p99`,
      `${pct(echoesWatched, 50).toFixed(1)} / ${pct(echoesWatched, 99).toFixed(1)} ms${seen ? "" : " (the watcher missed keys!)"}`,
    );
    out(`server RSS: with the instructor watching`, `${rss3.toFixed(0)} MiB (+${((rss3 - rss2) / students).toFixed(3)} MiB per watched terminal)`);
    out(
      `${students} shells print 400 kB each, a frozen tab watching all`,
      `${(floodMs / 1000).toFixed(1)} s; the frozen tab got at most ${(frozenGot / 1024).toFixed(0)} KiB of a shell's 400 kB`,
    );
    out(
      `keystroke echo with the frozen tab watching (${echoesFrozen.length} keys): p50 / p99`,
      `${pct(echoesFrozen, 50).toFixed(1)} / ${pct(echoesFrozen, 99).toFixed(1)} ms`,
    );
    out("end of the class (all labs down)", `${(endMs / 1000).toFixed(1)} s`);
    out("left in the kernel after the end", left.length ? left.join("; ") : "nothing");
    console.log(lines.join("\n"));
    if (left.length) process.exitCode = 1;
  } finally {
    for (const c of clients) c.close();
    if (code) await api("DELETE", `/classes/${code}`).catch(() => undefined);
    await stop();
    await state.remove();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
