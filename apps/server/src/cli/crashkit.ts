// Crash testing support (not part of the product): the CLI and the server killed with SIGKILL in
// the middle of their work, and the proofs that a lab is whole again or wholly gone. Used by
// the short crash test (crash.integration.test.ts) and by `pnpm torture` (benchmarks/torture.ts).
//
// Knows: how to start `topolab …` and `topolab serve` as a person does, how to kill one at a
// chosen point (after the Nth kernel command `-v` prints, on a line that matches, or after a
// delay), that the kernel tools it had started (ip, ovs-vsctl…) finish on their own and are
// waited for (a person re-runs `up` seconds later, not microseconds), and what "whole" means:
// status up with no problems, pingall 100 %, DHCP leases; "gone": nothing with the lab's marks.
// Leaves to others: choosing the points (the callers), the kernel work (the engine, via the CLI).

import { spawn, type ChildProcess } from "node:child_process";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { alive, Engine, readProcStatsSync, sleep } from "@topolab/engine";
import { labToYaml, parseLab, parseTopoSpec, topoLab } from "@topolab/topology";
import { leftoversAfterSettling } from "@topolab/engine/testing";

/** The repository: from this file's place, or the working directory when bundled (pnpm torture runs from the root). */
export const repoRoot = import.meta.dirname.endsWith(join("apps", "server", "src", "cli")) ? join(import.meta.dirname, "../../../..") : process.cwd();
export const topolabBin = join(repoRoot, "apps/server/bin/topolab.js");

/** Kernel tools the CLI or server start for a lab's changes: they end by themselves. */
const TOOLS = new Set(["ip", "ovs-vsctl", "tc", "sysctl", "ethtool", "nft", "iptables", "ip6tables", "xtables-nft-mul"]);

export interface Running {
  child: ChildProcess;
  /** stdout and stderr lines so far */
  lines: string[];
  /** kernel commands printed by -v so far */
  commands: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** resolves at the first line that matches */
  waitLine(re: RegExp): Promise<boolean>;
}

export function start(args: string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, [topolabBin, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  const watchers: { re: RegExp; resolve: (ok: boolean) => void }[] = [];
  const r: Running = {
    child,
    lines: [],
    commands: 0,
    exited: new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal }))),
    waitLine(re) {
      if (r.lines.some((l) => re.test(l))) return Promise.resolve(true);
      return new Promise((resolve) => watchers.push({ re, resolve }));
    },
  };
  const onLine = (l: string) => {
    r.lines.push(l);
    if (/^\s*(ok|ERR)\s\s/.test(l)) r.commands++;
    for (const w of [...watchers]) {
      if (w.re.test(l)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(true);
      }
    }
  };
  createInterface({ input: child.stdout }).on("line", onLine);
  createInterface({ input: child.stderr }).on("line", onLine);
  void r.exited.then(() => watchers.splice(0).forEach((w) => w.resolve(false)));
  return r;
}

/** Every process below pid (children, their children…), with its command name, from /proc. */
export function descendants(pid: number): { pid: number; comm: string }[] {
  const children = new Map<number, { pid: number; comm: string }[]>();
  for (const p of readProcStatsSync()) (children.get(p.ppid) ?? children.set(p.ppid, []).get(p.ppid)!).push({ pid: p.pid, comm: p.comm });
  const out: { pid: number; comm: string }[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c.pid);
    }
  };
  walk(pid);
  return out;
}

export interface Kill {
  /** false when the process had already finished */
  killed: boolean;
  /** kernel commands it had printed when killed (with -v) */
  commands: number;
  /** kernel tools it had running, left to finish */
  orphans: string[];
}

/**
 * SIGKILL now (the process alone, as `kill -9 PID` does), then wait until the kernel tools it
 * had started have finished (at most 30 s; they are not killed).
 */
export async function killNow(r: Running): Promise<Kill> {
  if (r.child.exitCode !== null || r.child.signalCode !== null) return { killed: false, commands: r.commands, orphans: [] };
  const tools = descendants(r.child.pid!).filter((d) => TOOLS.has(d.comm));
  r.child.kill("SIGKILL");
  await r.exited;
  const deadline = Date.now() + 30_000;
  // alive(): a zombie, which still has a /proc entry, has ended
  while (tools.some((t) => alive(t.pid)) && Date.now() < deadline) await sleep(10);
  const left = tools.filter((t) => alive(t.pid));
  if (left.length) throw new Error(`kernel tools of the killed process still run after 30 s: ${left.map((t) => `${t.comm}[${t.pid}]`).join(", ")}`);
  return { killed: true, commands: r.commands, orphans: tools.map((t) => t.comm) };
}

/** Kill after the n-th kernel command printed by -v (and `extraMs` later), or when it ends first. */
export async function killAfterCommands(r: Running, n: number, extraMs = 0): Promise<Kill> {
  while (r.commands < n && r.child.exitCode === null && r.child.signalCode === null) await sleep(1);
  if (extraMs) await sleep(extraMs);
  return killNow(r);
}

/** Kill at the first output line matching `re`; an error when the process ends without one. */
export async function killAtLine(r: Running, re: RegExp): Promise<Kill> {
  if (!(await r.waitLine(re))) throw new Error(`the process ended before printing a line matching ${re}:\n${r.lines.join("\n")}`);
  return killNow(r);
}

// ---------------------------------------------------------------------------------------------
// the server

export interface Server {
  child: ChildProcess;
  url: string;
  running: Running;
  /** a REST call with the token; the answer's status and JSON (or text) */
  call(method: string, path: string, body?: string, contentType?: string): Promise<{ status: number; body: unknown }>;
}

/** `topolab serve --port 0` with a token of our own, reconciling only labs named with `scope`. */
export async function startServer(env: NodeJS.ProcessEnv, scope: string): Promise<Server> {
  const token = `crash-${Math.random().toString(36).slice(2)}-token`;
  const running = start(["serve", "--port", "0", "--reconcile-only", scope], { ...env, TOPOLAB_TOKEN: token });
  // a server that failed at start without exiting (seen: a TypeError while attaching its
  // sockets) would otherwise be waited for for ever
  const within = (p: Promise<boolean>) => Promise.race([p, new Promise<boolean>((r) => setTimeout(() => r(false), 120_000))]);
  const failed = async (what: string) => {
    running.child.kill("SIGKILL");
    await running.exited;
    return new Error(`topolab serve ${what}:\n${running.lines.join("\n")}`);
  };
  if (!(await within(running.waitLine(/serving on http:/)))) throw await failed("did not start");
  const url = /serving on (http:\S+)/.exec(running.lines.find((l) => /serving on http:/.test(l))!)![1]!;
  // reconcile at start is done when its line is printed (or it was told it failed)
  if (!(await within(running.waitLine(/reconcile/)))) throw await failed("did not say it had reconciled");
  return {
    child: running.child,
    url,
    running,
    async call(method, path, body, contentType = "application/json") {
      // a new connection per request (no keep-alive pool): a server started again may get the
      // port of the one killed, and a pooled socket to the dead one fails the request
      let res: { status: number; text: string };
      try {
        res = await new Promise((resolve, reject) => {
          const req = httpRequest(
            `${url}${path}`,
            {
              method,
              agent: false,
              headers: {
                authorization: `Bearer ${token}`,
                ...(body !== undefined ? { "content-type": contentType, "content-length": Buffer.byteLength(body) } : {}),
              },
            },
            (r) => {
              let text = "";
              r.setEncoding("utf8");
              r.on("data", (d: string) => (text += d));
              r.on("end", () => resolve({ status: r.statusCode ?? 0, text }));
              r.on("error", reject);
            },
          );
          req.on("error", reject);
          req.end(body);
        });
      } catch (e) {
        // what the server said, and whether it is still there
        await new Promise((r) => setTimeout(r, 200));
        const state =
          running.child.exitCode !== null || running.child.signalCode !== null
            ? `exited (${running.child.exitCode ?? running.child.signalCode})`
            : "still running";
        throw new Error(`${method} ${path}: ${(e as Error).message}; the server is ${state}; its last lines:\n${running.lines.slice(-15).join("\n")}`);
      }
      let parsed: unknown = res.text;
      try {
        parsed = JSON.parse(res.text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed };
    },
  };
}

/** SIGTERM and wait (a server that is not being tortured). */
export async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill("SIGTERM");
  await s.running.exited;
}

// ---------------------------------------------------------------------------------------------
// proofs

export interface Whole {
  ok: boolean;
  /** what is wrong, in words */
  problems: string[];
  pings: { sent: number; received: number };
  leases: number;
}

/**
 * The lab is whole: status up with no problems, every host reaches every other (pingall 100 %)
 * or, with `tenants`, every host reaches its tenant's addresses and no other tenant's, and every
 * DHCP interface holds a lease (waited for up to `leaseWaitMs`).
 */
export async function proveWhole(stateDir: string, lab: string, options: { tenants?: Record<string, string>; leaseWaitMs?: number } = {}): Promise<Whole> {
  const engine = new Engine({ stateDir });
  const problems: string[] = [];
  const doc = await engine.state.readLab(lab);
  if (!doc) return { ok: false, problems: [`no document for ${lab}`], pings: { sent: 0, received: 0 }, leases: 0 };
  const dhcp = doc.nodes.flatMap((n) =>
    "interfaces" in n && n.interfaces
      ? Object.entries(n.interfaces)
          .filter(([, c]) => (c as { dhcp?: boolean }).dhcp)
          .map(([i]) => `${n.name}/${i}`)
      : [],
  );
  // leases come a moment after up: dhclient runs in the background
  const deadline = Date.now() + (options.leaseWaitMs ?? 20_000);
  let [status] = await engine.status(lab);
  const leased = () =>
    status!.nodes.flatMap((n) =>
      n.interfaces.filter((i) => i.lease && i.addresses.some((a) => a.startsWith(`${i.lease!.address}/`))).map((i) => `${n.name}/${i.name}`),
    );
  while (leased().length < dhcp.length && Date.now() < deadline) {
    await sleep(250);
    [status] = await engine.status(lab);
  }
  const have = new Set(leased());
  for (const d of dhcp) if (!have.has(d)) problems.push(`no DHCP lease on ${d}`);
  if (status!.state !== "up") problems.push(`status says ${status!.state}`);
  for (const n of status!.nodes) for (const p of n.problems) problems.push(`${n.name}: ${p}`);

  const result = await engine.pingAll(lab, { timeoutSeconds: 2 });
  let sent = 0;
  let received = 0;
  const hostOf = new Map(status!.nodes.map((n) => [n.name, n]));
  for (const p of result.pairs) {
    const t = options.tenants;
    // tenants: a pair is expected to reach across only within one tenant (the address 10.50.50.2
    // of both DHCP servers is each tenant's own)
    const expected = !t || t[p.from] === t[p.to] || isTenantServerAddress(p, t, hostOf);
    sent++;
    if (p.ok === expected) received++;
    else problems.push(`${p.from} -> ${p.to} (${p.address}): ${p.ok ? "reached across tenants" : "no answer"}`);
  }
  if (result.unaddressed.length) problems.push(`hosts without an address: ${result.unaddressed.join(", ")}`);
  return { ok: problems.length === 0, problems: problems.slice(0, 20), pings: { sent, received }, leases: have.size };
}

/** The target address is also held by a host of the sender's tenant (one address, two tenants). */
function isTenantServerAddress(
  p: { from: string; address: string },
  tenants: Record<string, string>,
  hosts: Map<string, { interfaces: { addresses: string[] }[] }>,
): boolean {
  for (const [name, h] of hosts) {
    if (tenants[name] !== tenants[p.from]) continue;
    if (h.interfaces.some((i) => i.addresses.some((a) => a.startsWith(`${p.address}/`)))) return true;
  }
  return false;
}

/** Nothing of the lab left: namespaces, marked links, OVS bridges and ports, files, processes, NAT. */
export async function proveGone(stateDir: string, lab: string): Promise<string[]> {
  const left = await leftoversAfterSettling(lab, 10_000);
  const engine = new Engine({ stateDir });
  if (await engine.state.readMeta(lab)) left.push(`state of ${lab} in ${stateDir}`);
  return left;
}

// ---------------------------------------------------------------------------------------------
// lab documents

export type RawLab = { name: string; nodes: Record<string, unknown>[]; links: { endpoints: string[]; [k: string]: unknown }[]; [k: string]: unknown };

/** A Mininet topology (`single,80`, `linear,40`) as a lab document, its switches Open vSwitch. */
export function topoDoc(spec: string, name: string): RawLab {
  const s = parseTopoSpec(spec);
  if (typeof s === "string") throw new Error(s);
  const doc = topoLab(s, name) as unknown as RawLab;
  for (const n of doc.nodes) if (n["kind"] === "switch") n["type"] = "ovs";
  return doc;
}

/**
 * An edit of a lab: the first `count` hosts' first interface renamed (eth0 <-> eth7: a veth made
 * again behind its OVS port).
 */
export function renameEdit(doc: RawLab, count: number): RawLab {
  const out = structuredClone(doc);
  const hosts = out.nodes.filter((n) => n["kind"] === "host" && n["interfaces"]);
  for (const h of hosts.slice(0, count)) {
    const ifs = h["interfaces"] as Record<string, unknown>;
    const [first] = Object.keys(ifs);
    const name = h["name"];
    if (!first || typeof name !== "string") continue;
    const renamed = first === "eth7" ? "eth0" : "eth7";
    h["interfaces"] = Object.fromEntries(Object.entries(ifs).map(([k, v]) => [k === first ? renamed : k, v]));
    for (const l of out.links) {
      l.endpoints = l.endpoints.map((e) => (e === name || e === `${name}:${first}` ? `${name}:${renamed}` : e));
    }
  }
  return out;
}

export function toYaml(doc: RawLab): string {
  return labToYaml(parseLab(doc));
}
