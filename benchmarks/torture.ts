// Torture (not a test of the default run, not a benchmark of speed): crash safety as a property.
//
// For each lab (Mininet's single,80 and linear,40 on Open vSwitch, and the vlan-dhcp template),
// each phase (`up` of a new lab, an edit that renames interfaces, `down`) and each actor (the
// CLI, the server driven over REST), it kills the process with SIGKILL at random points of the
// work, then brings the lab up again the way a person would (the CLI: `topolab up FILE`; the
// server: started again, it reconciles, then the document PUT again and POST …/start, since a
// PUT of the document it already has touches nothing in the kernel), and proves it whole:
// status up with no problems, pingall 100 % (vlan-dhcp: each tenant reaches its own addresses and
// not the other's) and a DHCP lease on every DHCP interface. Then `down` (or DELETE) and proves
// nothing is left: no namespaces, links with the lab's alias, OVS bridges or ports with its
// external_ids, files, processes.
//
// Kill points: the CLI runs with -v, which prints each kernel command as it completes; a point
// is "after the k-th command, plus 0-40 ms", k drawn from 0..N-1 (N counted in an unkilled run),
// so points fall between and inside batches evenly over the work. The server prints nothing per
// command: its points are a delay drawn from 0..0.6 T after the request (T measured unkilled;
// later requests are quicker than the first, and a kill after the answer proves nothing).
// The kernel tools a killed process had started finish on their own and are waited for.
//
//   pnpm torture [--per 3] [--seed N] [--labs single,80/linear,40/vlan-dhcp] [--phases up,edit,down]
//                [--actors cli,server] [--markdown]
//
// It uses a state directory of its own and the lab names da-ts80, da-tl40, da-tvd (it refuses
// to start if any of them exists on the machine). As root.

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseLabText, labToDocument } from "@topolab/topology";
import { ensureOvsRunning } from "@topolab/engine";
import { leftovers } from "@topolab/engine/testing";
import {
  killAfterCommands,
  killNow,
  proveGone,
  proveWhole,
  renameEdit,
  repoRoot,
  start,
  startServer,
  stopServer,
  topoDoc,
  toYaml,
  type Kill,
  type RawLab,
  type Server,
} from "../apps/server/src/cli/crashkit";
import { args, opt } from "./common";

const per = Number(opt("per", "3"));
const seed = Number(opt("seed", String(Date.now() % 1_000_000)));
const labIds = opt("labs", "single,80/linear,40/vlan-dhcp").split("/");
const markdown = args.includes("--markdown");
const phases = opt("phases", "up,edit,down").split(",") as Phase[];
const actors = opt("actors", "cli,server").split(",") as Actor[];

/** mulberry32: a seeded generator, so that a run can be repeated with --seed */
function random(a: number): () => number {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = random(seed);
const between = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Phase = "up" | "edit" | "down";
type Actor = "cli" | "server";

interface LabCase {
  id: string;
  name: string;
  base: RawLab;
  edit: RawLab;
  tenants?: Record<string, string>;
  files: { base: string; edit: string };
  /** -v lines of an unkilled run, per phase; first command's time */
  commands: Record<Phase, number>;
  /** unkilled request times of the server, per phase */
  serverMs: Record<Phase, number>;
}

interface Point {
  lab: string;
  phase: Phase;
  actor: Actor;
  at: string;
  killed: boolean;
  /** what `up` again reported */
  reup: string;
  ok: boolean;
  problems: string[];
  pings: { sent: number; received: number };
  leases: number;
}

const stateDir = await mkdtemp(join(tmpdir(), "topolab-torture-"));
const env = { ...process.env, TOPOLAB_STATE_DIR: stateDir };
const log = (s: string) => process.stderr.write(`${s}\n`);

async function topolab(...argv: string[]): Promise<{ code: number | null; out: string }> {
  const r = start(argv, env);
  const { code } = await r.exited;
  return { code, out: r.lines.join("\n") };
}

async function must(what: string, p: Promise<{ code: number | null; out: string }>): Promise<string> {
  const r = await p;
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.out}`);
  return r.out;
}

async function labCase(id: string): Promise<LabCase> {
  let c: Omit<LabCase, "files" | "commands" | "serverMs">;
  if (id === "vlan-dhcp") {
    const name = "da-tvd";
    const parsed = parseLabText(await readFile(join(repoRoot, "templates/vlan-dhcp.yaml"), "utf8"), { name });
    if (!parsed.ok) throw new Error(`templates/vlan-dhcp.yaml: ${JSON.stringify(parsed.issues)}`);
    const base = { ...labToDocument(parsed.lab), name } as RawLab;
    c = { id, name, base, edit: renameEdit(base, 2), tenants: { red: "100", "dhcp-r": "100", green: "200", "dhcp-g": "200" } };
  } else {
    const name = id.startsWith("single") ? `da-ts${id.split(",")[1]}` : `da-tl${id.split(",")[1]}`;
    const base = topoDoc(id, name);
    c = { id, name, base, edit: renameEdit(base, id.startsWith("single") ? 20 : 10) };
  }
  const files = { base: join(stateDir, `${c.name}.base.yaml`), edit: join(stateDir, `${c.name}.edit.yaml`) };
  await writeFile(files.base, toYaml(c.base));
  await writeFile(files.edit, toYaml(c.edit));
  return { ...c, files, commands: { up: 0, edit: 0, down: 0 }, serverMs: { up: 0, edit: 0, down: 0 } };
}

/** Unkilled runs: how many commands each phase prints, how long the server takes; and a first proof. */
async function calibrate(c: LabCase): Promise<void> {
  const count = async (argv: string[]) => {
    const r = start(argv, env);
    const { code } = await r.exited;
    if (code !== 0) throw new Error(`${argv.join(" ")} exited ${code}:\n${r.lines.join("\n")}`);
    return r.commands;
  };
  c.commands.up = await count(["up", "-v", c.files.base]);
  const whole = await proveWhole(stateDir, c.name, c.tenants ? { tenants: c.tenants } : {});
  if (!whole.ok) throw new Error(`${c.name} is not whole even without a kill: ${whole.problems.join("; ")}`);
  c.commands.edit = await count(["up", "-v", c.files.edit]);
  await must("up base", topolab("up", c.files.base));
  c.commands.down = await count(["down", "-v", c.name]);
  if (!actors.includes("server")) return;

  const srv = await startServer(env, "da-t");
  try {
    const timed = async (method: string, body?: string) => {
      const t = performance.now();
      const r = await srv.call(method, `/api/labs/${c.name}`, body, "application/yaml");
      if (r.status >= 300) throw new Error(`${method} ${c.name}: ${r.status} ${JSON.stringify(r.body)}`);
      return performance.now() - t;
    };
    c.serverMs.up = await timed("PUT", toYaml(c.base));
    c.serverMs.edit = await timed("PUT", toYaml(c.edit));
    await timed("PUT", toYaml(c.base));
    c.serverMs.down = await timed("DELETE");
  } finally {
    await stopServer(srv);
  }
  const left = await proveGone(stateDir, c.name);
  if (left.length) throw new Error(`${c.name}: left after an unkilled down: ${left.join(", ")}`);
}

async function cliPoint(c: LabCase, phase: Phase): Promise<Point> {
  if (phase !== "up") await must("up base", topolab("up", c.files.base));
  const argv = phase === "down" ? ["down", "-v", c.name] : ["up", "-v", phase === "edit" ? c.files.edit : c.files.base];
  const n = c.commands[phase];
  // k = n would kill after the last command: the run may have finished by then
  const k = between(0, n - 1);
  const extra = between(0, 40);
  const r = start(argv, env);
  let kill: Kill;
  if (k === 0) {
    // before the first command: while it loads, locks and reads the kernel
    await sleep(between(0, 600));
    kill = await killNow(r);
  } else kill = await killAfterCommands(r, k, extra);
  const target = phase === "edit" ? c.files.edit : c.files.base;
  const up = await topolab("up", target);
  const reup = up.out.split("\n").find((l) => l.startsWith(`lab ${c.name}:`)) ?? up.out.split("\n")[0] ?? "";
  const point = await proveAndDown(
    c,
    phase,
    "cli",
    `after ${kill.commands}/${n} commands${k ? ` +${extra} ms` : ""}`,
    kill,
    reup,
    up.code === 0 ? [] : [`up again exited ${up.code}: ${up.out}`],
    async () => {
      const d = await topolab("down", c.name);
      return d.code === 0 ? [] : [`down exited ${d.code}: ${d.out}`];
    },
  );
  return point;
}

async function serverPoint(c: LabCase, phase: Phase): Promise<Point> {
  let srv: Server = await startServer(env, "da-t");
  const problems: string[] = [];
  let kill: Kill;
  const T = c.serverMs[phase];
  // the unkilled request time is an upper bound (a first apply is slower than later ones)
  const delay = between(0, Math.round(T * 0.6));
  try {
    if (phase !== "up") {
      const r = await srv.call("PUT", `/api/labs/${c.name}`, toYaml(c.base), "application/yaml");
      if (r.status >= 300) throw new Error(`PUT base: ${r.status} ${JSON.stringify(r.body)}`);
    }
    const request =
      phase === "down"
        ? srv.call("DELETE", `/api/labs/${c.name}`)
        : srv.call("PUT", `/api/labs/${c.name}`, toYaml(phase === "edit" ? c.edit : c.base), "application/yaml");
    let answered = false;
    request.then(
      () => (answered = true),
      () => undefined, // the server died under it
    );
    await sleep(delay);
    kill = await killNow(srv.running);
    // killed mid-work only when the request had no answer yet
    kill = { ...kill, killed: kill.killed && !answered };
  } catch (e) {
    await stopServer(srv);
    throw e;
  }
  // started again: it reconciles the labs of its state directory, then the document again
  srv = await startServer(env, "da-t");
  let reup = "";
  try {
    const target = phase === "edit" ? c.edit : c.base;
    const r = await srv.call("PUT", `/api/labs/${c.name}`, toYaml(target), "application/yaml");
    const b = r.body as { summary?: { create: number; update: number; delete: number }; unchanged?: boolean };
    reup = `${r.status} ${r.status === 201 ? "created" : b.unchanged ? "unchanged" : b.summary ? `${b.summary.create} created, ${b.summary.update} changed, ${b.summary.delete} removed` : JSON.stringify(r.body).slice(0, 200)}`;
    if (r.status >= 300) problems.push(`PUT again: ${reup}`);
    // a PUT of the document the server already has changes nothing in the kernel: start applies it
    const st = await srv.call("POST", `/api/labs/${c.name}/start`);
    const sb = st.body as { summary?: { create: number; update: number; delete: number }; unchanged?: boolean };
    reup = `${reup}; start ${st.status} ${sb.unchanged ? "unchanged" : sb.summary ? `${sb.summary.create} created, ${sb.summary.update} changed, ${sb.summary.delete} removed` : JSON.stringify(st.body).slice(0, 300)}`;
    if (st.status >= 300) problems.push(`start: ${JSON.stringify(st.body).slice(0, 500)}`);
    const at = srv.running.lines.findIndex((l) => /reconcile/.test(l));
    if (at >= 0) {
      // the reconcile line, and the failures it lists on the lines after it
      const said = [srv.running.lines[at]!, ...srv.running.lines.slice(at + 1).filter((l) => /^\s+lab /.test(l))].join(" ");
      reup = `${said.replace(/^topolab: reconciled the kernel with the saved labs: /, "reconcile: ")}; PUT ${reup}`;
    }
    const point = await proveAndDown(c, phase, "server", `${delay} of ${Math.round(T)} ms`, kill, reup, problems, async () => {
      const d = await srv.call("DELETE", `/api/labs/${c.name}`);
      return d.status === 204 ? [] : [`DELETE: ${d.status} ${JSON.stringify(d.body)}`];
    });
    if (!point.ok) point.problems.push(`the server's last lines: ${srv.running.lines.slice(-8).join(" | ")}`);
    return point;
  } finally {
    await stopServer(srv);
  }
}

async function proveAndDown(
  c: LabCase,
  phase: Phase,
  actor: Actor,
  at: string,
  kill: Kill,
  reup: string,
  problems: string[],
  down: () => Promise<string[]>,
): Promise<Point> {
  const whole = await proveWhole(stateDir, c.name, c.tenants ? { tenants: c.tenants } : {});
  problems.push(...whole.problems);
  problems.push(...(await down()));
  const left = await proveGone(stateDir, c.name);
  if (left.length) problems.push(`left after down: ${left.slice(0, 10).join(", ")}${left.length > 10 ? ` … and ${left.length - 10} more` : ""}`);
  return { lab: c.id, phase, actor, at, killed: kill.killed, reup, ok: problems.length === 0, problems, pings: whole.pings, leases: whole.leases };
}

/** After a failed point: whatever is left of the lab goes, so the next point starts clean. */
async function scrub(c: LabCase): Promise<void> {
  await topolab("down", c.name);
  const left = await leftovers(c.name);
  if (left.length) throw new Error(`${c.name}: cannot start the next point, left: ${left.join(", ")}`);
}

// ---------------------------------------------------------------------------------------------

if (process.getuid?.() !== 0) {
  console.error("torture: run as root (it makes namespaces, veths and OVS bridges)");
  process.exit(2);
}
await ensureOvsRunning();
const cases: LabCase[] = [];
for (const id of labIds) cases.push(await labCase(id));
for (const c of cases) {
  const left = await leftovers(c.name);
  if (left.length) {
    console.error(`torture: lab ${c.name} already exists on this machine (${left.slice(0, 3).join(", ")}…): not mine to remove`);
    process.exit(2);
  }
}
log(`torture: seed ${seed}, ${per} points per lab, phase and actor, state in ${stateDir}`);
const t0 = performance.now();
const points: Point[] = [];
let runs = 0;
try {
  for (const c of cases) {
    try {
      await calibrate(c);
    } catch (e) {
      // an unkilled run that fails is no crash point: said, cleaned, tried once more
      log(`${c.id}: calibration failed, once more: ${(e as Error).message.split("\n")[0]}`);
      await scrub(c);
      await calibrate(c);
    }
    log(
      `${c.id}: ${c.commands.up}/${c.commands.edit}/${c.commands.down} commands for up/edit/down; server ${Math.round(c.serverMs.up)}/${Math.round(c.serverMs.edit)}/${Math.round(c.serverMs.down)} ms`,
    );
    for (const phase of phases) {
      for (const actor of actors) {
        for (let i = 0; i < per; i++) {
          runs++;
          let p: Point;
          const t = performance.now();
          try {
            p = actor === "cli" ? await cliPoint(c, phase) : await serverPoint(c, phase);
          } catch (e) {
            p = {
              lab: c.id,
              phase,
              actor,
              at: "?",
              killed: false,
              reup: "",
              ok: false,
              problems: [(e as Error).message],
              pings: { sent: 0, received: 0 },
              leases: 0,
            };
          }
          points.push(p);
          log(
            `${p.ok ? "ok  " : "FAIL"} ${c.id} ${phase} ${actor} killed ${p.killed ? p.at : "never (it had finished)"}; again: ${p.reup}; pings ${p.pings.received}/${p.pings.sent}${p.leases ? `, ${p.leases} leases` : ""} (${((performance.now() - t) / 1000).toFixed(0)} s)`,
          );
          if (!p.ok) {
            for (const q of p.problems.slice(0, 10)) log(`       ${q}`);
            await scrub(c);
          }
        }
      }
    }
  }
} finally {
  // nothing of the labs outlives the state directory that owns them
  for (const c of cases) await topolab("down", c.name);
  await rm(stateDir, { recursive: true, force: true });
}

const minutes = (performance.now() - t0) / 60_000;
const killed = points.filter((p) => p.killed).length;
const failures = points.filter((p) => !p.ok).length;
const sent = points.reduce((s, p) => s + p.pings.sent, 0);
const received = points.reduce((s, p) => s + p.pings.received, 0);
const leases = points.reduce((s, p) => s + p.leases, 0);
const mended = points.filter((p) => p.killed && !/nothing to change|unchanged/.test(p.reup)).length;

if (markdown) {
  console.log("| lab | phase | actor | runs | killed mid-work | failures |");
  console.log("|---|---|---|---:|---:|---:|");
  for (const c of cases) {
    for (const phase of phases) {
      for (const actor of actors) {
        const ps = points.filter((p) => p.lab === c.id && p.phase === phase && p.actor === actor);
        console.log(`| ${c.id} | ${phase} | ${actor} | ${ps.length} | ${ps.filter((p) => p.killed).length} | ${ps.filter((p) => !p.ok).length} |`);
      }
    }
  }
  console.log("");
}
console.log(
  `torture: seed ${seed}: ${runs} runs, ${killed} kill points (SIGKILL mid-work; ${runs - killed} runs had finished first), ` +
    `${mended} re-ups that had something to mend, failures: ${failures}; ` +
    `pings ${received}/${sent} as expected, ${leases} DHCP leases; ${minutes.toFixed(1)} min`,
);
process.exitCode = failures ? 1 : 0;
