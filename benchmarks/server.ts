// Benchmark (not a test): the lab server as a browser feels it. It starts `topolab serve` as a
// child process (so its memory can be read), with its own state directory, and measures
// through real socket.io clients:
//   - terminal open to the first prompt byte (the shells get an empty HOME: this machine's
//     ~/.bashrc is timed apart, on a local pty, since it is the machine's and not topolab's);
//   - keystroke echo round trip through socket.io, beside a local pty's echo (the same shell on
//     node-pty in this process, no server) measured in the same run;
//   - edit to applied: add a host and its link, until the new host answers a ping, beside the
//     same change made by the engine in this process (no server);
//   - a big lab brought up and taken down through the server as the canvas does it (the home
//     page's upload: lab:create with the file's text, then lab:open; lab:delete), a star of
//     --big-hosts hosts on one OVS switch, while another browser keeps a terminal open on the
//     small lab: that terminal's echo and a third's labs:list round trip (what the home page asks)
//     meanwhile, and the create and delete as long as the server takes to answer them (issue 16);
//   - the server's RSS while 20 terminals print as fast as they can (`yes`) for 30 s, and the
//     echo round trip of a 21st terminal (another browser) meanwhile.
// Each as p50/p99/max over many runs, against the targets of issues 5 and 16. Traffic: only
// inside the benchmark's own namespaces, and loopback between this process and the server.
//
//   pnpm bench:server [--flood-seconds 30] [--skip-flood] [--big-hosts 200] [--big-only] [--markdown]
//     --big-hosts 0: no big lab; --big-only: the small lab, its terminal and the big lab alone
//     (no open, echo, edit or flood phases)

import { readFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { Engine, ensureOvsRunning, run, shellSpec, useLauncher, type ShellSpec } from "@topolab/engine";
import { nsName, parseLab, topoLab } from "@topolab/topology";
import { leftoversAfterSettling, tempStateDir } from "@topolab/engine/testing";
import { connectClient, localPty, type Client } from "../apps/server/src/testing";
import { pct, args, opt, benchServer, sleep } from "./common";
import { LIMITS } from "../packages/protocol/src/index";

const floodSeconds = Number(opt("flood-seconds", "30"));
const bigHosts = Number(opt("big-hosts", "200"));
if (!Number.isInteger(bigHosts) || bigHosts < 0 || bigHosts > 1000)
  throw new Error(`--big-hosts: ${opt("big-hosts", "")} is not a whole number from 0 to 1000`);
const skipFlood = args.includes("--skip-flood") || args.includes("--big-only");
const bigOnly = args.includes("--big-only");
if (bigOnly && bigHosts === 0) throw new Error("--big-only with --big-hosts 0 measures nothing");
const markdown = args.includes("--markdown");
const lab = `tsrvb${Math.random().toString(36).slice(2, 6)}`;
/** the big lab (a star of bigHosts hosts); its name starts with the small lab's, the server's reconcile scope */
const big = `${lab}g`;

interface Row {
  what: string;
  samples: number[];
  target?: { p50?: number; p99?: number };
}
/** A row's figures, as the table shows them: worked out once, when the row is added. */
interface Measured extends Row {
  p50: number;
  /** the 99th percentile; of the RSS row, its maximum */
  p99: number;
  max: number;
  /** the target met: "yes", "NO", or "-" without one */
  met: "yes" | "NO" | "-";
}
const rows: Measured[] = [];

/** Adds a row to the table, its figures worked out: what the table and the notes show. */
function measured(r: Row): Measured {
  const p50 = pct(r.samples, 50);
  const p99 = r.what.startsWith("server RSS") ? Math.max(...r.samples) : pct(r.samples, 99);
  const met = !r.target ? "-" : (r.target.p50 === undefined || p50 < r.target.p50) && (r.target.p99 === undefined || p99 < r.target.p99) ? "yes" : "NO";
  const m: Measured = { ...r, p50, p99, max: Math.max(...r.samples), met };
  rows.push(m);
  return m;
}
const loadAtStart = loadavg();
const notes: string[] = [];

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** Time from sending one character to seeing it echoed; the line is emptied (Ctrl-U) now and then, untimed. */
async function echoOnce(send: (d: string) => void, output: { text: string }, i: number, what = "echo"): Promise<number> {
  if (i % 40 === 39) {
    send("\x15");
    await sleep(10);
  }
  const from = output.text.length;
  const t = performance.now();
  send("x");
  const deadline = t + 5000;
  while (!output.text.slice(from).includes("x")) {
    if (performance.now() > deadline)
      throw new Error(`${what}: no echo within 5 s (round ${i}); the terminal shows: ${JSON.stringify(output.text.slice(-300))}`);
    await new Promise((r) => setImmediate(r));
  }
  return performance.now() - t;
}

function termOutput(c: Client, id: string): { text: string } {
  return {
    get text() {
      return c.screens.get(id) ?? "";
    },
  };
}

async function openTerminal(c: Client, node: string): Promise<{ id: string; ms: number }> {
  const t = performance.now();
  const { id } = await c.ok("term:open", { lab, node, cols: 80, rows: 24 });
  while (!(c.screens.get(id) ?? "").includes(`@${node}`)) {
    if (performance.now() - t > 10_000)
      throw new Error(
        `no prompt within 10 s; the terminal shows ${JSON.stringify(c.screens.get(id) ?? "")}; connected: ${c.socket.connected}; errors: ${JSON.stringify(c.events["protocol:error"]?.slice(-3))}`,
      );
    await new Promise((r) => setImmediate(r));
  }
  return { id, ms: performance.now() - t };
}

/** A local pty with the node's shell, from spawn to its prompt. */
async function localOpen(spec: ShellSpec): Promise<number> {
  const t = performance.now();
  const pty = localPty(spec);
  let out = "";
  pty.onData((d) => (out += d));
  while (!out.includes("@h1")) {
    if (performance.now() - t > 10_000) throw new Error("no local prompt within 10 s");
    await new Promise((r) => setImmediate(r));
  }
  const ms = performance.now() - t;
  pty.kill("SIGKILL");
  return ms;
}

const hostChange = (n: number) => ({
  node: { name: `x${n}`, kind: "host" as const, interfaces: { eth0: { addresses: [`10.77.0.${n}/24`] } } },
  link: { endpoints: [`x${n}:eth0`, "s1"] as [string, string] },
});
const baseLab = (name: string) => ({
  name,
  nodes: [
    { name: "s1", kind: "switch" },
    { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.77.0.1/24"] } } },
  ],
  links: [{ endpoints: ["h1:eth0", "s1"] }],
});

async function pingUntil(from: string, address: string, inLab = lab): Promise<void> {
  const deadline = performance.now() + 10_000;
  for (;;) {
    const r = await run(["ip", "netns", "exec", nsName(inLab, from), "ping", "-c1", "-W1", "-q", address], { timeoutMs: 5000 });
    if (r.code === 0) return;
    if (performance.now() > deadline) throw new Error(`${address} did not answer within 10 s`);
  }
}

/** Other browsers: a terminal on the small lab (its page has the lab open), and a home page asking labs:list. */
interface Probe {
  client: Client;
  term: string;
  home: Client;
}

/**
 * Runs `work` and, until it settles, samples the probe in two loops side by side (a slow answer
 * to one does not thin out the other's samples): the terminal's echo, and a labs:list round trip,
 * the echo followed by 20 ms of rest, the list by 50 ms (the server answers at most 20 requests a
 * second per connection). A failure of either is thrown once `work` has settled.
 */
async function sampleWhile<T>(probe: Probe, what: string, work: () => Promise<T>): Promise<{ value: T; echoes: number[]; lists: number[] }> {
  const echoes: number[] = [];
  const lists: number[] = [];
  let done = false;
  const running = work().finally(() => {
    done = true;
  });
  running.catch(() => undefined); // awaited once the loops end; meanwhile its failure is not unhandled
  const echoLoop = async () => {
    const send = (d: string) => probe.client.socket.emit("term:input", { id: probe.term, data: d });
    for (let i = 0; !done; i++) {
      echoes.push(await echoOnce(send, termOutput(probe.client, probe.term), i, what));
      await sleep(20);
    }
  };
  const listLoop = async () => {
    while (!done) {
      const t = performance.now();
      await probe.home.ok("labs:list", {});
      lists.push(performance.now() - t);
      await sleep(50);
    }
  };
  const loops = await Promise.allSettled([echoLoop(), listLoop()]);
  const value = await running;
  for (const l of loops) if (l.status === "rejected") throw l.reason;
  return { value, echoes, lists };
}

/** "met (p99 12.3 ms, max 45.6 ms, 321 samples)": a row's target, in words */
function verdict(m: Measured): string {
  return `${m.met === "yes" ? "met" : "missed"} (p99 ${m.p99.toFixed(1)} ms, max ${m.max.toFixed(1)} ms, ${m.samples.length} samples)`;
}

/**
 * 4. A star of bigHosts hosts on one OVS switch comes up and goes down through the server as the
 * canvas makes it (the home page's upload: lab:create with the file's text, then lab:open as the
 * lab page does; the home page's lab:delete), while another browser, with the small lab open,
 * types in a terminal of it, and a third's home page asks for the lab list.
 */
async function bigLabPhase(connect: () => Promise<Client>): Promise<void> {
  const other = await connect();
  await other.ok("lab:open", { lab });
  const probe: Probe = { client: other, term: (await openTerminal(other, "h1")).id, home: await connect() };
  const canvas = await connect();
  const quiet = await sampleWhile(probe, "small lab's terminal, quiet", () => sleep(3000));
  measured({ what: "small lab's echo, quiet (3 s before the big lab)", samples: quiet.echoes });
  measured({ what: "labs:list round trip, quiet", samples: quiet.lists });

  const doc = topoLab({ kind: "single", args: [bigHosts] }, big);
  let createMs = NaN;
  const up = await sampleWhile(probe, `small lab's terminal while ${bigHosts} hosts come up`, async () => {
    const t = performance.now();
    const view = await canvas.ok("lab:create", { source: { type: "file", text: JSON.stringify(doc) } }, 600_000);
    createMs = performance.now() - t;
    await canvas.ok("lab:open", { lab: big }, 600_000);
    return view;
  });
  const status = up.value.status;
  const notUp = status?.nodes.filter((n) => n.state !== "up") ?? [];
  if (status?.state !== "up" || status.nodes.length !== doc.nodes.length || notUp.length)
    throw new Error(
      `lab:create answered, but ${big} is not up: state ${status?.state ?? "unread"}, ${status?.nodes.length ?? 0} of ${doc.nodes.length} nodes; ` +
        notUp
          .slice(0, 3)
          .map((n) => `${n.name}: ${n.problems.join("; ")}`)
          .join(", "),
    );
  const last = doc.nodes.find((n) => n.name === `h${bigHosts}`)!.interfaces!["eth0"]!.addresses[0]!.split("/")[0]!;
  await pingUntil("h1", last, big);
  const upEchoes = measured({ what: `small lab's echo while a ${bigHosts}-host star comes up`, samples: up.echoes, target: { p99: 150 } });
  measured({ what: "labs:list round trip meanwhile", samples: up.lists });
  measured({ what: `lab:create of ${bigHosts} hosts -> answered (up)`, samples: [createMs] });

  let deleteMs = NaN;
  const down = await sampleWhile(probe, `small lab's terminal while ${bigHosts} hosts go down`, async () => {
    const t = performance.now();
    await canvas.ok("lab:delete", { lab: big }, 600_000);
    deleteMs = performance.now() - t;
  });
  if ((await canvas.ok("labs:list", {})).some((l) => l.name === big)) throw new Error(`lab:delete answered, but labs:list still names ${big}`);
  const left = await leftoversAfterSettling(big);
  if (left.length) throw new Error(`lab:delete answered, but left ${big}'s ${left.join(", ")} behind`);
  const downEchoes = measured({ what: `small lab's echo while the ${bigHosts}-host star goes down`, samples: down.echoes, target: { p99: 150 } });
  measured({ what: "labs:list round trip meanwhile", samples: down.lists });
  measured({ what: `lab:delete of ${bigHosts} hosts -> answered (gone)`, samples: [deleteMs] });
  await other.ok("term:close", { id: probe.term });
  notes.push(
    `big lab: a star of ${bigHosts} hosts on one OVS switch (${doc.nodes.length} nodes, ${doc.links.length} links) from lab:create to its answer in ` +
      `${(createMs / 1000).toFixed(2)} s (then lab:open, h1 pinged h${bigHosts}), lab:delete to its answer in ${(deleteMs / 1000).toFixed(2)} s; ` +
      `nothing of it left in the kernel (checked). Another browser's terminal on the small lab (target as for the flood, p99 < 150 ms): ` +
      `while it came up ${verdict(upEchoes)}; while it went down ${verdict(downEchoes)}.`,
  );
}

async function main(): Promise<void> {
  await ensureOvsRunning();
  const home = await tempStateDir();
  const bench = await benchServer(process.cwd(), lab, "topolab-bench-server-", { emptyTemplates: true, env: { HOME: home.dir } }).catch(async (e: unknown) => {
    await home.remove();
    throw e;
  });
  const { url, child } = bench.server;
  const { token, stateDir } = bench;
  const engine = new Engine({ stateDir });
  const clients: Client[] = [];
  const connect = async () => {
    const c = await connectClient(url, { token, origin: url });
    clients.push(c);
    return c;
  };
  try {
    const c = await connect();
    await c.ok("lab:create", { name: lab, source: { type: "file", text: JSON.stringify(baseLab(lab)) } });

    if (!bigOnly) {
      // 1. terminal open to first prompt byte
      const opens: number[] = [];
      for (let i = 0; i < 60; i++) {
        const { id, ms } = await openTerminal(c, "h1");
        if (i >= 10) opens.push(ms); // the first ones warm caches
        await c.ok("term:close", { id });
      }
      measured({ what: "terminal open -> first prompt byte", samples: opens, target: { p50: 50 } });
      const spec = await shellSpec(stateDir, lab, "h1", nsName(lab, "h1"));
      const emptyHome = { ...spec, cwd: home.dir };
      const localOpens: number[] = [];
      const machineOpens: number[] = [];
      for (let i = 0; i < 30; i++) {
        localOpens.push(await localOpen(emptyHome));
        machineOpens.push(await localOpen(spec));
      }
      measured({ what: "local pty spawn -> prompt (floor)", samples: localOpens.slice(5) });
      measured({ what: `local pty spawn -> prompt, with ${spec.cwd}/.bashrc`, samples: machineOpens.slice(5) });

      // 2. keystroke echo: through socket.io, and a local pty, interleaved in the same run
      const { id } = await openTerminal(c, "h1");
      const local = localPty(emptyHome);
      const localOut = { text: "" };
      local.onData((d) => (localOut.text += d));
      while (!localOut.text.includes("@h1")) await sleep(5);
      const viaServer: number[] = [];
      const viaLocal: number[] = [];
      for (let i = 0; i < 1000; i++) {
        viaServer.push(await echoOnce((d) => c.socket.emit("term:input", { id, data: d }), termOutput(c, id), i, "socket.io"));
        viaLocal.push(await echoOnce((d) => local.write(d), localOut, i, "local pty"));
      }
      local.kill("SIGKILL");
      measured({ what: "keystroke echo through socket.io", samples: viaServer.slice(100), target: { p50: 5, p99: 20 } });
      measured({ what: "keystroke echo, local pty (floor)", samples: viaLocal.slice(100) });

      // 3. edit to applied: a host and its link, until it answers a ping
      const applied: number[] = [];
      const acked: number[] = [];
      for (let i = 0; i < 40; i++) {
        const n = 10 + i;
        const t = performance.now();
        const { node, link } = hostChange(n);
        await c.ok("lab:edit", {
          lab,
          changes: [
            { type: "addNode", node },
            { type: "addLink", link },
          ],
        });
        acked.push(performance.now() - t);
        await pingUntil("h1", `10.77.0.${n}`);
        applied.push(performance.now() - t);
        c.clear("lab:status");
        await c.ok("lab:edit", { lab, changes: [{ type: "removeNode", name: `x${n}` }] });
        // one edit at a time, on a quiet server: the status read after the removal is done too
        await c.next("lab:status", (p) => p.lab === lab && !p.status.nodes.some((x) => x.name === `x${n}`));
      }
      measured({ what: "edit -> acknowledged (host + link applied)", samples: acked.slice(5) });
      measured({ what: "edit -> new host answers a ping", samples: applied.slice(5), target: { p50: 50 } });
      // the same change by the engine alone, in this process, on a lab of its own, its programs
      // started by a launcher as the server's are
      const floorLab = `${lab}f`;
      const base = parseLab(baseLab(floorLab));
      const releaseLauncher = await useLauncher();
      await engine.up(base);
      const engineUp: number[] = [];
      const enginePing: number[] = [];
      try {
        for (let i = 0; i < 25; i++) {
          const { node, link } = hostChange(10 + i);
          const bigger = parseLab({ ...baseLab(floorLab), nodes: [...baseLab(floorLab).nodes, node], links: [...baseLab(floorLab).links, link] });
          const t = performance.now();
          await engine.up(bigger);
          engineUp.push(performance.now() - t);
          await pingUntil("h1", `10.77.0.${10 + i}`, floorLab);
          enginePing.push(performance.now() - t);
          await engine.up(base);
        }
      } finally {
        await engine.down(floorLab);
        await releaseLauncher();
      }
      measured({ what: "engine.up alone (floor of the above)", samples: engineUp.slice(5) });
      measured({ what: "engine.up alone -> ping (floor)", samples: enginePing.slice(5) });
    }

    if (bigHosts > 0) await bigLabPhase(connect);

    if (!skipFlood) {
      // 5. 20 terminals flood for floodSeconds; the server's RSS, and a 21st terminal's echo
      const flooder = await connect();
      // the flooding browser acknowledges what it drew as the web app does (apps/web terminals
      // manager): every 16 KiB or 40 ms per terminal; without acks the server pauses each
      // terminal after 256 Ki characters, before the window opens, and nothing floods
      flooder.autoAck = false;
      const unacked = new Map<string, number>();
      let ackTimer: NodeJS.Timeout | null = null;
      const flushAcks = () => {
        if (ackTimer) clearTimeout(ackTimer);
        ackTimer = null;
        for (const [id, chars] of unacked) if (chars > 0) flooder.socket.emit("term:ack", { id, chars: Math.min(chars, LIMITS.maxMessageBytes) });
        unacked.clear();
      };
      let received = 0;
      let counting = false;
      flooder.socket.on("term:output", ({ id, data }: { id: string; data: string }) => {
        if (counting) received += data.length;
        const n = (unacked.get(id) ?? 0) + data.length;
        unacked.set(id, n);
        if (n >= 16 * 1024) flushAcks();
        else if (!ackTimer) ackTimer = setTimeout(flushAcks, 40);
      });
      const floods: string[] = [];
      for (let i = 0; i < 20; i++) floods.push((await openTerminal(flooder, "h1")).id);
      const quiet = await connect();
      const q = await openTerminal(quiet, "h1");
      const rssBefore = await rssMiB(child.pid!);
      const keepScreensSmall = setInterval(() => flooder.screens.clear(), 200);
      for (const f of floods) flooder.socket.emit("term:input", { id: f, data: "yes topolab-benchmark-flood-line\r" });
      await sleep(1000);
      const rss: number[] = [];
      const echoes: number[] = [];
      counting = true;
      const windowStart = performance.now();
      const end = performance.now() + floodSeconds * 1000;
      const sampler = setInterval(() => void rssMiB(child.pid!).then((m) => rss.push(m)), 250);
      for (let i = 0; performance.now() < end; i++) {
        echoes.push(await echoOnce((d) => quiet.socket.emit("term:input", { id: q.id, data: d }), termOutput(quiet, q.id), i, "21st terminal"));
        await sleep(20);
      }
      counting = false;
      const windowSeconds = (performance.now() - windowStart) / 1000;
      clearInterval(sampler);
      clearInterval(keepScreensSmall);
      for (const f of floods) flooder.socket.emit("term:input", { id: f, data: "\x03" });
      measured({ what: `21st terminal's echo while 20 flood (${floodSeconds} s)`, samples: echoes, target: { p99: 150 } });
      measured({ what: "server RSS during the flood (MiB; p50 and max)", samples: rss });
      notes.push(
        `server RSS ${rssBefore.toFixed(0)} MiB before the flood, ${pct(rss, 50).toFixed(0)} MiB median and ${Math.max(...rss).toFixed(0)} MiB at most during it; ` +
          `the flooding browser received and acknowledged ${(received / 1e6 / windowSeconds).toFixed(2)} M characters/s from the 20 terminals ` +
          `(${(received / 1e6).toFixed(1)} M in ${windowSeconds.toFixed(1)} s)`,
      );
    }
  } finally {
    for (const c of clients) c.close();
    await engine.down(big).catch(() => undefined); // gone already unless the big lab's phase failed
    // the small lab down (topolab down), the server stopped, its state directory removed
    const left = [
      ...(await bench.close({ downTimeoutMs: 120_000, settleMs: 5000 })),
      ...(await leftoversAfterSettling(`${lab}f`)),
      ...(await leftoversAfterSettling(big)),
    ];
    if (left.length) notes.push(`LEFT BEHIND: ${left.join(", ")}`);
    await home.remove();
  }
  print();
}

function print(): void {
  const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
  const header =
    `topolab server benchmark, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpus()[0]?.model.trim() ?? "?"}), Node ${process.version}; ` +
    `load average ${load(loadAtStart)} at the start, ${load(loadavg())} at the end`;
  const lines = rows.map((r) => {
    const goals: string[] = [];
    if (r.target?.p50 !== undefined) goals.push(`p50 < ${r.target.p50} ms`);
    if (r.target?.p99 !== undefined) goals.push(`p99 < ${r.target.p99} ms`);
    return [r.what, String(r.samples.length), fmt(r.p50), fmt(r.p99), fmt(r.max), goals.join(", ") || "-", r.met];
  });
  const head = ["measure", "runs", "p50 ms", "p99 ms", "max ms", "target", "met"];
  if (markdown) {
    console.log(`${header}\n\n| ${head.join(" | ")} |\n|${head.map(() => "---").join("|")}|`);
    for (const l of lines) console.log(`| ${l.join(" | ")} |`);
  } else {
    console.log(header);
    const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
    for (const l of [head, ...lines]) console.log(l.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  "));
  }
  for (const n of notes) console.log(`\n${n}`);
}

await main();
