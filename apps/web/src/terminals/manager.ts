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
  /** live: attached here; exited: the shell is gone (reason says why); detached: another tab took it */
  state: "live" | "exited" | "detached";
  reason?: string;
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

class TerminalManager {
  readonly tabs = new Store<TermTab[]>([]);
  readonly active = new Store<string | null>(null);
  private screens = new Map<string, Screen>();
  private held = new Map<string, { data: string; counted: boolean }[]>();
  private unacked = new Map<string, number>();
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  private lab: string | null = null;
  private started = false;

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
    c.onConnect(() => void this.sync());
  }

  /** The lab page shows this lab's terminals (null: none, on the home page). */
  show(lab: string | null): void {
    this.start();
    if (lab === this.lab) return;
    this.lab = lab;
    this.tabs.set([]);
    this.active.set(null);
    this.screens.clear();
    this.held.clear();
    if (lab) void this.sync();
  }

  /** After a reload or a reconnect: this session's terminals of the lab, attached again. */
  private async sync(): Promise<void> {
    const lab = this.lab;
    if (!lab || !connection().connected) return;
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
      const { scrollback } = await connection().request("term:attach", { id });
      this.unacked.delete(id);
      this.held.set(id, []);
      this.screens.get(id)?.reset();
      this.deliver(id, scrollback, false);
      this.setTab(id, { state: "live", reason: undefined });
    } catch (e) {
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
    if (tab.state !== "exited")
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
    if (tab?.state !== "live") return;
    const c = Math.max(LIMITS.cols.min, Math.min(LIMITS.cols.max, cols));
    const r = Math.max(LIMITS.rows.min, Math.min(LIMITS.rows.max, rows));
    connection().fire("term:resize", { id, cols: c, rows: r });
  }
}

export const terminals = new TerminalManager();
