// One terminal's whole life: the pty is spawned here (with the engine's shellSpec, the same
// shell as `topolab shell`), and only here is it written to, resized, paused, resumed and
// ended; its listeners are removed when it exits. A sandbox around browser shells would go in
// this one place.
//
// Knows: node-pty (a pty that cannot start is an error for this terminal only, and pty read
// errors are listened to, so none can end the server), a clean environment for the shell (the server's own, with its token, is
// not passed on), output coalesced per tick, flow control against the attached browser, the
// scrollback kept for a reattach, and why it ended. Watchers (issue 15): read-only sinks that
// get the same output, each with a flow of its own that never pauses the pty (one behind is
// skipped, then redrawn from the scrollback: WatcherFlow). Leaves to others: which browser is
// attached or watching (terminals.ts) and the socket itself (a Sink).

import { spawn, type IDisposable, type IPty } from "node-pty";
import type { ShellSpec } from "@topolab/engine";
import { endSession } from "./session";
import { Flow, Scrollback, WatcherFlow } from "./flow";

export interface Sink {
  output(data: string): void;
  exit(info: ExitInfo): void;
}

export interface ExitInfo {
  code: number | null;
  signal: number | null;
  reason: string;
}

export interface TerminalOptions {
  id: string;
  lab: string;
  node: string;
  cols: number;
  rows: number;
  spec: ShellSpec;
  scrollbackChars: number;
  highWater: number;
  lowWater: number;
}

/** The environment a node's shell gets: a plain root login's, never the server's own. */
export function shellEnv(spec: ShellSpec): Record<string, string> {
  const keep = ["PATH", "LANG", "LC_ALL", "TZ"];
  const env: Record<string, string> = { HOME: spec.cwd, USER: "root", LOGNAME: "root", SHELL: "/bin/bash" };
  for (const k of keep) if (process.env[k]) env[k] = process.env[k]!;
  env["PATH"] ??= "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  env["LANG"] ??= "C.UTF-8";
  return { ...env, ...spec.env, TERM: "xterm-256color", COLORTERM: "truecolor" };
}

export class TerminalStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TerminalStartError";
  }
}

export class Terminal {
  readonly id: string;
  readonly lab: string;
  readonly node: string;
  readonly createdAt = new Date().toISOString();
  cols: number;
  rows: number;
  /** set before the terminal is ended on purpose, so the browser is told why */
  reason: string | undefined;

  private readonly pty: IPty;
  private readonly listeners: IDisposable[] = [];
  private readonly flow: Flow;
  private readonly scrollback: Scrollback;
  private sink: Sink | null = null;
  private readonly watchers = new Map<string, { sink: Sink; flow: WatcherFlow }>();
  private readonly highWater: number;
  private readonly lowWater: number;
  private pending: string[] = [];
  private flushing = false;
  private exited: Promise<ExitInfo>;
  private done = false;

  constructor(o: TerminalOptions, onExit: (t: Terminal, info: ExitInfo) => void) {
    this.id = o.id;
    this.lab = o.lab;
    this.node = o.node;
    this.cols = o.cols;
    this.rows = o.rows;
    this.flow = new Flow(o.highWater, o.lowWater);
    this.highWater = o.highWater;
    this.lowWater = o.lowWater;
    this.scrollback = new Scrollback(o.scrollbackChars);
    try {
      this.pty = spawn(o.spec.argv[0]!, o.spec.argv.slice(1), {
        name: "xterm-256color",
        cols: o.cols,
        rows: o.rows,
        cwd: o.spec.cwd,
        env: shellEnv(o.spec),
      });
    } catch (e) {
      // forkpty refused (no ptys left, a bad argument): this terminal fails, not the server
      throw new TerminalStartError(`cannot start a shell on ${o.node}: ${(e as Error).message}`);
    }
    // node-pty throws an unexpected read error of the pty from inside an event handler unless
    // someone else listens to "error": that would end the server with every terminal
    (this.pty as unknown as { on(event: "error", fn: (e: Error) => void): void }).on("error", () => {
      /* the pty closed under us: its exit is reported by onExit */
    });
    this.listeners.push(this.pty.onData((data) => this.data(data)));
    this.exited = new Promise((resolve) => {
      this.listeners.push(
        this.pty.onExit(({ exitCode, signal }) => {
          this.flush();
          const info: ExitInfo = {
            code: signal ? null : exitCode,
            signal: signal || null,
            reason: this.reason ?? (signal ? `the shell was ended by signal ${signal}` : `the shell exited with code ${exitCode}`),
          };
          this.done = true;
          for (const l of this.listeners.splice(0)) l.dispose();
          this.sink?.exit(info);
          this.sink = null;
          for (const w of this.watchers.values()) w.sink.exit(info);
          this.watchers.clear();
          onExit(this, info);
          resolve(info);
        }),
      );
    });
  }

  get pid(): number {
    return this.pty.pid;
  }

  get attached(): boolean {
    return this.sink !== null;
  }

  private data(data: string): void {
    this.scrollback.push(data);
    if (this.flow.sent(data.length)) this.pty.pause();
    if (!this.sink && !this.watchers.size) return;
    this.pending.push(data);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushing = false;
    if (!this.pending.length) return;
    const data = this.pending.length === 1 ? this.pending[0]! : this.pending.join("");
    this.pending = [];
    this.sink?.output(data);
    for (const w of this.watchers.values()) if (w.flow.offer(data.length)) w.sink.output(data);
  }

  /** A browser takes the terminal; it gets the recent output to draw first. */
  attach(sink: Sink): string {
    this.flush();
    this.sink = sink;
    if (this.flow.reset() && !this.done) this.pty.resume();
    return this.scrollback.text();
  }

  detach(): void {
    this.flush();
    this.pending = [];
    this.sink = null;
  }

  /** A read-only viewer (`key`: its socket); it gets the recent output to draw first, then all output, never pausing the shell. */
  watch(key: string, sink: Sink): string {
    this.flush();
    const flow = new WatcherFlow(this.highWater, this.lowWater);
    // (the scrollback comes back in the reply, which is not acked: it is not owed)
    this.watchers.set(key, { sink, flow });
    return this.scrollback.text();
  }

  unwatch(key: string): boolean {
    this.flush();
    return this.watchers.delete(key);
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  /** A watcher wrote `chars` characters; one that had fallen behind and is in reach again is redrawn from the scrollback. */
  watcherAck(key: string, chars: number): void {
    const w = this.watchers.get(key);
    if (!w || !w.flow.acked(chars)) return;
    this.flush();
    // RIS (a full reset of the screen), then the recent output: the watcher's screen is whole again
    const redraw = `\x1bc${this.scrollback.text()}`;
    w.flow.redrawn(redraw.length);
    w.sink.output(redraw);
  }

  /** How many characters a watcher missed since it fell behind (tests, logs). */
  watcherMissed(key: string): number {
    return this.watchers.get(key)?.flow.missed ?? 0;
  }

  write(data: string): void {
    if (!this.done) this.pty.write(data);
  }

  resize(cols: number, rows: number): void {
    if (this.done || (cols === this.cols && rows === this.rows)) return;
    this.cols = cols;
    this.rows = rows;
    this.pty.resize(cols, rows);
  }

  ack(chars: number): void {
    if (this.flow.acked(chars) && !this.done) this.pty.resume();
  }

  /** Ends the shell and everything it started; resolves once it has exited. */
  async close(reason: string): Promise<ExitInfo> {
    this.reason ??= reason;
    if (!this.done) {
      this.pty.resume(); // a paused pty would hold its exit back until node-pty's timeout
      await endSession(this.pty.pid);
    }
    return this.exited;
  }
}
