// Running programs: argument vectors in, exit code and output out. Never a shell string.
//
// Knows: how to spawn a program with input on stdin, collect its output with a size bound,
// time it out, and describe a failure in one line; where topolab's own tools are (an absolute
// path, found once in a fixed trusted list of directories, never through an inherited or
// user-given PATH) and the environment they run with (set here, not inherited: a lab's data
// can never change how `ip` or `ovs-vsctl` runs). A program that cannot be started is an
// ordinary failure (exit 127 and a message), never an unhandled `error` event.
// Leaves to others: which programs to run.

import { spawn } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import type { Launcher } from "./launcher";

/** Where topolab looks for its own tools, in this order; nothing else is searched. */
export const TRUSTED_DIRS = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"] as const;

/** The PATH a program topolab starts sees (a plain root PATH, whatever topolab's own is). */
export const CHILD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export class ToolMissingError extends Error {
  constructor(readonly tool: string) {
    super(`topolab needs the program ${tool}, which is not installed (looked in ${TRUSTED_DIRS.join(", ")})`);
    this.name = "ToolMissingError";
  }
}

const found = new Map<string, string>();

/** The absolute path of a tool in TRUSTED_DIRS, or null (found once, then remembered). */
export function findTool(name: string): string | null {
  const known = found.get(name);
  if (known) return known;
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(name)) return null;
  for (const dir of TRUSTED_DIRS) {
    const path = `${dir}/${name}`;
    try {
      accessSync(path, constants.X_OK);
      if (!statSync(path).isFile()) continue;
      found.set(name, path);
      return path;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** The absolute path of one of topolab's tools; throws ToolMissingError naming it. */
export function tool(name: string): string {
  const path = findTool(name);
  if (!path) throw new ToolMissingError(name);
  return path;
}

/**
 * The environment topolab's tools run with: a fixed PATH, the C locale's messages (parsers
 * read them), and the few variables of topolab's own process that say where Open vSwitch
 * lives. Never anything from a lab document.
 */
export function toolEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: CHILD_PATH, LANG: "C.UTF-8", LC_ALL: "C.UTF-8", HOME: "/root" };
  for (const k of ["OVS_RUNDIR", "OVS_DBDIR", "OVS_SYSCONFDIR", "OVS_PKGDATADIR", "OVS_BINDIR", "OVS_LOGDIR", "TZ"]) {
    if (process.env[k]) env[k] = process.env[k];
  }
  return env;
}

/** argv with a bare program name replaced by its absolute path (throws ToolMissingError). */
export function resolveArgv(argv: string[]): string[] {
  const [first, ...rest] = argv;
  if (first === undefined || first.includes("/")) return argv;
  return [tool(first), ...rest];
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** killed because it ran longer than timeoutMs */
  timedOut?: boolean;
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** largest output kept per stream, in bytes */
  maxOutput?: number;
  /** killed (SIGKILL) when this aborts; resolves like a timeout, with why in stderr */
  signal?: AbortSignal;
}

export class CommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly result: RunResult,
  ) {
    super(`${argv.join(" ")} failed (exit ${result.code}): ${firstLines(result.stderr || result.stdout)}`);
    this.name = "CommandError";
  }
}

export function firstLines(text: string, n = 3): string {
  return text.trim().split("\n").slice(0, n).join(" / ") || "no message";
}

/**
 * Runs argv[0] with argv[1..]; resolves with the exit code (127 when it cannot be started,
 * with why in stderr). A bare program name is one of topolab's tools, found in TRUSTED_DIRS.
 * Never rejects and never throws.
 */
export function run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const max = options.maxOutput ?? 16 * 1024 * 1024;
  const cannot = (why: string): Promise<RunResult> => Promise.resolve({ code: 127, stdout: "", stderr: why });
  let resolved: string[];
  try {
    resolved = resolveArgv(argv);
  } catch (e) {
    return cannot((e as Error).message);
  }
  if (launcher?.alive) return runThrough(launcher, argv, resolved, options, max);
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    let aborted: string | null = null;
    try {
      child = spawn(resolved[0]!, resolved.slice(1), {
        stdio: ["pipe", "pipe", "pipe"],
        env: options.env ?? toolEnv(),
      });
      if (options.signal) {
        const signal = options.signal;
        const abort = () => {
          aborted = String(signal.reason ?? "aborted");
          child.kill("SIGKILL");
        };
        if (signal.aborted) abort();
        else {
          signal.addEventListener("abort", abort, { once: true });
          child.once("close", () => signal.removeEventListener("abort", abort));
        }
      }
    } catch (e) {
      // arguments the system refuses outright (a NUL byte, say)
      resolve({ code: 127, stdout: "", stderr: `${argv[0]}: cannot start: ${(e as Error).message}` });
      return;
    }
    const { stdout, stderr, stdin } = child;
    if (!stdout || !stderr || !stdin) {
      // out of file descriptors (EMFILE) leaves no pipes, and the spawn error comes as an
      // event: heard here, or it would end the whole process
      child.on("error", () => undefined);
      resolve({ code: 127, stdout: "", stderr: `${argv[0]}: cannot start` });
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    stdout.on("data", (b: Buffer) => {
      if (outLen < max) out.push(b);
      outLen += b.length;
    });
    stderr.on("data", (b: Buffer) => {
      if (errLen < max) err.push(b);
      errLen += b.length;
    });
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    if (options.timeoutMs) {
      timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
      }, options.timeoutMs);
    }
    let spawnError: Error | null = null;
    let done = false;
    child.on("error", (e) => {
      spawnError = e;
      // not started at all: no "close" may follow
      if (child.pid === undefined && !done) {
        done = true;
        if (timer) clearTimeout(timer);
        resolve({ code: 127, stdout: "", stderr: `${argv[0]}: cannot start: ${e.message}` });
      }
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      if (done) return;
      done = true;
      const stderr = Buffer.concat(err).toString("utf8");
      if (spawnError) {
        resolve({ code: 127, stdout: "", stderr: `${argv[0]}: ${spawnError.message}` });
        return;
      }
      resolve(ended(code ?? (signal ? 128 + 9 : 1), Buffer.concat(out).toString("utf8"), stderr, options, timedOut, aborted));
    });
    stdin.on("error", () => {
      /* the program may exit before reading its input */
    });
    stdin.end(options.input ?? "");
  });
}

/** A program's result, with why it was cut short (its time ran out, or it was stopped) in stderr. */
function ended(code: number, stdout: string, stderr: string, options: RunOptions, timedOut: boolean, aborted: string | null): RunResult {
  return {
    code,
    stdout,
    stderr: timedOut ? `${stderr}\ntimed out after ${options.timeoutMs} ms` : aborted !== null ? `${stderr}\nstopped: ${aborted}` : stderr,
    ...(timedOut || aborted !== null ? { timedOut: true } : {}),
  };
}

/** The launcher run() goes through while one is in use (launcher.ts; the server's). */
let launcher: Launcher | null = null;

/** The launcher run() goes through now, if any. */
export function launcherInUse(): Launcher | null {
  return launcher;
}

/** Has run() start programs through `l` (null: through Node's own spawn again). */
export function setLauncher(l: Launcher | null): void {
  launcher = l;
}

/** run() through the launcher: the same result, the timeout and the abort asked of it. */
async function runThrough(l: Launcher, argv: string[], resolved: string[], options: RunOptions, max: number): Promise<RunResult> {
  const { id, result } = l.run(resolved, options.env ?? toolEnv(), options.input ?? "", max);
  let timedOut = false;
  let aborted: string | null = null;
  const timer = options.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        l.kill(id);
      }, options.timeoutMs)
    : undefined;
  const signal = options.signal;
  const abort = () => {
    aborted = String(signal?.reason ?? "aborted");
    l.kill(id);
  };
  if (signal?.aborted) abort();
  else signal?.addEventListener("abort", abort, { once: true });
  const r = await result;
  if (timer) clearTimeout(timer);
  signal?.removeEventListener("abort", abort);
  if (r.startError !== undefined) return { code: 127, stdout: "", stderr: `${argv[0]}: cannot start: ${r.startError}` };
  return ended(r.code, r.stdout, r.stderr, options, timedOut, aborted);
}

/** Runs and throws CommandError unless the exit code is 0. */
export async function must(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await run(argv, options);
  if (result.code !== 0) throw new CommandError(argv, result);
  return result;
}

/** Runs `tasks` with at most `limit` at a time; resolves in the tasks' order. */
export async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = Array.from({ length: tasks.length });
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/**
 * `items` dealt round-robin to runners, one runner per `perRunner` items, at most `maxRunners`:
 * how a big lab's namespaces are shared among a few long-running programs (xargs, sh) instead
 * of a spawn each.
 */
export function shares<T>(items: readonly T[], perRunner: number, maxRunners: number): T[][] {
  const runners = Math.min(maxRunners, Math.ceil(items.length / perRunner));
  return Array.from({ length: runners }, (_, r) => items.filter((_, i) => i % runners === r));
}

/**
 * Argv that runs `argv` inside a namespace (or as is in the root namespace). `ip` is topolab's
 * own, by absolute path; so is the program when it is one of the trusted directories' (the
 * environment's PATH finds the rest).
 */
export function inNetns(ns: string | null, argv: string[]): string[] {
  const [first, ...rest] = argv;
  const program = first !== undefined && !first.includes("/") ? (findTool(first) ?? first) : first;
  const inner = program === undefined ? argv : [program, ...rest];
  return ns ? [findTool("ip") ?? "ip", "netns", "exec", ns, ...inner] : inner;
}
