// All terminals of the server: who may use which (a browser session), which socket is
// attached to each, how long one waits for its browser after a disconnect, and which to end
// when a node or a lab goes away.
//
// Knows: sessions, sockets by id, limits on how many, the reattach window, and the reasons
// given to the browser. Leaves to others: a terminal's own life (terminal.ts), where its shell
// runs (the engine's nodeNamespace and shellSpec, called by the caller), the socket (a Sink).

import { randomBytes } from "node:crypto";
import type { ShellSpec } from "@topolab/engine";
import { LIMITS, type TerminalInfo } from "@topolab/protocol";
import { RequestError } from "../server/errors";
import { Terminal, type ExitInfo, type Sink } from "./terminal";

export interface TerminalsOptions {
  reattachMs: number;
  scrollbackChars: number;
  maxPerSession?: number;
  maxTotal?: number;
  highWater?: number;
  lowWater?: number;
}

/** A socket as terminals see it: an id, and where output, exits and take-overs go. */
export interface Attachment {
  socketId: string;
  output(id: string, data: string): void;
  exit(id: string, info: ExitInfo): void;
  /** another tab of the session took the terminal */
  detached(id: string, reason: string): void;
}

interface Entry {
  terminal: Terminal;
  session: string;
  at: Attachment | null;
  linger: NodeJS.Timeout | null;
}

export class Terminals {
  private entries = new Map<string, Entry>();
  /** why recently ended terminals ended, for a browser that comes back to one */
  private ended = new Map<string, string>();

  constructor(private readonly o: TerminalsOptions) {}

  info(t: Terminal): TerminalInfo {
    return { id: t.id, lab: t.lab, node: t.node, cols: t.cols, rows: t.rows, createdAt: t.createdAt };
  }

  get size(): number {
    return this.entries.size;
  }

  open(session: string, at: Attachment, where: { lab: string; node: string; cols: number; rows: number; spec: ShellSpec }): TerminalInfo {
    const mine = [...this.entries.values()].filter((e) => e.session === session).length;
    if (mine >= (this.o.maxPerSession ?? 32)) throw new RequestError("limit", `at most ${this.o.maxPerSession ?? 32} terminals per browser tab; close one first`);
    if (this.entries.size >= (this.o.maxTotal ?? 256)) throw new RequestError("limit", "the server has as many terminals open as it allows; close some first");
    const terminal = new Terminal(
      {
        id: randomBytes(12).toString("base64url"),
        ...where,
        scrollbackChars: this.o.scrollbackChars,
        highWater: this.o.highWater ?? LIMITS.highWater,
        lowWater: this.o.lowWater ?? LIMITS.lowWater,
      },
      (t, info) => this.exited(t, info),
    );
    this.entries.set(terminal.id, { terminal, session, at: null, linger: null });
    this.attach(session, at, terminal.id);
    return this.info(terminal);
  }

  private exited(t: Terminal, info: ExitInfo): void {
    const e = this.entries.get(t.id);
    if (e?.linger) clearTimeout(e.linger);
    this.entries.delete(t.id);
    this.ended.set(t.id, info.reason);
    if (this.ended.size > 1000) this.ended.delete(this.ended.keys().next().value!);
  }

  private entry(session: string, id: string): Entry {
    const e = this.entries.get(id);
    if (!e || e.session !== session) {
      const why = this.ended.get(id);
      throw new RequestError("not_found", why ? `that terminal has ended: ${why}` : "there is no such terminal");
    }
    return e;
  }

  /** Takes a terminal for a socket; returns its recent output. */
  attach(session: string, at: Attachment, id: string): { terminal: TerminalInfo; scrollback: string } {
    const e = this.entry(session, id);
    if (e.linger) clearTimeout(e.linger);
    e.linger = null;
    if (e.at && e.at.socketId !== at.socketId) e.at.detached(id, "the terminal was opened in another tab");
    e.at = at;
    const sink: Sink = { output: (data) => at.output(id, data), exit: (info) => at.exit(id, info) };
    const scrollback = e.terminal.attach(sink);
    return { terminal: this.info(e.terminal), scrollback };
  }

  list(session: string): TerminalInfo[] {
    return [...this.entries.values()].filter((e) => e.session === session).map((e) => this.info(e.terminal));
  }

  /** For the socket that holds the terminal; input from others is dropped. */
  input(session: string, socketId: string, id: string, data: string): void {
    const e = this.entry(session, id);
    if (e.at?.socketId === socketId) e.terminal.write(data);
  }

  resize(session: string, socketId: string, id: string, cols: number, rows: number): void {
    const e = this.entry(session, id);
    if (e.at?.socketId === socketId) e.terminal.resize(cols, rows);
  }

  ack(session: string, socketId: string, id: string, chars: number): void {
    const e = this.entry(session, id);
    if (e.at?.socketId === socketId) e.terminal.ack(chars);
  }

  async close(session: string, id: string, reason = "closed"): Promise<void> {
    await this.entry(session, id).terminal.close(reason);
  }

  /** The socket is gone: its terminals wait reattachMs for a browser, then end. */
  socketGone(socketId: string): void {
    for (const e of this.entries.values()) {
      if (e.at?.socketId !== socketId) continue;
      e.at = null;
      e.terminal.detach();
      e.linger = setTimeout(() => {
        void e.terminal.close(`no browser came back for it within ${Math.round(this.o.reattachMs / 1000)} s`);
      }, this.o.reattachMs);
      e.linger.unref();
    }
  }

  /**
   * The reason the terminals of these nodes will end with, set before a change that removes
   * them runs (the engine ends their shells with the namespace). Returns an undo, for when
   * the change does not apply.
   */
  expectEnd(lab: string, reasons: Map<string, string>): () => void {
    const marked: Terminal[] = [];
    for (const e of this.entries.values()) {
      const reason = e.terminal.lab === lab ? reasons.get(e.terminal.node) : undefined;
      if (reason && e.terminal.reason === undefined) {
        e.terminal.reason = reason;
        marked.push(e.terminal);
      }
    }
    return () => marked.forEach((t) => (t.reason = undefined));
  }

  /** Ends the lab's terminals (of the given nodes, or all), telling each browser why. */
  async closeLab(lab: string, reason: string | ((node: string) => string | undefined)): Promise<void> {
    const closing: Promise<unknown>[] = [];
    for (const e of this.entries.values()) {
      if (e.terminal.lab !== lab) continue;
      const why = typeof reason === "string" ? reason : reason(e.terminal.node);
      if (why) closing.push(e.terminal.close(why));
    }
    await Promise.all(closing);
  }

  async closeAll(reason: string): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => e.terminal.close(reason)));
  }
}
