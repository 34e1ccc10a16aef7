// All terminals of the server: which browser opened each and which holds it now (a session,
// named by the client it says it is and its address), which socket is attached to each, how
// long one waits for a browser after a disconnect, and which to end when a node or a lab goes
// away. A lab's terminals are listed to anyone on the lab and any browser may join one (take
// it over, with its scrollback): a shell whose tab was closed is found again from another.
// One that no browser holds ends after the reattach window, with everything it started.
//
// Watchers (issue 15, the instructor's watch): any number of read-only viewers of a terminal
// besides its holder. They get its output (the recent scrollback first), each with its own flow
// (a slow one misses output and is redrawn, it never pauses the shell); their keystrokes are
// refused here, their sizes ignored (the pty keeps the holder's). A take-over makes a watcher
// (the instructor) the holder and the holder a watcher, told why (term:mode); while it lasts
// the terminal's owner cannot take it back (term:attach is "busy"); give-back (or the
// instructor's socket going) returns it to the owner's socket.
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
  /** read-only watchers of one terminal at most (default 16) */
  maxWatchers?: number;
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
  /** the socket holds the terminal now (hold) or only watches it (watch), and why (take-over, give-back) */
  mode(id: string, mode: "hold" | "watch", reason: string): void;
  /** to the holder: who watches the terminal now (whenever that changes, and when it comes to hold it) */
  watchers(id: string, watchers: ClientInfo[]): void;
}

/** The notices a take-over and a give-back show to the terminal's owner. */
export const TAKEN_OVER = "the instructor has taken over this terminal";
export const GIVEN_BACK = "the instructor gave this terminal back";

interface Entry {
  terminal: Terminal;
  /** the session that holds it (or held it last): its term:list without a lab lists it */
  session: string;
  openedBy: ClientInfo;
  at: Attachment | null;
  linger: NodeJS.Timeout | null;
  detachedAt: string | null;
  /** read-only viewers, by socket id */
  watchers: Map<string, Attachment>;
  /** while someone has taken the terminal over: who, and the owner's socket it was taken from (it watches meanwhile) */
  takenOver: { by: Attachment; fromSocket: string | null } | null;
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
      ...(e?.watchers.size ? { watchers: [...e.watchers.values()].map((w) => w.client) } : {}),
      ...(e?.takenOver ? { takenOverBy: e.takenOver.by.client } : {}),
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
    this.entries.set(terminal.id, { terminal, session, openedBy: at.client, at: null, linger: null, detachedAt: null, watchers: new Map(), takenOver: null });
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
    if (e.takenOver && e.takenOver.by.socketId !== at.socketId) {
      throw new RequestError("busy", `${TAKEN_OVER}: watch it (term:watch) until it is given back`);
    }
    this.dropWatcher(e, at.socketId);
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
    if (e.watchers.size) this.tellHolder(e);
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

  /**
   * For the socket that holds the terminal. A watcher's is refused (an error to the socket);
   * another's (a tab that was just detached) is dropped.
   */
  input(session: string, socketId: string, id: string, data: string): void {
    const e = this.entry(session, id);
    if (e.at?.socketId === socketId) e.terminal.write(data);
    else if (e.watchers.has(socketId)) {
      throw new RequestError(
        "invalid",
        e.takenOver ? `${TAKEN_OVER}: your keys do not reach it` : "you are watching this terminal: it is read-only",
        undefined,
        403,
      );
    }
  }

  /** The session a terminal belongs to (its owner, kept while it is taken over), if it exists. */
  ownerOf(id: string): string | undefined {
    return this.entries.get(id)?.session;
  }

  /** How much output a watcher missed since it fell behind (tests, the benchmark). */
  watcherMissed(socketId: string, id: string): number {
    return this.entries.get(id)?.terminal.watcherMissed(socketId) ?? 0;
  }

  labOf(id: string): string | undefined {
    return this.entries.get(id)?.terminal.lab;
  }

  /** Whether this socket only watches the terminal (tests, the dispatcher). */
  watching(socketId: string, id: string): boolean {
    return !!this.entries.get(id)?.watchers.has(socketId);
  }

  /**
   * A read-only viewer: the recent output comes back, then every term:output, each at the
   * watcher's own pace. The holder's socket cannot also watch it.
   */
  watch(session: string, at: Attachment, id: string): { terminal: TerminalInfo; scrollback: string } {
    const e = this.entry(session, id);
    if (e.at?.socketId === at.socketId) throw new RequestError("conflict", "this connection holds the terminal: it cannot also watch it");
    const max = this.o.maxWatchers ?? 16;
    if (!e.watchers.has(at.socketId) && e.watchers.size >= max) throw new RequestError("limit", `at most ${max} browsers watch one terminal; close one first`);
    return this.addWatcher(e, at);
  }

  private addWatcher(e: Entry, at: Attachment): { terminal: TerminalInfo; scrollback: string } {
    const id = e.terminal.id;
    e.watchers.set(at.socketId, at);
    const scrollback = e.terminal.watch(at.socketId, { output: (data) => at.output(id, data), exit: (info) => at.exit(id, info) });
    this.tellHolder(e);
    return { terminal: this.info(e.terminal), scrollback };
  }

  private dropWatcher(e: Entry, socketId: string): void {
    if (!e.watchers.delete(socketId)) return;
    e.terminal.unwatch(socketId);
    this.tellHolder(e);
  }

  /** The holder hears who watches (a student is told the instructor watches their shell). */
  private tellHolder(e: Entry): void {
    e.at?.watchers(
      e.terminal.id,
      [...e.watchers.values()].map((w) => w.client),
    );
  }

  unwatch(session: string, socketId: string, id: string): void {
    this.dropWatcher(this.entry(session, id), socketId);
  }

  /**
   * The instructor takes the terminal over: their socket holds it (its keys reach the shell,
   * its size is the pty's); the holder before (the owner) watches meanwhile, told so.
   * Returns the recent output, as term:attach does.
   */
  takeOver(session: string, at: Attachment, id: string): { terminal: TerminalInfo; scrollback: string } {
    const e = this.entry(session, id);
    if (e.takenOver) {
      if (e.takenOver.by.socketId === at.socketId) return { terminal: this.info(e.terminal), scrollback: e.terminal.attach(this.sinkOf(at, id)) };
      throw new RequestError("busy", `${e.takenOver.by.client.name} (${e.takenOver.by.client.address}) has taken this terminal over already`);
    }
    const before = e.at && e.at.socketId !== at.socketId ? e.at : null;
    this.dropWatcher(e, at.socketId);
    if (e.linger) clearTimeout(e.linger);
    e.linger = null;
    e.detachedAt = null;
    e.takenOver = { by: at, fromSocket: before?.socketId ?? null };
    e.at = at;
    const scrollback = e.terminal.attach(this.sinkOf(at, id));
    this.tellHolder(e);
    if (before) {
      this.addWatcher(e, before);
      before.mode(id, "watch", TAKEN_OVER);
    }
    return { terminal: this.info(e.terminal), scrollback };
  }

  /**
   * The instructor gives the terminal back: the owner's socket that watched it holds it again
   * (or another of the owner's watching sockets); the instructor's watches on. With no socket
   * of the owner's there, no one holds it: it waits the reattach window for them, as any
   * terminal whose browser went.
   */
  giveBack(session: string, socketId: string, id: string): void {
    const e = this.entry(session, id);
    if (!e.takenOver || e.takenOver.by.socketId !== socketId) throw new RequestError("conflict", "this connection has not taken the terminal over");
    const instructor = e.takenOver.by;
    this.returnToOwner(e);
    this.addWatcher(e, instructor);
    instructor.mode(id, "watch", "you gave the terminal back and watch it");
  }

  private returnToOwner(e: Entry): void {
    const id = e.terminal.id;
    const from = e.takenOver?.fromSocket;
    e.takenOver = null;
    const owner = (from ? e.watchers.get(from) : undefined) ?? [...e.watchers.values()].find((w) => w.session === e.session);
    if (owner) {
      this.dropWatcher(e, owner.socketId);
      e.at = owner;
      e.terminal.attach(this.sinkOf(owner, id));
      owner.mode(id, "hold", GIVEN_BACK);
      this.tellHolder(e);
      return;
    }
    e.at = null;
    this.unheld(e);
  }

  private sinkOf(at: Attachment, id: string): Sink {
    return { output: (data) => at.output(id, data), exit: (info) => at.exit(id, info) };
  }

  /** No socket holds the terminal now: it waits reattachMs for a browser, then ends. */
  private unheld(e: Entry): void {
    e.detachedAt = new Date().toISOString();
    e.terminal.detach();
    if (e.linger) clearTimeout(e.linger);
    e.linger = setTimeout(() => {
      void e.terminal.close(`no browser came back for it within ${+(this.o.reattachMs / 1000).toFixed(1)} s`);
    }, this.o.reattachMs);
    e.linger.unref();
  }

  /** The holder's size is the pty's; a watcher's is ignored (its screen shows the holder's lines). */
  resize(session: string, socketId: string, id: string, cols: number, rows: number): void {
    const e = this.entry(session, id);
    if (e.at?.socketId === socketId) e.terminal.resize(cols, rows);
  }

  /** Each socket's acks count for its own flow only: the holder's pause the shell, a watcher's its own stream. */
  ack(session: string, socketId: string, id: string, chars: number): void {
    const e = this.entry(session, id);
    if (e.at?.socketId === socketId) e.terminal.ack(chars);
    else if (e.watchers.has(socketId)) e.terminal.watcherAck(socketId, chars);
  }

  async close(session: string, id: string, reason = "closed"): Promise<void> {
    await this.entry(session, id).terminal.close(reason);
  }

  /** The socket is gone: its terminals wait reattachMs for a browser, then end. */
  socketGone(socketId: string): void {
    for (const e of this.entries.values()) {
      this.dropWatcher(e, socketId);
      if (e.takenOver?.fromSocket === socketId) e.takenOver.fromSocket = null;
      if (e.at?.socketId !== socketId) continue;
      // the instructor's socket went while it had the terminal: back to its owner
      if (e.takenOver) this.returnToOwner(e);
      else {
        e.at = null;
        this.unheld(e);
      }
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
