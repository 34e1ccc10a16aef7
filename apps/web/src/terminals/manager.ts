// The page's terminals, apart from how they are drawn: which tabs exist and in what state,
// output kept until a screen (the lazily loaded xterm view) takes it, flow-control acks, and
// coming back after a reload or a lost connection.
//
// Also the lab's running shells, whoever opened them (term:list with the lab): a shell whose
// tab was closed, or another browser's, is joined (term:attach takes it over, with its
// scrollback) from the dock's list.
//
// Knows the protocol's terminal events: term:open, term:list and term:attach (scrollback),
// term:input / term:resize / term:ack (fire and forget), term:output, term:exit (with the
// reason: shell exited, node removed, lab stopped), term:detached. The server pauses a shell
// whose unacknowledged output passes LIMITS.highWater: the view acks what xterm has written.
// Watching (issue 15): on the instructor's watch page every shell of the lab is watched
// read-only (term:watch, listed again every few seconds for new ones), and each can be taken
// over (term:takeover) and given back (term:giveback). A student whose shell the instructor
// took over watches it meanwhile (term:mode), and a reload then watches it (term:attach is
// "busy") until it is given back. A watching tab sends no keys and no size, but acks.
// Leaves to others: drawing (TerminalView), the dock's layout (Dock).

import { LIMITS, type TerminalInfo } from "@topolab/protocol";
import { connection, RequestFailed } from "../lib/connection";
import { Store } from "../lib/emitter";
import { reasonOf, toast } from "../lib/toasts";

export interface TermTab {
  id: string;
  lab: string;
  node: string;
  createdAt: string;
  /**
   * live: attached here; exited: the shell is gone (reason says why); detached: another tab
   * took it; watching: read-only here (the instructor's watch, or a student whose shell the
   * instructor took over: reason says so)
   */
  state: "live" | "exited" | "detached" | "watching";
  reason?: string;
  /** live because this page took it over from its owner (the instructor): it can be given back */
  takenOver?: boolean;
  /** who watches it read-only while this page holds it (the server says so: term:watchers) */
  watchedBy?: string[];
}

/** Where a terminal's output goes once its screen exists. */
export interface Screen {
  /** `counted`: term:output, to be acked once written; scrollback and notes are not counted */
  write(data: string, counted: boolean): void;
  /** clears the screen before a reattach writes the scrollback again */
  reset(): void;
}

const ACK_EVERY = 16 * 1024;
const ACK_AFTER_MS = 40;
/** on the watch page: how often the lab's shells are listed again, for the ones opened since */
const WATCH_LIST_MS = 2000;

class TerminalManager {
  readonly tabs = new Store<TermTab[]>([]);
  readonly active = new Store<string | null>(null);
  private screens = new Map<string, Screen>();
  private held = new Map<string, { data: string; counted: boolean }[]>();
  private unacked = new Map<string, number>();
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  private lab: string | null = null;
  private started = false;
  /** the instructor's watch page: every shell of the lab watched, read-only */
  private watchMode = false;
  private watchTimer: ReturnType<typeof setInterval> | null = null;
  /** each screen's last size, sent when this page comes to hold the shell (a take-over, a give-back) */
  private sizes = new Map<string, { cols: number; rows: number }>();

  private start(): void {
    if (this.started) return;
    this.started = true;
    const c = connection();
    c.on("term:output", ({ id, data }) => this.deliver(id, data, true));
    c.on("term:exit", ({ id, reason }) => this.ended(id, reason));
    c.on("term:detached", ({ id, reason }) => {
      this.setTab(id, { state: "detached", reason });
      this.deliver(id, `\r\n\x1b[33m[${reason}]\x1b[0m\r\n`, false);
    });
    c.on("term:watchers", ({ id, watchers }) => this.setTab(id, { watchedBy: watchers.map((w) => w.name) }));
    c.on("term:mode", ({ id, mode, reason }) => {
      const tab = this.tabById(id);
      if (!tab || tab.state === "exited") return;
      if (mode === "watch") this.setTab(id, { state: "watching", reason, takenOver: false });
      else {
        this.setTab(id, { state: "live", reason: undefined, takenOver: false });
        this.sendSize(id);
      }
      this.deliver(id, `\r\n\x1b[33m[${reason}]\x1b[0m\r\n`, false);
      if (!this.watchMode) toast("info", `Terminal ${tab.node}`, reason);
    });
    c.onConnect(() => void this.sync());
  }

  /** The lab page shows this lab's terminals (null: none, on the home page); watch: every shell of it, read-only. */
  show(lab: string | null, o: { watch?: boolean } = {}): void {
    this.start();
    const watch = !!lab && !!o.watch;
    if (lab === this.lab && watch === this.watchMode) return;
    // the shells this page watched are let go (the server would go on sending their output)
    for (const t of this.tabs.get()) {
      if (t.state === "watching" && connection().connected)
        void connection()
          .request("term:unwatch", { id: t.id })
          .catch(() => undefined);
    }
    this.lab = lab;
    this.watchMode = watch;
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.watchTimer = watch ? setInterval(() => void this.watchNew(), WATCH_LIST_MS) : null;
    this.tabs.set([]);
    this.active.set(null);
    this.screens.clear();
    this.held.clear();
    this.sizes.clear();
    if (lab) void this.sync();
  }

  /** The instructor's watch page (every shell read-only until taken over). */
  get watching(): boolean {
    return this.watchMode;
  }

  /** Watch page: every shell of the lab not shown yet gets a watching tab. */
  private async watchNew(): Promise<void> {
    const lab = this.lab;
    if (!lab || !this.watchMode || !connection().connected) return;
    let list: TerminalInfo[];
    try {
      list = await connection().request("term:list", { lab });
    } catch {
      return;
    }
    if (lab !== this.lab) return;
    for (const info of list.sort((a, b) => a.createdAt.localeCompare(b.createdAt))) {
      if (this.tabById(info.id)) continue;
      this.addTab({ id: info.id, lab: info.lab, node: info.node, createdAt: info.createdAt, state: "watching" }, false);
      await this.watch(info.id);
    }
  }

  /** Watches a shell read-only: its screen is cleared and its recent output written, then its output follows. */
  async watch(id: string): Promise<void> {
    try {
      const { scrollback } = await connection().request("term:watch", { id });
      this.unacked.delete(id);
      this.held.set(id, []);
      this.screens.get(id)?.reset();
      this.deliver(id, scrollback, false);
      this.setTab(id, { state: "watching", takenOver: false });
    } catch (e) {
      this.ended(id, e instanceof RequestFailed ? e.info.message.replace(/^that terminal has ended: /, "") : reasonOf(e));
    }
  }

  /** The instructor takes a student's shell over: keys from here reach it; the student watches meanwhile. */
  async takeOver(id: string): Promise<void> {
    try {
      const { scrollback } = await connection().request("term:takeover", { id });
      this.unacked.delete(id);
      this.held.set(id, []);
      this.screens.get(id)?.reset();
      this.deliver(id, scrollback, false);
      this.setTab(id, { state: "live", reason: undefined, takenOver: true });
      this.sendSize(id);
    } catch (e) {
      toast("error", "Could not take the shell over", reasonOf(e));
    }
  }

  /** Gives a shell taken over back to its owner; this page watches on. */
  async giveBack(id: string): Promise<void> {
    try {
      await connection().request("term:giveback", { id });
      this.setTab(id, { state: "watching", takenOver: false });
    } catch (e) {
      toast("error", "Could not give the shell back", reasonOf(e));
    }
  }

  private sendSize(id: string): void {
    const size = this.sizes.get(id);
    if (size) connection().fire("term:resize", { id, ...size });
  }

  /** After a reload or a reconnect: this session's terminals of the lab, attached again. */
  private async sync(): Promise<void> {
    const lab = this.lab;
    if (!lab || !connection().connected) return;
    if (this.watchMode) {
      // after a reconnect the server knows none of this page's watches (nor a take-over: it went back to its owner)
      for (const t of this.tabs.get()) if (t.state !== "exited") await this.watch(t.id);
      await this.watchNew();
      if (!this.active.get() && this.tabs.get().length) this.active.set(this.tabs.get()[0]!.id);
      return;
    }
    let list: TerminalInfo[];
    try {
      list = await connection().request("term:list", {});
    } catch {
      return;
    }
    if (lab !== this.lab) return;
    const known = new Map(this.tabs.get().map((t) => [t.id, t]));
    // tabs of this page whose terminal the server no longer has
    for (const t of known.values()) {
      if (t.state !== "exited" && !list.some((x) => x.id === t.id)) void this.attach(t.id);
    }
    for (const info of list.filter((x) => x.lab === lab).sort((a, b) => a.createdAt.localeCompare(b.createdAt))) {
      const tab = known.get(info.id);
      if (tab?.state === "detached") continue; // taken by another browser tab: only on request
      if (!tab) this.addTab({ id: info.id, lab: info.lab, node: info.node, createdAt: info.createdAt, state: "live" }, false);
      await this.attach(info.id);
    }
    if (!this.active.get() && this.tabs.get().length) this.active.set(this.tabs.get()[0]!.id);
  }

  /** Every running shell of the shown lab (of one node), whoever opened it, oldest first. */
  async running(node?: string): Promise<TerminalInfo[]> {
    const lab = this.lab;
    if (!lab) return [];
    return connection().request("term:list", { lab, ...(node ? { node } : {}) });
  }

  /** Joins a running shell: a tab for it here (if there is none), which takes it over. */
  async join(info: TerminalInfo): Promise<void> {
    this.start();
    const tab = this.tabById(info.id);
    if (tab?.state === "live") {
      this.active.set(info.id);
      return;
    }
    if (tab) this.active.set(info.id);
    else this.addTab({ id: info.id, lab: info.lab, node: info.node, createdAt: info.createdAt, state: "live" }, true);
    await this.attach(info.id);
  }

  /** Takes the terminal (again): its screen is cleared and its recent output written. */
  async attach(id: string): Promise<void> {
    try {
      const { terminal, scrollback } = await connection().request("term:attach", { id });
      this.unacked.delete(id);
      this.held.set(id, []);
      this.screens.get(id)?.reset();
      this.deliver(id, scrollback, false);
      this.setTab(id, { state: "live", reason: undefined, takenOver: !!terminal.takenOverBy });
    } catch (e) {
      // the instructor has taken it over: watch it until it is given back
      if (e instanceof RequestFailed && e.info.code === "busy") {
        await this.watch(id);
        this.setTab(id, { reason: e.info.message.replace(/:.*$/, "") });
        return;
      }
      this.ended(id, e instanceof RequestFailed ? e.info.message.replace(/^that terminal has ended: /, "") : reasonOf(e));
    }
  }

  private tabById(id: string): TermTab | undefined {
    return this.tabs.get().find((t) => t.id === id);
  }

  private addTab(tab: TermTab, activate: boolean): void {
    if (this.tabById(tab.id)) return;
    this.tabs.set([...this.tabs.get(), tab]);
    if (activate || !this.active.get()) this.active.set(tab.id);
  }

  private setTab(id: string, p: Partial<TermTab>): void {
    if (!this.tabById(id)) return;
    this.tabs.set(this.tabs.get().map((t) => (t.id === id ? { ...t, ...p } : t)));
  }

  private ended(id: string, reason: string): void {
    const tab = this.tabById(id);
    if (!tab || tab.state === "exited") return;
    this.setTab(id, { state: "exited", reason });
    this.deliver(id, `\r\n\x1b[31m[closed: ${reason}]\x1b[0m\r\n`, false);
    if (/removed|renamed|deleted|stopped|became/.test(reason)) toast("info", `Terminal ${tab.node} closed`, reason);
  }

  /** Opens a shell on a node, or shows the one already open there. */
  async open(lab: string, node: string, o: { another?: boolean; cols?: number; rows?: number } = {}): Promise<void> {
    this.start();
    const existing = this.tabs.get().find((t) => t.node === node && t.lab === lab && t.state === "live");
    if (existing && !o.another) {
      this.active.set(existing.id);
      return;
    }
    try {
      const info = await connection().request("term:open", { lab, node, cols: o.cols ?? 100, rows: o.rows ?? 24 });
      this.addTab({ id: info.id, lab: info.lab, node: info.node, createdAt: info.createdAt, state: "live" }, true);
    } catch (e) {
      toast("error", `Could not open a terminal on ${node}`, reasonOf(e));
    }
  }

  async close(id: string): Promise<void> {
    const tab = this.tabById(id);
    if (!tab) return;
    const rest = this.tabs.get().filter((t) => t.id !== id);
    this.tabs.set(rest);
    if (this.active.get() === id) this.active.set(rest[rest.length - 1]?.id ?? null);
    this.screens.delete(id);
    this.held.delete(id);
    // a watched shell is not this page's to end: it is only let go
    if (tab.state === "watching" || (this.watchMode && tab.takenOver))
      await connection()
        .request(tab.takenOver ? "term:giveback" : "term:unwatch", { id })
        .catch(() => undefined);
    else if (tab.state !== "exited")
      await connection()
        .request("term:close", { id })
        .catch(() => undefined);
  }

  /** A screen is ready: it gets what arrived before it. */
  attachScreen(id: string, screen: Screen): () => void {
    this.screens.set(id, screen);
    for (const chunk of this.held.get(id) ?? []) screen.write(chunk.data, chunk.counted);
    this.held.delete(id);
    return () => {
      if (this.screens.get(id) === screen) this.screens.delete(id);
    };
  }

  private deliver(id: string, data: string, counted: boolean): void {
    if (!data) return;
    const screen = this.screens.get(id);
    if (screen) screen.write(data, counted);
    else {
      const held = this.held.get(id) ?? [];
      held.push({ data, counted });
      this.held.set(id, held);
      // nothing draws it yet: ack anyway so that the shell is not paused for a hidden tab
      if (counted) this.written(id, data.length);
    }
  }

  /** The screen wrote `chars` characters of term:output: acked in batches. */
  written(id: string, chars: number): void {
    const n = (this.unacked.get(id) ?? 0) + chars;
    this.unacked.set(id, n);
    if (n >= ACK_EVERY) this.flushAcks();
    else if (!this.ackTimer) this.ackTimer = setTimeout(() => this.flushAcks(), ACK_AFTER_MS);
  }

  private flushAcks(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    for (const [id, chars] of this.unacked) {
      if (chars > 0) connection().fire("term:ack", { id, chars: Math.min(chars, LIMITS.maxMessageBytes) });
    }
    this.unacked.clear();
  }

  input(id: string, data: string): void {
    const tab = this.tabById(id);
    if (tab?.state !== "live") return;
    for (let i = 0; i < data.length; i += LIMITS.maxInput) connection().fire("term:input", { id, data: data.slice(i, i + LIMITS.maxInput) });
  }

  resize(id: string, cols: number, rows: number): void {
    const tab = this.tabById(id);
    const c = Math.max(LIMITS.cols.min, Math.min(LIMITS.cols.max, cols));
    const r = Math.max(LIMITS.rows.min, Math.min(LIMITS.rows.max, rows));
    this.sizes.set(id, { cols: c, rows: r });
    // a watcher's size is not the shell's: the holder's is
    if (tab?.state !== "live") return;
    connection().fire("term:resize", { id, cols: c, rows: r });
  }
}

export const terminals = new TerminalManager();
