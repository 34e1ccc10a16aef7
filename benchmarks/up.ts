// Benchmark (not a test): bring-up and teardown time of topolab against the raw floor.
//
// For star (one switch, N hosts) and linear (N switches, a host each) labs, on OVS and on Linux
// bridges, it measures `topolab up FILE` and `topolab down LAB` as a person runs them (the CLI,
// a fresh Node process each time), and, in the same run, the raw floor: the same namespaces,
// veths, addresses, bridges, ports and hosts files made by a plain bash script that uses one
// `ip -batch` for the root namespace, one per namespace, and one `ovs-vsctl` transaction.
// It prints the medians and the ratio topolab/raw. On OVS it also times `topolab pingall` (N at
// most --pingall-max) and, in the same run, Mininet 2.3 (Debian's `mininet` package, installed
// here by the benchmark, not by the product) through its Python API with OVS in the same
// userspace datapath (benchmarks/mininet_run.py): up, pingall, down, and the ratios
// Mininet/topolab. Mininet's objects carry the prefix bgm and are checked gone (and removed by
// name if not) after each run: never `mn -c`, which deletes every OVS bridge on the machine.
// Labs: prefix bg.
//
//   pnpm bench:up [--sizes 10,50,100,200,1000] [--runs 3] [--markdown] [--types ovs,bridge]
//                 [--topologies star,linear] [--mininet-max 200] [--pingall-max 200] [--no-mininet]
//                 [--mininet-prefix bgm] [--no-raw] [--no-engine] [--keep-node-env]
//
// Mininet's up is timed through its API in its process (build + start, as the issue compares),
// and also from the start of its Python process (Python starting and importing Mininet), the
// fair match for `topolab up` through its CLI. NODE_EXTRA_CA_CERTS is taken out of the
// environment of the CLI runs (unless --keep-node-env): this machine's sessions set it, and it
// makes every Node.js start read and parse the whole CA bundle (100 to 230 ms here), which a
// person's shell does not do and topolab never uses (it makes no TLS connection).

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { labTagCandidates, labToYaml, nsName, parseLab, rootIfName, topoLab, type Lab, patchLinks } from "@topolab/topology";
import { Engine, cpuTicks, ensureNeighbourRoom, ensureOvsRunning, ovsVswitchdPid, run, must, readSnapshot, useLauncher } from "@topolab/engine";
import { leftoversAfterSettling } from "@topolab/engine/testing";
import { args, opt } from "./common";

const sizes = opt("sizes", "10,50,100,200,1000").split(",").map(Number);
const types = opt("types", "ovs,bridge").split(",") as ("ovs" | "bridge")[];
const topologies = opt("topologies", "star,linear").split(",") as ("star" | "linear")[];
const mininetMax = args.includes("--no-mininet") ? 0 : Number(opt("mininet-max", "200"));
const pingallMax = Number(opt("pingall-max", "200"));
const mininetPrefix = opt("mininet-prefix", "bgm");
const PYTHON = "/usr/bin/python3"; // Debian's, where the mininet package installs
const runs = Number(opt("runs", "3"));
const withRaw = !args.includes("--no-raw");
const withEngine = !args.includes("--no-engine");
const keepNodeEnv = args.includes("--keep-node-env");
const markdown = args.includes("--markdown");
const root = join(import.meta.dirname ?? process.cwd(), "..");
const bin = join(process.cwd(), "apps/server/bin/topolab.js");

/** The median; NaN for no runs (a part left out with --no-raw or --no-engine, printed as –). */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}

async function timed(argv: string[], env: NodeJS.ProcessEnv = process.env, input?: string): Promise<number> {
  await settle();
  const t = performance.now();
  const r = await run(argv, { env, timeoutMs: 300_000, ...(input !== undefined ? { input } : {}) });
  const ms = performance.now() - t;
  if (r.code !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr || r.stdout}`);
  return ms;
}

/**
 * Lets ovs-vswitchd finish what the previous step left it: port removals run on after
 * ovs-vsctl returns (an RCU grace period per port, seconds for a hundred ports), and a run
 * started meanwhile would share the CPU with them. Waits until ovs-vswitchd has used less
 * at most one clock tick (10 ms) in 300 ms (at most 30 s), for topolab's and Mininet's runs alike.
 */
async function settle(): Promise<void> {
  const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
  const pid = ovsVswitchdPid();
  if (pid === null) return pause(300);
  const deadline = Date.now() + 30_000;
  let before = cpuTicks(pid);
  for (;;) {
    await pause(300);
    const now = cpuTicks(pid);
    if (now === null || before === null || now - before <= 1 || Date.now() > deadline) return;
    before = now;
  }
}

function labFor(topology: "star" | "linear", type: "ovs" | "bridge", n: number, name: string): Lab {
  const doc = topoLab({ kind: topology === "star" ? "single" : "linear", args: [n] }, name);
  for (const node of doc.nodes) if (node.kind === "switch") (node as unknown as Record<string, unknown>)["type"] = type;
  return parseLab(doc);
}

/** The plain script a person would write for the same objects, and its teardown. */
function rawScripts(lab: Lab, tag: string): { up: string; down: string } {
  const hosts = lab.nodes.filter((n) => n.kind !== "switch");
  const switches = lab.nodes.filter((n) => n.kind === "switch");
  const type = switches[0]!.type;
  const ns = (node: string) => nsName(lab.name, node);
  const port = (sw: string, ifname: string) => rootIfName(tag, sw, ifname);
  const br = (sw: string) => rootIfName(tag, sw);
  const root: string[] = hosts.map((h) => `netns add ${ns(h.name)}`);
  const ovs: string[] = [];
  const masters: string[] = [];
  for (const s of switches) {
    if (type === "ovs") ovs.push("--", "add-br", br(s.name), "--", "set", "Bridge", br(s.name), "datapath_type=netdev");
    else root.push(`link add name ${br(s.name)} type bridge`, `link set dev ${br(s.name)} up`);
  }
  // the same switch links as topolab's own: patch ports only where patchLinks allows them (no
  // path through more than 32 in a row; a plain chain of 99 went over Open vSwitch's depth of 64)
  const patches = patchLinks(lab);
  /** one end of each veth pair between two switches: deleting it takes the pair away */
  const switchVeths: string[] = [];
  for (const [i, l] of lab.links.entries()) {
    const [a, b] = l.endpoints;
    const aHost = hosts.some((h) => h.name === a.node);
    if (aHost) {
      const p = port(b.node, b.interface);
      root.push(`link add name ${a.interface} netns ${ns(a.node)} type veth peer name ${p}`, `link set dev ${p} up`);
      if (type === "ovs") ovs.push("--", "add-port", br(b.node), p);
      else masters.push(`link set dev ${p} master ${br(b.node)}`);
    } else if (type === "ovs" && patches.has(i)) {
      const pa = port(a.node, a.interface);
      const pb = port(b.node, b.interface);
      ovs.push("--", "add-port", br(a.node), pa, "--", "set", "Interface", pa, "type=patch", `options:peer=${pb}`);
      ovs.push("--", "add-port", br(b.node), pb, "--", "set", "Interface", pb, "type=patch", `options:peer=${pa}`);
    } else if (type === "ovs") {
      const pa = port(a.node, a.interface);
      const pb = port(b.node, b.interface);
      root.push(`link add name ${pa} type veth peer name ${pb}`, `link set dev ${pa} up`, `link set dev ${pb} up`);
      switchVeths.push(pa);
      ovs.push("--", "add-port", br(a.node), pa, "--", "add-port", br(b.node), pb);
    } else {
      const pa = port(a.node, a.interface);
      const pb = port(b.node, b.interface);
      root.push(`link add name ${pa} type veth peer name ${pb}`, `link set dev ${pa} up`, `link set dev ${pb} up`);
      switchVeths.push(pa);
      masters.push(`link set dev ${pa} master ${br(a.node)}`, `link set dev ${pb} master ${br(b.node)}`);
    }
  }
  const hostsFile = [
    "127.0.0.1\tlocalhost",
    ...hosts.map((h) => `${(h as { interfaces: Record<string, { addresses: string[] }> }).interfaces["eth0"]!.addresses[0]!.split("/")[0]}\t${h.name}`),
  ].join("\n");
  const up = [
    "set -e",
    `ip -batch - <<'EOF'\n${[...root, ...masters].join("\n")}\nEOF`,
    ...(ovs.length ? [`ovs-vsctl ${ovs.join(" ")}`] : []),
    ...hosts.map((h) => {
      const addr = (h as { interfaces: Record<string, { addresses: string[] }> }).interfaces["eth0"]!.addresses[0]!;
      return `ip -n ${ns(h.name)} -batch - <<'EOF'\nlink set lo up\nlink set eth0 up\naddr add ${addr} dev eth0\nEOF\nmkdir -p /etc/netns/${ns(h.name)} && cat > /etc/netns/${ns(h.name)}/hosts <<'EOF'\n${hostsFile}\nEOF`;
    }),
  ].join("\n");
  const down = [
    `ip -batch - <<'EOF'\n${[...hosts.map((h) => `netns del ${ns(h.name)}`), ...(type === "bridge" ? switches.map((s) => `link del dev ${br(s.name)}`) : []), ...switchVeths.map((p) => `link del dev ${p}`)].join("\n")}\nEOF`,
    ...(type === "ovs" ? [`ovs-vsctl ${switches.map((s) => `-- del-br ${br(s.name)}`).join(" ")}`] : []),
    `rm -rf ${hosts.map((h) => `/etc/netns/${ns(h.name)}`).join(" ")}`,
    // the kernel removes the namespaces' veth ends in the background: done when they are gone
    `while ip -o link show | grep -q -e ' ${tag}-' -e ' ${tag}_'; do sleep 0.01; done`,
  ].join("\n");
  return { up, down };
}

interface Row {
  topology: string;
  type: string;
  n: number;
  rawUp: number;
  upMs: number;
  rawDown: number;
  downMs: number;
  /** in-process (the server's path): no Node start-up */
  engineUp: number;
  engineDown: number;
  /** `topolab pingall` through the CLI (OVS only) */
  pingall?: number;
  pingallDropped?: number;
  mininet?: { up: number; upProcess?: number; down: number; pingall?: number; pingallDropped?: number };
}

/** Debian's mininet package, installed when missing (the benchmark's need, not the product's). */
async function ensureMininet(): Promise<void> {
  if ((await run([PYTHON, "-c", "import mininet.net"])).code === 0) return;
  console.error("installing Debian's mininet package for the comparison (apt-get install mininet)");
  await must(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "mininet"], { timeoutMs: 600_000 });
}

/** Mininet's leftovers of a run, by its prefix: OVS bridges, root links, host shells. */
async function mininetLeftovers(prefix: string): Promise<{ bridges: string[]; links: string[]; pids: number[] }> {
  const br = await run(["ovs-vsctl", "--timeout=30", "list-br"]);
  const bridges = br.stdout.split("\n").filter((b) => new RegExp(`^${prefix}s\\d+$`).test(b));
  const links = (await readSnapshot({ ovs: false })).rootLinks.map((l) => l.ifname).filter((n) => new RegExp(`^${prefix}[hs]\\d+-eth\\d+$`).test(n));
  const ps = await run(["pgrep", "-f", `mininet:${prefix}[hs][0-9]`]);
  const pids = ps.stdout.split("\n").filter(Boolean).map(Number);
  return { bridges, links, pids };
}

/** Removes exactly what a Mininet run of this prefix left: its bridges, links and processes. */
async function cleanMininet(prefix: string): Promise<string[]> {
  const left = await mininetLeftovers(prefix);
  for (const pid of left.pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone already */
    }
  }
  if (left.bridges.length) await run(["ovs-vsctl", "--timeout=60", ...left.bridges.flatMap((b) => ["--", "--if-exists", "del-br", b])]);
  if (left.links.length) await run(["ip", "-force", "-batch", "-"], { input: left.links.map((l) => `link del dev ${l}`).join("\n") + "\n" });
  return [...left.bridges.map((b) => `OVS bridge ${b}`), ...left.links.map((l) => `link ${l}`), ...left.pids.map((p) => `process ${p}`)];
}

async function mininetRun(
  topology: "star" | "linear",
  n: number,
  pingall: boolean,
): Promise<{ upMs: number; upProcessMs?: number; downMs: number; pingallMs?: number; pingallDropped?: number }> {
  await settle();
  const prefix = mininetPrefix;
  const r = await run(
    [
      PYTHON,
      join(process.cwd(), "benchmarks/mininet_run.py"),
      topology,
      String(n),
      "--prefix",
      prefix,
      ...(pingall ? ["--pingall"] : []),
      "--started-ms",
      String(Date.now()),
    ],
    { timeoutMs: 1_800_000 },
  );
  const left = await cleanMininet(prefix);
  if (left.length) console.error(`Mininet left ${left.length} objects behind, removed by name: ${left.slice(0, 5).join(", ")}${left.length > 5 ? ", …" : ""}`);
  if (r.code !== 0) throw new Error(`Mininet ${topology},${n} failed: ${r.stderr.trim().split("\n").slice(-3).join(" / ")}`);
  // the last line mininet_run.py prints: its own JSON, of this shape
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as { upMs: number; downMs: number; pingallMs?: number; pingallDropped?: number };
}

async function timedPingall(argv: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; dropped: number }> {
  await settle();
  const t = performance.now();
  const r = await run(argv, { env, timeoutMs: 1_800_000 });
  const ms = performance.now() - t;
  const m = /(\d+)% dropped/.exec(r.stdout);
  if (!m) throw new Error(`${argv.join(" ")} failed: ${r.stderr || r.stdout}`);
  return { ms, dropped: Number(m[1]) };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("run as root");
  await ensureOvsRunning();
  if (mininetMax > 0) await ensureMininet();
  // the same room in the kernel's ARP table for both tools (Mininet's own fixLimits is off)
  await ensureNeighbourRoom(Math.min(pingallMax, Math.max(...sizes)) ** 2);
  const dir = await mkdtemp(join(tmpdir(), "topolab-bench-"));
  const env: NodeJS.ProcessEnv = { ...process.env, TOPOLAB_STATE_DIR: join(dir, "state") };
  if (!keepNodeEnv && env["NODE_EXTRA_CA_CERTS"]) {
    delete env["NODE_EXTRA_CA_CERTS"];
    console.error("NODE_EXTRA_CA_CERTS is set here: taken out of the topolab runs' environment (--keep-node-env keeps it)");
  }
  // build once so that no run pays for it
  await must([process.execPath, bin, "caps"], { env });
  const engine = new Engine({ stateDir: join(dir, "engine-state") });
  const rows: Row[] = [];
  try {
    for (const topology of topologies) {
      for (const type of types) {
        for (const n of sizes) {
          const name = `bg${topology[0]}${type[0]}${n}`;
          const lab = labFor(topology, type, n, name);
          const file = join(dir, `${name}.yaml`);
          await writeFile(file, labToYaml(lab));
          const rawName = `bgr${topology[0]}${type[0]}${n}`;
          const rawLab = labFor(topology, type, n, rawName);
          const rawTag = labTagCandidates(rawName)[0]!;
          const ofRaw = (l: { ifname: string }) => l.ifname.startsWith(`${rawTag}-`) || l.ifname.startsWith(`${rawTag}_`);
          // links of the raw script's prefix that an earlier, interrupted run left: not this run's to answer for
          const before = new Set((await readSnapshot({ ovs: false })).rootLinks.filter(ofRaw).map((l) => l.ifname));
          if (before.size)
            console.error(`${before.size} links named like the raw script's (${[...before].slice(0, 3).join(", ")}…) were there before this run: left alone`);
          const scripts = rawScripts(rawLab, rawTag);
          const ups: number[] = [];
          const downs: number[] = [];
          const rawUps: number[] = [];
          const rawDowns: number[] = [];
          const engineUps: number[] = [];
          const engineDowns: number[] = [];
          const pingalls: { ms: number; dropped: number }[] = [];
          const mininet: { upMs: number; upProcessMs?: number; downMs: number; pingallMs?: number; pingallDropped?: number }[] = [];
          const withPingall = type === "ovs" && n <= pingallMax;
          for (let i = 0; i < runs; i++) {
            try {
              if (withRaw) {
                rawUps.push(await timed(["bash", "-s"], process.env, scripts.up));
                rawDowns.push(await timed(["bash", "-s"], process.env, scripts.down));
              }
              ups.push(await timed([process.execPath, bin, "up", file], env));
              if (withPingall) pingalls.push(await timedPingall([process.execPath, bin, "pingall", name], env));
              downs.push(await timed([process.execPath, bin, "down", name], env));
              if (withEngine) {
                // the server's path: its programs started by a launcher (launcher.ts)
                const releaseLauncher = await useLauncher();
                try {
                  await settle();
                  let t = performance.now();
                  await engine.up(lab);
                  engineUps.push(performance.now() - t);
                  await settle();
                  t = performance.now();
                  await engine.down(name);
                  engineDowns.push(performance.now() - t);
                } finally {
                  await releaseLauncher();
                }
              }
            } catch (e) {
              await run(["bash", "-s"], { input: scripts.down, timeoutMs: 60_000 });
              await run([process.execPath, bin, "down", name], { env });
              throw e;
            }
            if (type === "ovs" && n <= mininetMax) mininet.push(await mininetRun(topology, n, withPingall));
            const left = [...(await leftoversAfterSettling(name)), ...(await leftoversAfterSettling(rawName))];
            const raw = (await readSnapshot({ ovs: true })).rootLinks.filter((l) => ofRaw(l) && !before.has(l.ifname));
            if (left.length || raw.length) throw new Error(`left behind: ${[...left, ...raw.map((l) => l.ifname)].join(", ")}`);
          }
          const row = {
            topology,
            type,
            n,
            rawUp: median(rawUps),
            upMs: median(ups),
            engineUp: median(engineUps),
            rawDown: median(rawDowns),
            downMs: median(downs),
            engineDown: median(engineDowns),
            ...(pingalls.length ? { pingall: median(pingalls.map((p) => p.ms)), pingallDropped: Math.max(...pingalls.map((p) => p.dropped)) } : {}),
            ...(mininet.length
              ? {
                  mininet: {
                    up: median(mininet.map((m) => m.upMs)),
                    ...(mininet.every((m) => m.upProcessMs !== undefined) ? { upProcess: median(mininet.map((m) => m.upProcessMs!)) } : {}),
                    down: median(mininet.map((m) => m.downMs)),
                    ...(withPingall
                      ? { pingall: median(mininet.map((m) => m.pingallMs!)), pingallDropped: Math.max(...mininet.map((m) => m.pingallDropped!)) }
                      : {}),
                  },
                }
              : {}),
          };
          rows.push(row);
          if (!markdown) {
            const f = (ms: number) => (Number.isNaN(ms) ? "    – ms" : `${ms.toFixed(0).padStart(5)} ms`);
            const x = (a: number, b: number) => `×${(a / b).toFixed(2)}`;
            console.log(
              `${topology.padEnd(6)} ${type.padEnd(6)} N=${String(n).padStart(3)}  up: raw ${f(row.rawUp)}, cli ${f(row.upMs)} ${x(row.upMs, row.rawUp)}, engine ${f(row.engineUp)} ${x(row.engineUp, row.rawUp)}` +
                `   down: raw ${f(row.rawDown)}, cli ${f(row.downMs)} ${x(row.downMs, row.rawDown)}, engine ${f(row.engineDown)} ${x(row.engineDown, row.rawDown)}` +
                (row.pingall !== undefined ? `   pingall: cli ${f(row.pingall)} (${row.pingallDropped}% dropped)` : ""),
            );
            if (row.mininet) {
              const m = row.mininet;
              console.log(
                `${"".padEnd(14)} Mininet: up ${f(m.up)} (Mininet/topolab ×${(m.up / row.upMs).toFixed(2)})` +
                  (m.upProcess !== undefined ? `, up from its process's start ${f(m.upProcess)} (×${(m.upProcess / row.upMs).toFixed(2)})` : "") +
                  `, down ${f(m.down)} (×${(m.down / row.downMs).toFixed(2)})` +
                  (m.pingall !== undefined && row.pingall !== undefined
                    ? `, pingall ${f(m.pingall)} (${m.pingallDropped}% dropped; ×${(m.pingall / row.pingall).toFixed(2)})`
                    : ""),
              );
            }
          }
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (markdown) {
    console.log(
      "| topology | switches | N | raw up | `topolab up` (CLI) | ratio | engine up | ratio | raw down | `topolab down` (CLI) | ratio | engine down | ratio |",
    );
    console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    const compared = rows.filter((r) => r.mininet || r.pingall !== undefined);
    const ms = (v: number) => (Number.isNaN(v) ? "–" : `${v.toFixed(0)} ms`);
    // a ratio to a column not measured (--no-raw, --no-engine) is a dash, not NaN
    const x = (a: number, b: number) => (Number.isFinite(a / b) ? (a / b).toFixed(2) : "–");
    for (const r of rows) {
      console.log(
        `| ${r.topology} | ${r.type} | ${r.n} | ${ms(r.rawUp)} | ${ms(r.upMs)} | ${x(r.upMs, r.rawUp)} | ${ms(r.engineUp)} | ${x(r.engineUp, r.rawUp)} | ${ms(r.rawDown)} | ${ms(r.downMs)} | ${x(r.downMs, r.rawDown)} | ${ms(r.engineDown)} | ${x(r.engineDown, r.rawDown)} |`,
      );
    }
    if (compared.length) {
      console.log("");
      console.log(
        "| topology (OVS userspace) | N | `topolab up` | Mininet up (API) | Mininet/topolab | Mininet up (from its process's start) | Mininet/topolab | `topolab down` | Mininet down | Mininet/topolab | `topolab pingall` | Mininet pingAll | Mininet/topolab |",
      );
      console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
      const o = (v: number | undefined) => (v === undefined ? "–" : ms(v));
      const y = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? "–" : `${x(a, b)}×`);
      for (const r of compared) {
        const m = r.mininet;
        const pa = r.pingall !== undefined ? `${ms(r.pingall)}${r.pingallDropped ? ` (${r.pingallDropped}% dropped)` : ""}` : "–";
        const pm = m?.pingall !== undefined ? `${ms(m.pingall)}${m.pingallDropped ? ` (${m.pingallDropped}% dropped)` : ""}` : "–";
        console.log(
          `| ${r.topology} | ${r.n} | ${ms(r.upMs)} | ${o(m?.up)} | ${y(m?.up, r.upMs)} | ${o(m?.upProcess)} | ${y(m?.upProcess, r.upMs)} | ${ms(r.downMs)} | ${o(m?.down)} | ${y(m?.down, r.downMs)} | ${pa} | ${pm} | ${y(m?.pingall, r.pingall)} |`,
        );
      }
    }
  }
}

void root;
await main();
