// Benchmark (not a test): how long the server's event loop stops while it reads the biggest
// labs it takes (issue 10: "validation of big documents never blocks the server's event loop
// for more than 100 ms"). A real server in this process (port 0, its own state directory),
// REST PUTs of documents at the limits, and a 1 ms timer in the same process whose longest gap
// during each request is the stall. Each document is sent with the checker's worker thread
// (the default) and with every check in place (checkWorker: false), to show what the worker
// saves. The documents are invalid on purpose (one link to a missing node at the end): they
// are read and validated in full, and nothing reaches the kernel. The requests are sent by a
// client in another Node process, started once (told what to send over a pipe), so that what
// the loop does is the server's.
//
//   pnpm bench:eventloop [--runs 3]

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { LIMITS } from "../packages/protocol/src/events";
import { DEFAULT_LAB_LIMITS, labToYaml, parseLab, validateLab } from "@topolab/topology";
import { tempStateDir } from "@topolab/engine/testing";
import { startServer } from "../apps/server/src/server/app";

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf("--runs") + 1] ?? 3) || 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A chain of switches with a host on each: n switches, n hosts, 2n-1 links. */
function linear(n: number, name: string) {
  const nodes: Record<string, unknown>[] = [];
  const links: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    nodes.push({ name: `s${i}`, kind: "switch", position: { x: i * 40, y: 0 } });
    nodes.push({ name: `h${i}`, kind: "host", interfaces: { eth0: { addresses: [`10.${1 + (i >> 8)}.${i & 255}.1/16`] } }, position: { x: i * 40, y: 80 } });
    links.push({ endpoints: [`h${i}:eth0`, `s${i}:eth1`] });
    if (i) links.push({ endpoints: [`s${i - 1}:eth2`, `s${i}:eth3`] });
  }
  return { name, nodes, links };
}

/**
 * Measures the longest gap of a 1 ms timer while `work` runs (the stall as a client feels it,
 * which on a busy machine includes waiting for a core), and the main thread's own busy time
 * (event-loop utilisation: the work that blocks the loop, whatever the machine's load). The
 * timer's own callbacks count in the busy time too (about 1,000 a second).
 */
async function stall<T>(work: () => Promise<T>): Promise<{ ms: number; stallMs: number; busyMs: number; result: T }> {
  const elu = performance.eventLoopUtilization();
  let last = performance.now();
  let max = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last);
    last = now;
  }, 1);
  const t0 = performance.now();
  const result = await work();
  const ms = performance.now() - t0;
  clearInterval(timer);
  max = Math.max(max, performance.now() - last);
  return { ms, stallMs: max, busyMs: performance.eventLoopUtilization(elu).active, result };
}

const n = DEFAULT_LAB_LIMITS.maxNodes / 2;
const big = linear(n, "vzbench");
const bigYaml = labToYaml(parseLab(big)) + "  - endpoints: [h0:eth9, nowhere]\n";
const bigJson = { ...big, links: [...big.links, { endpoints: ["h0:eth9", "nowhere"] }] };
const deep = "[".repeat(LIMITS.maxLabText / 2 - 8) + "]".repeat(LIMITS.maxLabText / 2 - 8);
const huge = { name: "vzbench", nodes: Array.from({ length: 30_000 }, (_, i) => ({ name: `h${i}`, kind: "host" })), links: [] };
const bomb = ["name: vzbench", "nodes: []", 'a: &a ["x","x","x","x","x","x","x","x","x"]']
  .concat(["b", "c", "d", "e", "f", "g", "h"].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${"abcdefg"[i]}`).join(",")}]`))
  .join("\n");

const cases: { what: string; body: string | object | null; type: string }[] = [
  { what: "nothing (the machine's own noise: 1 s idle)", body: null, type: "" },
  { what: "GET /api/labs (a small request)", body: "GET", type: "" },
  {
    what: `YAML, ${bigJson.nodes.length} nodes and ${bigJson.links.length} links (${Math.round(bigYaml.length / 1024)} KiB)`,
    body: bigYaml,
    type: "application/yaml",
  },
  { what: `JSON document, the same lab (${Math.round(JSON.stringify(bigJson).length / 1024)} KiB)`, body: bigJson, type: "application/json" },
  { what: `YAML nested ${(deep.length / 2).toLocaleString("en-US")} deep (${Math.round(deep.length / 1024)} KiB)`, body: deep, type: "application/yaml" },
  { what: "YAML alias bomb", body: bomb, type: "application/yaml" },
  { what: `JSON, 30,000 nodes (${(JSON.stringify(huge).length / 1e6).toFixed(2)} MB)`, body: huge, type: "application/json" },
];

// the client: one Node process, one request per line on stdin, the answer's status and size on stdout
const CLIENT = `
const rl = require("node:readline").createInterface({ input: process.stdin });
rl.on("line", async (line) => {
  const r = JSON.parse(line);
  const body = r.file ? require("node:fs").readFileSync(r.file) : undefined;
  const res = await fetch(r.url, { method: r.method, headers: r.headers, body });
  const text = await res.text();
  process.stdout.write(res.status + " " + Buffer.byteLength(text) + "\\n");
});`;
const client = spawn(process.execPath, ["-e", CLIENT], { stdio: ["pipe", "pipe", "inherit"] });
const answers = createInterface({ input: client.stdout });
const waiting: ((line: string) => void)[] = [];
answers.on("line", (line) => waiting.shift()?.(line));
const send = (r: { url: string; method: string; headers: Record<string, string>; file?: string }) =>
  new Promise<string>((resolve) => {
    waiting.push(resolve);
    client.stdin.write(JSON.stringify(r) + "\n");
  });

const rows: string[] = [];
const loadBefore = loadavg()[0]!;

// validation alone, in this process, as the lab grows: it should grow with the size, not its square
const sizes: string[] = [];
for (const k of [250, 500, 1000, 1250]) {
  const doc = linear(k, "vzbench");
  const star = {
    name: "vzbench",
    nodes: [{ name: "s1", kind: "switch" }, ...Array.from({ length: 2 * k - 1 }, (_, i) => ({ name: `h${i}`, kind: "host" }))],
    links: Array.from({ length: 2 * k - 1 }, (_, i) => ({ endpoints: [`h${i}`, "s1"] })),
  };
  const addresses = Array.from({ length: 2 * k }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1/24`);
  const routes = Array.from({ length: 2 * k }, (_, i) => ({ to: `172.${(i >> 8) & 255}.${i & 255}.0/24`, via: "192.168.0.1" }));
  const dense = {
    name: "vzbench",
    nodes: [
      { name: "h1", kind: "host", interfaces: { eth0: { addresses } }, routes },
      { name: "h2", kind: "host" },
    ],
    links: [{ endpoints: ["h1:eth0", "h2:eth0"] }],
  };
  const best = (d: unknown) => {
    let min = Infinity;
    for (let r = 0; r < runs; r++) {
      const t = performance.now();
      validateLab(d);
      min = Math.min(min, performance.now() - t);
    }
    return Math.round(min);
  };
  sizes.push(`| ${2 * k} | ${best(doc)} | ${best(star)} | ${best(dense)} |`);
}
for (const worker of [true, false]) {
  const state = await tempStateDir();
  const token = `bench-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    token,
    stateDir: join(state.dir, "state"),
    templatesDir: join(state.dir, "templates"),
    webDir: join(state.dir, "web"),
    reconcile: false,
    checkWorker: worker,
    log: () => undefined,
  });
  await sleep(3000); // the worker's bundle is made at start
  for (const c of cases) {
    const stalls: number[] = [];
    const busy: number[] = [];
    const times: number[] = [];
    let answer = "";
    const bodyFile = join(state.dir, "body");
    if (c.body !== null && c.body !== "GET") await writeFile(bodyFile, typeof c.body === "string" ? c.body : JSON.stringify(c.body));
    for (let r = 0; r < runs; r++) {
      await sleep(200);
      const m = await stall(async () => {
        if (c.body === null) {
          await sleep(1000);
          return "-";
        }
        const out =
          c.body === "GET"
            ? await send({ url: `${server.url}/api/labs`, method: "GET", headers: { authorization: `Bearer ${token}` } })
            : await send({
                url: `${server.url}/api/labs/vzbench`,
                method: "PUT",
                headers: { authorization: `Bearer ${token}`, "content-type": c.type },
                file: bodyFile,
              });
        const [status, size] = out.split(" ");
        return `${status}, ${Number(size).toLocaleString("en-US")} bytes`;
      });
      stalls.push(m.stallMs);
      busy.push(m.busyMs);
      times.push(m.ms);
      answer = m.result;
    }
    const row = `| ${c.what} | ${worker ? "worker" : "in place"} | ${answer} | ${Math.round(Math.min(...times))}–${Math.round(Math.max(...times))} | **${Math.round(Math.max(...stalls))}** | ${Math.round(Math.max(...busy))} |`;
    rows.push(row);
    console.log(row);
  }
  await server.close();
  await state.remove();
}

console.log(
  `\n${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, ${runs} runs each, load average ${loadBefore.toFixed(1)} before and ${loadavg()[0]!.toFixed(1)} after\n`,
);
console.log("| document (PUT /api/labs/LAB) | checked | answer | answer time ms | longest event-loop stall ms | main thread busy ms (most) |");
console.log("|---|---|---|---:|---:|---:|");
for (const r of rows) console.log(r);
console.log("\nvalidateLab alone, best of the runs, ms:\n");
console.log("| N | linear (N nodes, N-1 links, addresses) | star (one switch, N-1 unnamed links) | one host: N addresses, N routes (all refused) |");
console.log("|---:|---:|---:|---:|");
for (const r of sizes) console.log(r);
client.stdin.end();
