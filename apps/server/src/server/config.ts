// The server's settings: what the person asked for (options, environment), with defaults, and
// what follows from where it listens (the origins and Host names it accepts).
//
// Knows: defaults (127.0.0.1:7380, a random token, the repository's templates/ and
// apps/web/dist), the environment variables, which addresses are loopback, and the names a
// browser may use to reach this server. Leaves to others: checking requests (security.ts).

import { existsSync } from "node:fs";
import { hostname, networkInterfaces } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { DEFAULT_LAB_LIMITS } from "@topolab/topology";

export interface ServerOptions {
  host?: string;
  /** 0 picks a free port */
  port?: number;
  token?: string;
  /** origins allowed besides the server's own, e.g. "https://lab.example.org" */
  allowedOrigins?: string[];
  stateDir?: string;
  templatesDir?: string;
  webDir?: string;
  /** how long a terminal no browser holds lives on (default 60 s), for one to come back or join it */
  reattachMs?: number;
  /** characters of recent output kept per terminal for a reattach */
  scrollbackChars?: number;
  /** at start: bring saved running labs back and remove what belongs to no lab */
  reconcile?: boolean;
  /** only labs whose name passes are reconciled or removed (tests share a kernel) */
  reconcileScope?: (lab: string) => boolean;
  /** how often the state directory is re-read for changes made by the CLI */
  watchMs?: number;
  /** lines for a person (stderr by default); the token never goes here */
  log?: (line: string) => void;
  /** nodes per lab at most (TOPOLAB_MAX_NODES, default 2500) */
  maxNodes?: number;
  /** links per lab at most (TOPOLAB_MAX_LINKS, default 5000) */
  maxLinks?: number;
  /** labs this server holds at most (TOPOLAB_MAX_LABS, default 100) */
  maxLabs?: number;
  /** false: big labs are checked on the main thread (to measure what the worker saves) */
  checkWorker?: boolean;
  /** class students' lab names start with it (default "c"; tests use their own) */
  classLabPrefix?: string;
}

/** How big labs may be and how many a server holds. */
export interface ServerLimits {
  maxNodes: number;
  maxLinks: number;
  maxLabs: number;
}

export const DEFAULT_SERVER_LIMITS: Readonly<ServerLimits> = { ...DEFAULT_LAB_LIMITS, maxLabs: 100 };

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 7380;
export const TOKEN_RULE = /^[A-Za-z0-9._~-]{16,256}$/;

export interface Config {
  host: string;
  port: number;
  token: string;
  extraOrigins: string[];
  stateDir?: string;
  templatesDir: string;
  webDir: string;
  reattachMs: number;
  scrollbackChars: number;
  reconcile: boolean;
  reconcileScope: (lab: string) => boolean;
  watchMs: number;
  log: (line: string) => void;
  limits: ServerLimits;
  checkWorker: boolean;
  classLabPrefix?: string;
}

/** The repository's root: the nearest directory above this file with pnpm-workspace.yaml. */
export function repoRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "pnpm-workspace.yaml"))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

/** A limit from an option or the environment: a whole number from 1, or an error naming where it came from. */
function limitFrom(option: number | undefined, env: string | undefined, name: string, fallback: number): number {
  const value = option ?? (env !== undefined ? Number(env) : fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number from 1, not ${JSON.stringify(option ?? env)}`);
  return value;
}

/** Why a token given by the person cannot be used, or null. */
export function tokenProblem(token: string): string | null {
  if (TOKEN_RULE.test(token)) return null;
  return "TOPOLAB_TOKEN must be 16 to 256 characters of letters, digits, '.', '_', '~' and '-'";
}

export function resolveConfig(o: ServerOptions, processEnv: NodeJS.ProcessEnv = process.env): Config {
  const root = repoRoot();
  // a variable set to nothing (compose's ${TOPOLAB_TOKEN:-}) counts as not set
  const env = Object.fromEntries(Object.entries(processEnv).filter(([, v]) => v !== undefined && v !== ""));
  const token = o.token ?? env["TOPOLAB_TOKEN"] ?? newToken();
  const problem = tokenProblem(token);
  if (problem) throw new Error(problem);
  const envOrigins = (env["TOPOLAB_ALLOWED_ORIGINS"] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    host: o.host ?? env["TOPOLAB_HOST"] ?? DEFAULT_HOST,
    port: o.port ?? (env["TOPOLAB_PORT"] ? Number(env["TOPOLAB_PORT"]) : DEFAULT_PORT),
    token,
    extraOrigins: [...envOrigins, ...(o.allowedOrigins ?? [])].map(normalizeOrigin),
    ...(o.stateDir ? { stateDir: o.stateDir } : {}),
    templatesDir: o.templatesDir ?? env["TOPOLAB_TEMPLATES_DIR"] ?? join(root, "templates"),
    webDir: o.webDir ?? env["TOPOLAB_WEB_DIR"] ?? join(root, "apps/web/dist"),
    reattachMs: o.reattachMs ?? 60_000,
    scrollbackChars: o.scrollbackChars ?? 100_000,
    reconcile: o.reconcile ?? true,
    reconcileScope: o.reconcileScope ?? (() => true),
    watchMs: o.watchMs ?? 2000,
    log: o.log ?? ((line) => process.stderr.write(`${line}\n`)),
    limits: {
      maxNodes: limitFrom(o.maxNodes, env["TOPOLAB_MAX_NODES"], "TOPOLAB_MAX_NODES", DEFAULT_SERVER_LIMITS.maxNodes),
      maxLinks: limitFrom(o.maxLinks, env["TOPOLAB_MAX_LINKS"], "TOPOLAB_MAX_LINKS", DEFAULT_SERVER_LIMITS.maxLinks),
      maxLabs: limitFrom(o.maxLabs, env["TOPOLAB_MAX_LABS"], "TOPOLAB_MAX_LABS", DEFAULT_SERVER_LIMITS.maxLabs),
    },
    checkWorker: o.checkWorker ?? true,
    ...(o.classLabPrefix ? { classLabPrefix: o.classLabPrefix } : {}),
  };
}

/** "HTTP://Example.org:80/" -> "http://example.org"; throws on what is not an origin. */
export function normalizeOrigin(text: string): string {
  const u = new URL(text);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`${text} is not an http(s) origin`);
  return u.origin;
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "[::]";
}

const bracket = (h: string) => (h.includes(":") && !h.startsWith("[") ? `[${h}]` : h);

/** The names a browser may put in Host (name:port) and Origin (http://name:port) for this server. */
export function reachableNames(host: string): string[] {
  const names = new Set<string>();
  if (isLoopback(host) || isWildcard(host)) ["127.0.0.1", "localhost", "[::1]"].forEach((n) => names.add(n));
  if (isWildcard(host)) {
    names.add(hostname().toLowerCase());
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) if (!a.address.startsWith("fe80")) names.add(bracket(a.address));
    }
  } else names.add(bracket(host.toLowerCase()));
  return [...names];
}

export interface AllowList {
  origins: Set<string>;
  hosts: Set<string>;
}

export function allowList(host: string, port: number, extraOrigins: string[]): AllowList {
  const origins = new Set<string>();
  const hosts = new Set<string>();
  for (const name of reachableNames(host)) {
    origins.add(`http://${name}:${port}`);
    hosts.add(`${name}:${port}`);
    if (port === 80) {
      origins.add(`http://${name}`);
      hosts.add(name);
    }
  }
  for (const o of extraOrigins) {
    origins.add(o);
    hosts.add(new URL(o).host);
  }
  return { origins, hosts };
}
