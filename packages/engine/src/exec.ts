// Running programs: argument vectors in, exit code and output out. Never a shell string.
//
// Knows: how to spawn a program with input on stdin, collect its output with a size bound,
// time it out, and describe a failure in one line. Leaves to others: which programs to run.

import { spawn } from "node:child_process";

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

/** Runs argv[0] with argv[1..]; resolves with the exit code (127 when it cannot be started). */
export function run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const max = options.maxOutput ?? 16 * 1024 * 1024;
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ["pipe", "pipe", "pipe"],
      env: options.env ?? process.env,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    child.stdout.on("data", (b: Buffer) => {
      if (outLen < max) out.push(b);
      outLen += b.length;
    });
    child.stderr.on("data", (b: Buffer) => {
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
    child.on("error", (e) => {
      spawnError = e;
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      const stderr = Buffer.concat(err).toString("utf8");
      if (spawnError) {
        resolve({ code: 127, stdout: "", stderr: `${argv[0]}: ${spawnError.message}` });
        return;
      }
      resolve({
        code: code ?? (signal ? 128 + 9 : 1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: timedOut ? `${stderr}\ntimed out after ${options.timeoutMs} ms` : stderr,
        ...(timedOut ? { timedOut } : {}),
      });
    });
    child.stdin.on("error", () => {
      /* the program may exit before reading its input */
    });
    child.stdin.end(options.input ?? "");
  });
}

/** Runs and throws CommandError unless the exit code is 0. */
export async function must(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await run(argv, options);
  if (result.code !== 0) throw new CommandError(argv, result);
  return result;
}

/** Runs `tasks` with at most `limit` at a time; resolves in the tasks' order. */
export async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
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

/** Argv that runs `argv` inside a namespace (or as is in the root namespace). */
export function inNetns(ns: string | null, argv: string[]): string[] {
  return ns ? ["ip", "netns", "exec", ns, ...argv] : argv;
}
