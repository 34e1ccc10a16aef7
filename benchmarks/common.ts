// What the benchmarks share: percentiles, and `topolab serve` started as a child process on a
// free port, its address read from the line it prints.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

/** The benchmark's command-line arguments, and `--name VALUE` among them (or the default). */
export const args = process.argv.slice(2);
export function opt(name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
}

/** Debian's Chromium as the benchmarks start it (the machine's network is closed: no background traffic). */
export const BROWSER_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** The p-th percentile of xs (nearest rank); NaN for no samples. */
export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
}

export interface ServeChild {
  child: ChildProcess;
  url: string;
  /** SIGTERM, then the exit */
  stop: () => Promise<void>;
}

/** Starts `topolab serve --port 0 ARGS…` (bin: apps/server/bin/topolab.js) and waits for its address. */
export async function serve(bin: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<ServeChild> {
  const child = spawn(process.execPath, [bin, "serve", "--port", "0", ...args], { env, stdio: ["ignore", "pipe", "inherit"], ...(cwd ? { cwd } : {}) });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (l) => {
      const m = /serving on (http:\S+)/.exec(l);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`topolab serve exited (${code})`)));
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  return { child, url, stop };
}

/**
 * `topolab serve` on a state directory of its own (under /tmp, named by `prefix`), leaving the
 * kernel alone but for `lab`, with a REST caller that throws on an error status.
 */
export async function benchServer(
  root: string,
  lab: string,
  prefix: string,
): Promise<{ server: ServeChild; stateDir: string; token: string; api: (method: string, path: string, body?: unknown) => Promise<void> }> {
  const stateDir = mkdtempSync(join(tmpdir(), prefix));
  const token = `bench-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const server = await serve(
    join(root, "apps/server/bin/topolab.js"),
    ["--reconcile-only", lab],
    { ...process.env, TOPOLAB_TOKEN: token, TOPOLAB_STATE_DIR: stateDir },
    root,
  );
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${server.url}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  };
  return { server, stateDir, token, api };
}
