// Services: programs topolab runs inside nodes (dnsmasq, dhclient, any command), kept track of
// through files in the state directory, so that they outlive the CLI and survive a crash of
// the server: after one, they are found again by their pid files and adopted or stopped.
//
//   labs/<lab>/run/<node>/<name>.json   pid, start time, argv, namespace
//   labs/<lab>/run/<node>/<name>.log    its stdout and stderr (kept to the last 1 MB on start)
//   labs/<lab>/run/<node>/<name>.exit   its exit code, once it has ended
//
// Knows: how to start a program detached in its own process group inside a namespace, how to
// tell that a PID still is that program (its start time in /proc), how to stop its group by
// PID. The service's own environment (its `env`) reaches the service's program only: `ip`,
// `env` and the wrapper shell that start it are topolab's, by absolute path, with topolab's
// environment; a program that cannot start fails the operation, it never crashes the process.
// Leaves to others: which services a node has (topology's realize).

import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import {
  DHCLIENT_CONF,
  DHCLIENT_CONF_TOKEN,
  DHCLIENT_SCRIPT,
  DHCLIENT_SCRIPT_TOKEN,
  dhclientConfPath,
  fillTokens,
  LEASE_TAG,
  netnsEtcDir,
  nsName,
  withLeaseLines,
  withoutLeaseLines,
} from "@topolab/topology";
import { tool, toolEnv } from "./exec";
import { parseProcStat } from "./parse/procstat";
import { sleep } from "./processes";

export interface ServiceRecord {
  pid: number;
  /** field 22 of /proc/<pid>/stat: tells a reused PID from ours */
  startTime: string;
  /** as realize() wrote it, before tokens were filled */
  argv: string[];
  env?: Record<string, string>;
  ns: string;
  startedAt: string;
}

export type ServiceState = { state: "running"; pid: number; since: string } | { state: "exited"; code: number | null; since?: string } | { state: "stopped" };

export interface ServiceInfo {
  node: string;
  name: string;
  argv: string[];
  status: ServiceState;
}

const LOG_KEEP = 1024 * 1024;
/** how long a service must stay up after start to count as started */
const SETTLE_MS = 150;

/** A shell that runs the program and writes its exit code: the script is fixed, the program is "$@". */
const WRAPPER = 'trap "" HUP; "$@"; code=$?; echo "$code" > "$TOPOLAB_EXIT_FILE"; exit "$code"';

/**
 * The environment a service starts with: the basics a program expects, not topolab's own
 * (which may hold the server's access token).
 */
export function serviceEnv(): NodeJS.ProcessEnv {
  const keep = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER", "LOGNAME", "SHELL"];
  const env: NodeJS.ProcessEnv = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
  env["PATH"] ??= "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  return env;
}

/** What a service's environment variable may be called (as validation says). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Programs of topolab's own services: run by absolute path, like its other tools. */
const OWN_PROGRAMS = new Set(["dnsmasq", "dhclient"]);

/**
 * `NAME=value` words for env(1): the basics, then the service's own, then topolab's markers
 * (which the service's cannot replace). A name or value env(1) or execve cannot take is refused.
 */
export function serviceEnvWords(extra: Record<string, string> | undefined, markers: Record<string, string>): string[] {
  const env: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(serviceEnv())) if (v !== undefined) env[k] = v;
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (!ENV_NAME.test(k)) throw new ServiceError(`environment variable name ${JSON.stringify(k)} is not a valid name`);
    if (typeof v !== "string" || v.includes("\u0000")) throw new ServiceError(`environment variable ${k} holds a NUL character`);
    env[k] = v;
  }
  Object.assign(env, markers);
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

export class ServiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ServiceError";
  }
}

/** A live process's start time (a zombie has ended: null). */
async function procStartTime(pid: number): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null; // gone
  }
  const p = parseProcStat(text);
  return p.state === "Z" ? null : String(p.starttime);
}

export class Services {
  constructor(readonly stateDir: string) {}

  runDir(lab: string, node: string): string {
    return `${this.stateDir}/labs/${lab}/run/${node}`;
  }

  /**
   * Forgets what the lab's processes left behind (DHCP clients' lease files, logs), once they
   * are stopped: a reset starts from the exercise as shipped, not from the leases of a fix.
   */
  async forgetRuns(lab: string): Promise<void> {
    await rm(`${this.stateDir}/labs/${lab}/run`, { recursive: true, force: true });
  }

  dhclientScript(): string {
    return `${this.stateDir}/dhclient-script`;
  }

  private async record(lab: string, node: string, name: string): Promise<ServiceRecord | null> {
    try {
      return JSON.parse(await readFile(`${this.runDir(lab, node)}/${name}.json`, "utf8")) as ServiceRecord;
    } catch {
      return null;
    }
  }

  /** The record, when its process is still the one topolab started. */
  async running(lab: string, node: string, name: string): Promise<ServiceRecord | null> {
    const rec = await this.record(lab, node, name);
    if (!rec) return null;
    return (await procStartTime(rec.pid)) === rec.startTime ? rec : null;
  }

  /** Starts a service; resolves with the command line it runs (tokens filled in). */
  async start(cmd: { lab: string; node: string; ns: string; name: string; argv: string[]; env?: Record<string, string> }): Promise<string[]> {
    const dir = this.runDir(cmd.lab, cmd.node);
    await mkdir(dir, { recursive: true });
    if (await this.running(cmd.lab, cmd.node, cmd.name)) await this.stop(cmd.lab, cmd.node, cmd.name);
    if (cmd.argv.some((a) => a.includes("@DHCLIENT_SCRIPT@"))) {
      await writeFile(this.dhclientScript(), DHCLIENT_SCRIPT, { mode: 0o755 });
    }
    if (cmd.argv.some((a) => a.includes(DHCLIENT_CONF_TOKEN))) await writeFile(dhclientConfPath(this.dhclientScript()), DHCLIENT_CONF);
    const argv = this.withLeaseNames(cmd, fillTokens(cmd.argv, { run: dir, dhclientScript: this.dhclientScript() }));
    const log = `${dir}/${cmd.name}.log`;
    const exitFile = `${dir}/${cmd.name}.exit`;
    await rm(exitFile, { force: true });
    try {
      if ((await stat(log)).size > LOG_KEEP) await rename(log, `${log}.1`);
    } catch {
      /* no log yet */
    }
    // topolab's own programs by absolute path; the service's words and environment reach only
    // the program it runs: `ip` and env(1) start with topolab's environment, env(1) replaces it
    // (-i) with the service's for the wrapper shell and what it runs
    const what = `${cmd.name} on ${cmd.node}`;
    let launcher: string[];
    try {
      const program = argv[0] !== undefined && OWN_PROGRAMS.has(argv[0]) ? tool(argv[0]) : argv[0];
      const words = serviceEnvWords(cmd.env, { TOPOLAB_LAB: cmd.lab, TOPOLAB_NODE: cmd.node, TOPOLAB_EXIT_FILE: exitFile });
      launcher = [
        tool("ip"),
        "netns",
        "exec",
        cmd.ns,
        tool("env"),
        "-i",
        ...words,
        tool("sh"),
        "-c",
        WRAPPER,
        `topolab:${cmd.name}`,
        ...(program === undefined ? [] : [program]),
        ...argv.slice(1),
      ];
    } catch (e) {
      throw new ServiceError(`${what} could not start: ${(e as Error).message}`);
    }
    const fd = openSync(log, "a");
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(launcher[0]!, launcher.slice(1), {
        detached: true,
        stdio: ["ignore", fd, fd],
        cwd: dir,
        env: toolEnv(),
      });
    } catch (e) {
      throw new ServiceError(`${what} could not start: ${(e as Error).message}`);
    } finally {
      closeSync(fd);
    }
    // a spawn that fails (no such program, a refused environment) is told by an "error" event,
    // which must be listened to: unheard, it ends the whole process
    let spawnError: Error | null = null;
    const exited = new Promise<number | null>((resolve) => {
      child.once("error", (e) => {
        spawnError = e;
        resolve(null);
      });
      child.once("exit", (code) => resolve(code));
    });
    child.unref();
    const pid = child.pid;
    const startTime = pid ? await procStartTime(pid) : null;
    const tail = async () => (await readFile(log, "utf8").catch(() => "")).trim().split("\n").slice(-3).join(" / ");
    if (!pid || !startTime) {
      const code = await Promise.race([exited, sleep(2000).then(() => undefined)]);
      const err = spawnError as Error | null;
      if (err || !pid) throw new ServiceError(`${what} could not start: ${err ? err.message : argv[0]}`);
      // started, and ended before it could be looked at
      throw new ServiceError(`${what} exited at once (code ${code ?? "?"}): ${(await tail()) || "no output"}`);
    }
    const rec: ServiceRecord = {
      pid,
      startTime,
      argv: cmd.argv,
      ...(cmd.env ? { env: cmd.env } : {}),
      ns: cmd.ns,
      startedAt: new Date().toISOString(),
    };
    await writeFile(`${dir}/${cmd.name}.json`, JSON.stringify(rec, null, 2) + "\n");
    // a program that fails at once (a typo, a port in use) fails the operation, with its words
    const early = await Promise.race([exited, sleep(SETTLE_MS).then(() => "running" as const)]);
    if (early !== "running") {
      await rm(`${dir}/${cmd.name}.json`, { force: true });
      throw new ServiceError(`${what} exited at once (code ${early ?? "?"}): ${(await tail()) || "no output"}`);
    }
    return ["ip", "netns", "exec", cmd.ns, ...argv];
  }

  /**
   * A DHCP client with topolab's script is told (dhclient -e) where the lab's hosts files are,
   * so that its leased address gets the node's name in each (topology's leases.ts).
   */
  private withLeaseNames(cmd: { lab: string; node: string; argv: string[] }, argv: string[]): string[] {
    if (argv[0] !== "dhclient" || !cmd.argv.some((a) => a.includes(DHCLIENT_SCRIPT_TOKEN))) return argv;
    return [
      argv[0],
      "-e",
      `TOPOLAB_NODE=${cmd.node}`,
      "-e",
      `TOPOLAB_HOSTS_PREFIX=${netnsEtcDir(nsName(cmd.lab, ""))}`,
      "-e",
      `TOPOLAB_HOSTS_LOCK=${this.stateDir}/labs/${cmd.lab}/run/hosts.lock`,
      ...argv.slice(1),
    ];
  }

  /** A node's DHCP client stopped: its leased names leave the lab's hosts files (written in place). */
  private async forgetLeaseNames(lab: string, node: string): Promise<void> {
    const prefix = nsName(lab, "");
    let dirs: string[];
    try {
      dirs = (await readdir("/etc/netns")).filter((d) => d.startsWith(prefix));
    } catch {
      return;
    }
    for (const d of dirs) {
      const path = `${netnsEtcDir(d)}/hosts`;
      const content = await readFile(path, "utf8").catch(() => null);
      if (content === null || !content.includes(LEASE_TAG)) continue;
      const kept = withLeaseLines(withoutLeaseLines(content), content, (n) => n !== node);
      if (kept !== content) await writeFile(path, kept);
    }
  }

  /** Stops a service's process group by PID: TERM, then KILL. Already stopped is fine. */
  async stop(lab: string, node: string, name: string): Promise<void> {
    const rec = await this.running(lab, node, name);
    if (rec) {
      const kill = (sig: NodeJS.Signals) => {
        try {
          process.kill(-rec.pid, sig);
        } catch {
          /* gone */
        }
      };
      kill("SIGTERM");
      const deadline = Date.now() + 2000;
      while (Date.now() < deadline && (await procStartTime(rec.pid)) === rec.startTime) await sleep(20);
      if ((await procStartTime(rec.pid)) === rec.startTime) kill("SIGKILL");
    }
    await rm(`${this.runDir(lab, node)}/${name}.json`, { force: true });
    if (name.startsWith("dhclient-")) await this.forgetLeaseNames(lab, node);
  }

  /** Every service of a lab that topolab knows of, with its state. */
  async list(lab: string): Promise<ServiceInfo[]> {
    const out: ServiceInfo[] = [];
    const base = `${this.stateDir}/labs/${lab}/run`;
    let nodes: string[] = [];
    try {
      nodes = await readdir(base);
    } catch {
      return out;
    }
    for (const node of nodes.sort()) {
      const files = await readdir(`${base}/${node}`).catch(() => [] as string[]);
      const names = new Set(files.filter((f) => /\.(json|exit|log)$/.test(f) && !f.endsWith(".leases")).map((f) => f.replace(/\.(json|exit|log)$/, "")));
      for (const name of [...names].sort()) {
        const rec = await this.record(lab, node, name);
        const live = rec && (await procStartTime(rec.pid)) === rec.startTime;
        let status: ServiceState;
        if (live) status = { state: "running", pid: rec.pid, since: rec.startedAt };
        else {
          const code = await readFile(`${base}/${node}/${name}.exit`, "utf8").then(
            (t) => Number(t.trim()),
            () => null,
          );
          status = code === null && !rec ? { state: "stopped" } : { state: "exited", code };
        }
        out.push({ node, name, argv: rec?.argv ?? [], status });
      }
    }
    return out;
  }

  /** The services of a lab that are running, as topolab started them. */
  async records(lab: string): Promise<{ node: string; name: string; record: ServiceRecord }[]> {
    const out: { node: string; name: string; record: ServiceRecord }[] = [];
    for (const info of await this.list(lab)) {
      if (info.status.state !== "running") continue;
      const record = await this.running(lab, info.node, info.name);
      if (record) out.push({ node: info.node, name: info.name, record });
    }
    return out;
  }

  async log(lab: string, node: string, name: string): Promise<string> {
    return readFile(`${this.runDir(lab, node)}/${name}.log`, "utf8");
  }
}

/**
 * What the engine writes into a node's hosts file: the document's lines, and the lines of
 * leases the DHCP clients put there (topology's leases.ts) for nodes that still exist. Sync:
 * the executor writes a stage's files in one synchronous pass.
 */
export function keepLeaseNames(path: string, content: string, found?: Map<string, string | null>): string {
  const m = /^\/etc\/netns\/([^/]+\.)[^./]+\/hosts$/.exec(path);
  if (!m) return content;
  const read = (p: string) => {
    try {
      return readFileSync(p, "utf8");
    } catch {
      return null;
    }
  };
  // a new node's file takes the leases from another node's file of the lab
  let existing = read(path);
  if (existing === null && found?.has(m[1]!)) {
    // found for an earlier file of the same batch: a lab of 1,000 new nodes reads it once, not 1,000 times
    existing = found.get(m[1]!)!;
  } else if (existing === null) {
    let siblings: string[] = [];
    try {
      siblings = readdirSync("/etc/netns")
        .filter((d) => d.startsWith(m[1]!))
        .sort();
    } catch {
      /* no /etc/netns yet */
    }
    for (const d of siblings) {
      existing = read(`/etc/netns/${d}/hosts`);
      if (existing?.includes(LEASE_TAG)) break;
    }
    // a file without leases gives nothing to keep: the next new file need not look again
    if (existing !== null && !existing.includes(LEASE_TAG)) existing = null;
    found?.set(m[1]!, existing);
  }
  if (existing === null) return content;
  return withLeaseLines(content, existing, (node) => existsSync(`/run/netns/${m[1]}${node}`));
}
