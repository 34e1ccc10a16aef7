// All terminals of the server: which browser opened each and which holds it now (a session,
// named by the client it says it is and its address), which socket is attached to each, how
// long one waits for a browser after a disconnect, and which to end when a node or a lab goes
// away. A lab's terminals are listed to anyone on the lab and any browser may join one (take
// it over, with its scrollback): a shell whose tab was closed is found again from another.
// One that no browser holds ends after the reattach window, with everything it started.
//
// Knows: sessions, sockets by id, limits on how many, the reattach window, and the reasons
// given to the browser. Leaves to others: a terminal's own life (terminal.ts), where its shell
// runs (the engine's nodeNamespace and shellSpec, called by the caller), the socket (a Sink).

import { randomBytes } from "node:crypto";
import type { ShellSpec } from "@topolab/engine";
import { LIMITS, type ClientInfo, type TerminalInfo } from "@topolab/protocol";
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
  /** the browser session behind the socket, and how it is shown to others */
  session: string;
  client: ClientInfo;
  output(id: string, data: string): void;
  exit(id: string, info: ExitInfo): void;
  /** another tab of the session took the terminal */
  detached(id: string, reason: string): void;
}

interface Entry {
  terminal: Terminal;
  /** the session that holds it (or held it last): its term:list without a lab lists it */
  session: string;
  openedBy: ClientInfo;
  at: Attachment | null;
  linger: NodeJS.Timeout | null;
  detachedAt: string | null;
}

export class Terminals {
  private entries = new Map<string, Entry>();
  /** why recently ended terminals ended, for a browser that comes back to one */
  private ended = new Map<string, string>();

  constructor(private readonly o: TerminalsOptions) {}

  info(t: Terminal): TerminalInfo {
    const e = this.entries.get(t.id);
    return {
      id: t.id,
      lab: t.lab,
      node: t.node,
      cols: t.cols,
      rows: t.rows,
      createdAt: t.createdAt,
      ...(e ? { openedBy: e.openedBy } : {}),
      ...(e?.at ? { attachedBy: e.at.client } : {}),
      ...(e?.detachedAt ? { detachedAt: e.detachedAt } : {}),
    };
  }

  /** The reattach window, in ms: how long a terminal no browser holds lives on. */
  get reattachMs(): number {
    return this.o.reattachMs;
  }

  /** The shell's PID (the leader of its session), for tests and logs. */
  pid(id: string): number | undefined {
    return this.entries.get(id)?.terminal.pid;
  }

  get size(): number {
    return this.entries.size;
  }

  open(session: string, at: Attachment, where: { lab: string; node: string; cols: number; rows: number; spec: ShellSpec }): TerminalInfo {
    const mine = [...this.entries.values()].filter((e) => e.session === session).length;
    if (mine >= (this.o.maxPerSession ?? 32))
      throw new RequestError("limit", `at most ${this.o.maxPerSession ?? 32} terminals per browser tab; close one first`);
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
    this.entries.set(terminal.id, { terminal, session, openedBy: at.client, at: null, linger: null, detachedAt: null });
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

  /** Any terminal, whoever opened it: every browser on the server may join any lab's shells. */
  private entry(_session: string, id: string): Entry {
    const e = this.entries.get(id);
    if (!e) {
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
    e.detachedAt = null;
    if (e.at && e.at.socketId !== at.socketId) {
      e.at.detached(
        id,
        e.at.session === at.session
          ? "the terminal was opened in another tab"
          : `${at.client.name} (${at.client.address}) joined this terminal and holds it now`,
      );
    }
    e.at = at;
    e.session = session;
    const sink: Sink = { output: (data) => at.output(id, data), exit: (info) => at.exit(id, info) };
    const scrollback = e.terminal.attach(sink);
    return { terminal: this.info(e.terminal), scrollback };
  }

  /** Without a lab: the session's terminals. With one: all of the lab's (of one node), oldest first. */
  list(session: string, where: { lab?: string; node?: string } = {}): TerminalInfo[] {
    const mine = (e: Entry) =>
      where.lab === undefined ? e.session === session : e.terminal.lab === where.lab && (where.node === undefined || e.terminal.node === where.node);
    return [...this.entries.values()]
      .filter(mine)
      .map((e) => this.info(e.terminal))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
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
      e.detachedAt = new Date().toISOString();
      e.terminal.detach();
      e.linger = setTimeout(() => {
        void e.terminal.close(`no browser came back for it within ${+(this.o.reattachMs / 1000).toFixed(1)} s`);
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
