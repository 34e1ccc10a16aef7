// Benchmark (not a test): bring-up and teardown time of topolab against the raw floor.
//
// For star (one switch, N hosts) and linear (N switches, a host each) labs, on OVS and on Linux
// bridges, it measures `topolab up FILE` and `topolab down LAB` as a person runs them (the CLI,
// a fresh Node process each time), and, in the same run, the raw floor: the same namespaces,
// veths, addresses, bridges, ports and hosts files made by a plain bash script that uses one
// `ip -batch` for the root namespace, one per namespace, and one `ovs-vsctl` transaction.
// It prints the medians and the ratio topolab/raw. Traffic: none.
//
//   pnpm bench:up [--sizes 10,50,100,200] [--runs 3] [--markdown]

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { labTagCandidates, labToYaml, nsName, parseLab, rootIfName, topoLab, type Lab } from "@topolab/topology";
import { Engine, ensureOvsRunning, run, must, readSnapshot } from "@topolab/engine";
import { leftoversAfterSettling } from "@topolab/engine/testing";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const sizes = opt("sizes", "10,50,100,200").split(",").map(Number);
const runs = Number(opt("runs", "3"));
const markdown = args.includes("--markdown");
const root = join(import.meta.dirname ?? process.cwd(), "..");
const bin = join(process.cwd(), "apps/server/bin/topolab.js");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timed(argv: string[], env: NodeJS.ProcessEnv = process.env, input?: string): Promise<number> {
  await settle();
  const t = performance.now();
  const r = await run(argv, { env, timeoutMs: 300_000, ...(input !== undefined ? { input } : {}) });
  const ms = performance.now() - t;
  if (r.code !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr || r.stdout}`);
  return ms;
}

/** Lets ovs-vswitchd finish what the previous step left it (port removals run on after ovs-vsctl returns). */
async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 300));
}

function labFor(topology: "star" | "linear", type: "ovs" | "bridge", n: number, name: string): Lab {
  const doc = topoLab({ kind: topology === "star" ? "single" : "linear", args: [n] }, name);
  for (const node of doc.nodes) if (node.kind === "switch") (node as unknown as Record<string, unknown>)["type"] = type;
  return parseLab(doc);
}

/** The plain script a person would write for the same objects, and its teardown. */
function rawScripts(lab: Lab, tag: string): { up: string; down: string } {
  const hosts = lab.nodes.filter((n) => n.kind !== "switch");
  const switches = lab.nodes.filter((n) => n.kind === "switch") as Extract<Lab["nodes"][number], { kind: "switch" }>[];
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
  for (const l of lab.links) {
    const [a, b] = l.endpoints;
    const aHost = hosts.some((h) => h.name === a.node);
    if (aHost) {
      const p = port(b.node, b.interface);
      root.push(`link add name ${a.interface} netns ${ns(a.node)} type veth peer name ${p}`, `link set dev ${p} up`);
      if (type === "ovs") ovs.push("--", "add-port", br(b.node), p);
      else masters.push(`link set dev ${p} master ${br(b.node)}`);
    } else if (type === "ovs") {
      const pa = port(a.node, a.interface);
      const pb = port(b.node, b.interface);
      ovs.push("--", "add-port", br(a.node), pa, "--", "set", "Interface", pa, "type=patch", `options:peer=${pb}`);
      ovs.push("--", "add-port", br(b.node), pb, "--", "set", "Interface", pb, "type=patch", `options:peer=${pa}`);
    } else {
      const pa = port(a.node, a.interface);
      const pb = port(b.node, b.interface);
      root.push(`link add name ${pa} type veth peer name ${pb}`, `link set dev ${pa} up`, `link set dev ${pb} up`);
      masters.push(`link set dev ${pa} master ${br(a.node)}`, `link set dev ${pb} master ${br(b.node)}`);
    }
  }
  const hostsFile = ["127.0.0.1\tlocalhost", ...hosts.map((h) => `${(h as { interfaces: Record<string, { addresses: string[] }> }).interfaces["eth0"]!.addresses[0]!.split("/")[0]}\t${h.name}`)].join("\n");
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
    `ip -batch - <<'EOF'\n${[...hosts.map((h) => `netns del ${ns(h.name)}`), ...(type === "bridge" ? switches.map((s) => `link del dev ${br(s.name)}`) : []), ...(type === "bridge" && switches.length > 1 ? lab.links.filter((l) => !hosts.some((h) => h.name === l.endpoints[0].node)).map((l) => `link del dev ${port(l.endpoints[0].node, l.endpoints[0].interface)}`) : [])].join("\n")}\nEOF`,
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
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("run as root");
  await ensureOvsRunning();
  const dir = await mkdtemp(join(tmpdir(), "topolab-bench-"));
  const env = { ...process.env, TOPOLAB_STATE_DIR: join(dir, "state") };
  // build once so that no run pays for it
  await must([process.execPath, bin, "caps"], { env });
  const engine = new Engine({ stateDir: join(dir, "engine-state") });
  const rows: Row[] = [];
  try {
    for (const topology of ["star", "linear"] as const) {
      for (const type of ["ovs", "bridge"] as const) {
        for (const n of sizes) {
          const name = `b${topology[0]}${type[0]}${n}`;
          const lab = labFor(topology, type, n, name);
          const file = join(dir, `${name}.yaml`);
          await writeFile(file, labToYaml(lab));
          const rawName = `r${topology[0]}${type[0]}${n}`;
          const rawLab = labFor(topology, type, n, rawName);
          const rawTag = labTagCandidates(rawName)[0]!;
          const scripts = rawScripts(rawLab, rawTag);
          const ups: number[] = [];
          const downs: number[] = [];
          const rawUps: number[] = [];
          const rawDowns: number[] = [];
          const engineUps: number[] = [];
          const engineDowns: number[] = [];
          for (let i = 0; i < runs; i++) {
            try {
              rawUps.push(await timed(["bash", "-s"], process.env, scripts.up));
              rawDowns.push(await timed(["bash", "-s"], process.env, scripts.down));
              ups.push(await timed([process.execPath, bin, "up", file], env));
              downs.push(await timed([process.execPath, bin, "down", name], env));
              await settle();
              let t = performance.now();
              await engine.up(lab);
              engineUps.push(performance.now() - t);
              await settle();
              t = performance.now();
              await engine.down(name);
              engineDowns.push(performance.now() - t);
            } catch (e) {
              await run(["bash", "-s"], { input: scripts.down, timeoutMs: 60_000 });
              await run([process.execPath, bin, "down", name], { env });
              throw e;
            }
            const left = [...(await leftoversAfterSettling(name)), ...(await leftoversAfterSettling(rawName))];
            const raw = (await readSnapshot({ ovs: true })).rootLinks.filter((l) => l.ifname.startsWith(`${rawTag}-`) || l.ifname.startsWith(`${rawTag}_`));
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
          };
          rows.push(row);
          if (!markdown) {
            const f = (ms: number) => `${ms.toFixed(0).padStart(5)} ms`;
            const x = (a: number, b: number) => `×${(a / b).toFixed(2)}`;
            console.log(
              `${topology.padEnd(6)} ${type.padEnd(6)} N=${String(n).padStart(3)}  up: raw ${f(row.rawUp)}, cli ${f(row.upMs)} ${x(row.upMs, row.rawUp)}, engine ${f(row.engineUp)} ${x(row.engineUp, row.rawUp)}` +
                `   down: raw ${f(row.rawDown)}, cli ${f(row.downMs)} ${x(row.downMs, row.rawDown)}, engine ${f(row.engineDown)} ${x(row.engineDown, row.rawDown)}`,
            );
          }
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (markdown) {
    console.log("| topology | switches | N | raw up | `topolab up` (CLI) | ratio | engine up | ratio | raw down | `topolab down` (CLI) | ratio | engine down | ratio |");
    console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    const ms = (v: number) => `${v.toFixed(0)} ms`;
    const x = (a: number, b: number) => (a / b).toFixed(2);
    for (const r of rows) {
      console.log(
        `| ${r.topology} | ${r.type} | ${r.n} | ${ms(r.rawUp)} | ${ms(r.upMs)} | ${x(r.upMs, r.rawUp)} | ${ms(r.engineUp)} | ${x(r.engineUp, r.rawUp)} | ${ms(r.rawDown)} | ${ms(r.downMs)} | ${x(r.downMs, r.rawDown)} | ${ms(r.engineDown)} | ${x(r.engineDown, r.rawDown)} |`,
      );
    }
  }
}

void root;
await main();
