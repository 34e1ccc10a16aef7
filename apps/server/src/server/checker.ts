// Reading and validating labs without stalling the server: a lab file's YAML and a big lab's
// rules take hundreds of milliseconds (a 300 KB YAML file: about 0.3 to 0.5 s to parse on this
// project's machine), during which one event loop would answer nobody. Small documents are
// checked in place (a worker's round trip costs more than they do); big ones in a worker
// thread, one at a time, each with a time limit after which the worker is replaced. Sizes are
// enforced here, on every path that takes a lab: the file text and the document, each at most
// LIMITS.maxLabText bytes; and the node and link caps of the server's configuration.
//
// Knows: the thresholds, the worker's life, the byte limits. Leaves to others: the rules
// (topology's parseLabText, validateLab), where labs come from (labs.ts, rest.ts, sockets.ts).
//
// The worker's code is check-worker.ts bundled with esbuild when the server starts (the
// server runs from TypeScript source in tests and from a bundle in production; one bundle
// made here serves both). When that cannot be done, checks run in place and the log says so.

import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { DEFAULT_LAB_LIMITS, parseLabText, validateLab, type LabLimits, type ParsedLabFile, type Validated } from "@topolab/topology";
import { LIMITS } from "@topolab/protocol";
import { repoRoot } from "./config";
import { RequestError, tooLarge } from "./errors";

export type CheckOptions = { name?: string };
export type CheckJob =
  | { id: number; kind: "text"; text: string; options: CheckOptions & { limits: LabLimits } }
  | { id: number; kind: "document"; input: unknown; options: CheckOptions & { limits: LabLimits } };
export type CheckReply = { id: number; ok: true; result: ParsedLabFile | Validated } | { id: number; ok: false; message: string };

/** Text shorter than this is parsed in place. */
export const INLINE_TEXT_BYTES = 16 * 1024;
/** Documents with fewer nodes and links than this are validated in place. */
export const INLINE_ITEMS = 200;
/** A check that takes longer is abandoned, and its worker replaced. */
export const CHECK_TIMEOUT_MS = 20_000;
/** Checks waiting for the worker at most; more are refused (the server is being flooded). */
const MAX_WAITING = 32;

export interface CheckerOptions {
  limits?: Partial<LabLimits>;
  /** false: every check in place (the CLI's way); for measuring the difference */
  worker?: boolean;
  timeoutMs?: number;
  log?: (line: string) => void;
}

type Pending = { job: CheckJob; resolve: (r: ParsedLabFile | Validated) => void; reject: (e: Error) => void };

/** The byte length of a text in UTF-8, without encoding it when it is certainly short. */
function utf8Bytes(text: string): number {
  return text.length * 3 <= LIMITS.maxLabText ? text.length : Buffer.byteLength(text, "utf8");
}

export class LabChecker {
  readonly limits: LabLimits;
  private worker: Worker | null = null;
  private source: Promise<string | null> | null = null;
  private queue: Pending[] = [];
  private running: { pending: Pending; timer: NodeJS.Timeout } | null = null;
  private nextId = 1;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly log: (line: string) => void;

  constructor(private readonly o: CheckerOptions = {}) {
    this.limits = { ...DEFAULT_LAB_LIMITS, ...o.limits };
    this.timeoutMs = o.timeoutMs ?? CHECK_TIMEOUT_MS;
    this.log = o.log ?? (() => undefined);
    // bundle the worker now, so that the first big lab does not wait for it
    if (o.worker !== false) void this.workerSource();
  }

  /** A lab file's text (YAML or JSON): its size first, then parsed and validated. */
  async parseText(text: string, options: CheckOptions = {}, what = "the lab file"): Promise<ParsedLabFile> {
    const size = utf8Bytes(text);
    if (size > LIMITS.maxLabText) throw tooLarge(what, size, LIMITS.maxLabText);
    const opts = { ...options, limits: this.limits };
    if (size < INLINE_TEXT_BYTES || this.o.worker === false) return parseLabText(text, opts);
    return this.inWorker({ id: this.nextId++, kind: "text", text, options: opts });
  }

  /** A lab document (input form): its size as JSON first, then validated. */
  async validate(input: unknown, options: CheckOptions = {}): Promise<Validated> {
    let json: string;
    try {
      json = JSON.stringify(input) ?? "";
    } catch {
      // nesting deeper than the stack: nothing of a lab is that deep
      throw new RequestError("invalid", "the lab document is nested too deeply to be a lab", [{ path: "", message: "is nested too deeply" }]);
    }
    const size = utf8Bytes(json);
    if (size > LIMITS.maxLabText) throw tooLarge("the lab document (as JSON)", size, LIMITS.maxLabText);
    const opts = { ...options, limits: this.limits };
    const doc = (typeof input === "object" && input !== null ? input : {}) as { nodes?: unknown; links?: unknown };
    const items = (Array.isArray(doc.nodes) ? doc.nodes.length : 0) + (Array.isArray(doc.links) ? doc.links.length : 0);
    if (items < INLINE_ITEMS || this.o.worker === false) return validateLab(input, opts);
    return (await this.inWorker({ id: this.nextId++, kind: "document", input, options: opts })) as Validated;
  }

  async close(): Promise<void> {
    this.closed = true;
    const run = this.running;
    this.running = null;
    if (run) {
      clearTimeout(run.timer);
      run.pending.reject(new RequestError("internal", "the server is shutting down"));
    }
    for (const p of this.queue.splice(0)) p.reject(new RequestError("internal", "the server is shutting down"));
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private workerSource(): Promise<string | null> {
    this.source ??= (async () => {
      try {
        // esbuild from the repository (a development dependency that the server's bundles are
        // made with), found at run time: never bundled into the CLI, whose API needs its own files
        const root = repoRoot();
        const esbuild = createRequire(join(root, "package.json")).resolve("esbuild");
        const { build } = (await import(pathToFileURL(esbuild).href)) as typeof import("esbuild");
        const out = await build({
          absWorkingDir: root,
          entryPoints: [join(root, "apps/server/src/server/check-worker.ts")],
          bundle: true,
          platform: "node",
          target: "node20",
          format: "cjs",
          write: false,
          logLevel: "silent",
        });
        return out.outputFiles[0]!.text;
      } catch (e) {
        this.log(`topolab: big labs are checked on the main thread (the checker's worker could not be built: ${(e as Error).message.split("\n")[0]})`);
        return null;
      }
    })();
    return this.source;
  }

  private async inWorker(job: CheckJob): Promise<ParsedLabFile | Validated> {
    const source = await this.workerSource();
    if (source === null || this.closed) {
      return job.kind === "text" ? parseLabText(job.text, job.options) : validateLab(job.input, job.options);
    }
    if (this.queue.length >= MAX_WAITING) throw new RequestError("limit", "too many labs are being checked at once; try again in a moment");
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.pump(source);
    });
  }

  private spawn(source: string): Worker {
    // a worker of its own size: a hostile document cannot take the server's memory with it
    const w = new Worker(source, { eval: true, resourceLimits: { maxOldGenerationSizeMb: 512 } });
    w.unref();
    w.on("message", (reply: CheckReply) => {
      const run = this.running;
      if (!run || run.pending.job.id !== reply.id) return;
      clearTimeout(run.timer);
      this.running = null;
      if (reply.ok) run.pending.resolve(reply.result);
      else run.pending.reject(new RequestError("internal", `checking the lab failed: ${reply.message}`));
      this.pump(source);
    });
    const gone = (why: string) => {
      if (this.worker !== w) return;
      this.worker = null;
      const run = this.running;
      this.running = null;
      if (run) {
        clearTimeout(run.timer);
        run.pending.reject(new RequestError("limit", `the lab could not be checked: ${why}`, undefined, 413));
      }
      this.pump(source);
    };
    w.on("error", (e) => gone(e.message.includes("memory") ? "it needs too much memory" : e.message));
    w.on("exit", (code) => gone(`the checker stopped (exit ${code})`));
    return w;
  }

  private pump(source: string): void {
    if (this.running || this.closed) return;
    const next = this.queue.shift();
    if (!next) return;
    this.worker ??= this.spawn(source);
    const w = this.worker;
    const timer = setTimeout(() => {
      if (this.running?.pending !== next) return;
      this.running = null;
      this.worker = null;
      void w.terminate();
      next.reject(new RequestError("limit", `checking the lab took longer than ${Math.round(this.timeoutMs / 1000)} s, and was given up`, undefined, 413));
      this.pump(source);
    }, this.timeoutMs);
    this.running = { pending: next, timer };
    w.postMessage(next.job);
  }
}
