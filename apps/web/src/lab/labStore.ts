// One open lab as the page holds it: the server's document and the kernel's status as they
// arrive from the lab's room, the edits in flight (shown at once as a preview, their nodes
// marked "being created"), positions moved but not yet sent (debounced), the command log, and
// undo/redo as inverse changes (kept in the tab's sessionStorage across reloads).
//
// Knows: the order of events (lab:open joins the room, then lab:document / lab:status /
// lab:log / lab:busy / lab:removed follow; a reconnect opens again), that edits run one after
// another, and which edits can be undone. Leaves to others: drawing (Canvas), the changes'
// meaning (protocol, server), terminals (terminals/).

import type { Change, ErrorInfo, LabStatusView, LogEntry } from "@topolab/protocol";
import type { Lab, Position } from "@topolab/topology";
import { connection, RequestFailed } from "../lib/connection";
import { Store } from "../lib/emitter";
import { reasonOf, toast } from "../lib/toasts";
import { diffLabs, previewChanges, touchedNodes, withPositions } from "./diff";
import { loadHistory, renameHistory, saveHistory, sessionStore, type Step } from "./undoHistory";

export type NodeStatus = LabStatusView["nodes"][number];

export interface LabState {
  name: string;
  /** null until lab:open answered */
  doc: Lab | null;
  /** what the server last sent (doc is this with the edits in flight on top) */
  serverDoc: Lab | null;
  revision: number;
  running: boolean;
  openError: string | null;
  status: Map<string, NodeStatus>;
  statusRead: boolean;
  log: LogEntry[];
  busy: string | null;
  removed: { reason: string; renamedTo?: string } | null;
  /** nodes that edits in flight create or change */
  pending: ReadonlySet<string>;
  canUndo: boolean;
  canRedo: boolean;
  /** watch: this page sees the lab read-only (the instructor's watch, issue 15; the server refuses edits); edit: the usual */
  mode: "watch" | "edit";
}

export type EditOutcome = { ok: true } | { ok: false; error: ErrorInfo };

interface InFlight {
  changes: Change[];
}

const MOVE_DEBOUNCE_MS = 250;
/**
 * Stores open per lab on this page. A page that follows the same lab again (from its watch view
 * to its ordinary one) opens the new store before the old one closes: the old one's lab:close
 * would take the connection out of the lab's room under the new one, so only the last one sends it.
 */
const openStores = new Map<string, number>();
const MAX_LOG = 1000;
const MAX_UNDO = 200;

export class LabStore {
  readonly state: Store<LabState>;
  private inFlight: InFlight[] = [];
  private unsentMoves: Record<string, Position> = {};
  private moveBase: Record<string, Position> = {};
  private moveTimer: ReturnType<typeof setTimeout> | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private undoStack: Step[] = [];
  private redoStack: Step[] = [];
  private offs: (() => void)[] = [];
  private joined = false;
  private closed = false;

  constructor(
    readonly name: string,
    o: { watch?: boolean } = {},
  ) {
    // undo survives a reload of the tab (undoHistory.ts)
    const kept = loadHistory(sessionStore(), name);
    this.undoStack = kept.undo;
    this.redoStack = kept.redo;
    this.state = new Store<LabState>({
      name,
      doc: null,
      serverDoc: null,
      revision: 0,
      running: false,
      openError: null,
      status: new Map(),
      statusRead: false,
      log: [],
      busy: null,
      removed: null,
      pending: new Set(),
      canUndo: this.undoStack.length > 0,
      canRedo: this.redoStack.length > 0,
      mode: o.watch ? "watch" : "edit",
    });
  }

  /**
   * Joins the lab: listens to its room's events and opens it (at once when connected, else when
   * the connection comes, and again at every reconnect). The page calls it once it is committed
   * (a layout effect), not at construction: React may make a page's store in a render it then
   * throws away (a part of the page that suspends while its chunk loads), and such a store must
   * send nothing nor stay listening (each one left over sent its own lab:open, on the first load
   * and at each reconnect).
   */
  join(): void {
    if (this.joined || this.closed) return;
    this.joined = true;
    const name = this.name;
    openStores.set(name, (openStores.get(name) ?? 0) + 1);
    const c = connection();
    const mine =
      <T extends { lab: string }>(f: (p: T) => void) =>
      (p: T) => {
        if (p.lab === name) f(p);
      };
    this.offs.push(
      c.on(
        "lab:document",
        mine((p) => {
          if (p.revision < this.state.get().revision) return;
          this.patch({ serverDoc: p.document, revision: p.revision, running: p.running });
          this.recompute();
        }),
      ),
      c.on(
        "lab:status",
        mine((p) => this.setStatus(p.status)),
      ),
      c.on(
        "lab:log",
        mine((p) => this.patch({ log: [...this.state.get().log, ...p.entries].slice(-MAX_LOG) })),
      ),
      c.on(
        "lab:busy",
        mine((p) => this.patch({ busy: p.busy ? (p.what ?? "working") : null })),
      ),
      c.on(
        "lab:removed",
        mine((p) => {
          if (p.renamedTo) renameHistory(sessionStore(), name, p.renamedTo);
          else saveHistory(sessionStore(), name, { undo: [], redo: [] }); // the lab is gone
          this.patch({ removed: { reason: p.reason, ...(p.renamedTo ? { renamedTo: p.renamedTo } : {}) } });
        }),
      ),
      c.onConnect(() => void this.open()),
    );
  }

  private patch(p: Partial<LabState>): void {
    this.state.set({ ...this.state.get(), ...p });
  }

  private setStatus(status: LabStatusView): void {
    this.patch({ status: new Map(status.nodes.map((n) => [n.name, n])), statusRead: true });
  }

  /** Joins the lab's room and reads it whole (again after a reconnect). */
  async open(): Promise<void> {
    if (this.closed) return;
    try {
      const watch = this.state.get().mode === "watch";
      const view = await connection().request("lab:open", { lab: this.name, ...(watch ? { watch } : {}) });
      if (this.closed) return;
      this.patch({ serverDoc: view.document, revision: view.revision, running: view.running, log: view.log, openError: null, removed: null });
      if (view.status) this.setStatus(view.status);
      this.recompute();
    } catch (e) {
      this.patch({ openError: reasonOf(e) });
    }
  }

  /** "Take over" (edit) or back to watching (watch): the server is told first, and refuses edits while watching. */
  async setMode(mode: "watch" | "edit"): Promise<void> {
    await connection().request("lab:mode", { lab: this.name, mode });
    this.patch({ mode });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.joined) return;
    this.flushMoves();
    for (const off of this.offs) off();
    const name = this.name;
    const left = (openStores.get(name) ?? 1) - 1;
    if (left > 0) openStores.set(name, left);
    else openStores.delete(name);
    // after the page's other effects: a store of the same lab that starts in the same commit
    // (React runs the old page's clean-up before the new page's effects) keeps the room
    setTimeout(() => {
      if (!openStores.has(name) && connection().connected)
        void connection()
          .request("lab:close", { lab: name })
          .catch(() => undefined);
    }, 0);
  }

  /** The shown document: the server's, with the edits in flight and unsent moves on top. */
  private recompute(): void {
    const s = this.state.get();
    let doc = s.serverDoc;
    const pending = new Set<string>();
    if (doc) {
      for (const f of this.inFlight) {
        doc = previewChanges(doc, f.changes) ?? doc;
        for (const n of touchedNodes(f.changes)) pending.add(n);
      }
      doc = withPositions(doc, this.unsentMoves);
    }
    this.patch({ doc, pending, canUndo: this.undoStack.length > 0, canRedo: this.redoStack.length > 0 });
  }

  /**
   * Sends changes; all apply or none. Edits run one after another, each shown at once as a
   * preview. Returns the server's answer (its reason when it refused them).
   */
  edit(changes: Change[], o: { label: string; undoable?: boolean; quiet?: boolean } = { label: "edit" }): Promise<EditOutcome> {
    if (!changes.length) return Promise.resolve({ ok: true });
    const refused = this.refusal(o.quiet);
    if (refused) return Promise.resolve(refused);
    if (!changes.every((c) => c.type === "moveNodes")) this.flushMoves();
    const entry: InFlight = { changes };
    const run = async (): Promise<EditOutcome> => {
      const before = this.state.get().doc;
      this.inFlight.push(entry);
      this.recompute();
      try {
        await connection().request("lab:edit", { lab: this.name, changes });
        if (o.undoable !== false && before) {
          const after = previewChanges(before, changes);
          if (after) this.pushStep({ label: o.label, undo: diffLabs(after, before), redo: diffLabs(before, after) });
        }
        return { ok: true };
      } catch (e) {
        const error = e instanceof RequestFailed ? e.info : { code: "internal" as const, message: (e as Error).message };
        if (!o.quiet) toast("error", `${o.label}: refused`, reasonOf(e));
        return { ok: false, error };
      } finally {
        this.inFlight = this.inFlight.filter((x) => x !== entry);
        this.recompute();
      }
    };
    const p = this.chain.then(run, run);
    this.chain = p;
    return p;
  }

  /**
   * Why no change can be sent now, told to the person unless quiet; null when one can: a
   * watcher's view is read-only, and before the lab's document has come a change would be made
   * blind (a new node named h1 whatever the lab holds) and could not be undone (nothing to diff
   * it against).
   */
  private refusal(quiet?: boolean): EditOutcome | null {
    const refuse = (code: "invalid" | "busy", title: string, message: string): EditOutcome => {
      if (!quiet) toast("info", title, message);
      return { ok: false, error: { code, message } };
    };
    if (this.state.get().mode === "watch") return refuse("invalid", "Read-only", `you are watching lab ${this.name} read-only: take over to change it`);
    if (this.state.get().doc === null) return refuse("busy", "Loading", `lab ${this.name} is still loading: try again in a moment`);
    return null;
  }

  private pushStep(step: Step): void {
    if (!step.undo.length) return;
    this.undoStack.push(step);
    if (this.undoStack.length > MAX_UNDO) this.undoStack.shift();
    this.redoStack = [];
    this.saveHistory();
  }

  private saveHistory(): void {
    saveHistory(sessionStore(), this.name, { undo: this.undoStack, redo: this.redoStack });
  }

  undo(): Promise<void> {
    return this.step("undo", "Undo");
  }

  redo(): Promise<void> {
    return this.step("redo", "Redo");
  }

  /** Sends the last step of one stack (its undo or redo changes); on success it goes on the other. */
  private async step(which: "undo" | "redo", word: string): Promise<void> {
    this.flushMoves();
    await this.chain.catch(() => undefined);
    // the stacks as they are once the edits before have landed: an edit that lands meanwhile
    // makes a new redo stack, and a step put on the old one was lost (an undo pressed while a
    // delete was still in flight left nothing to redo)
    const [from, to] = which === "undo" ? [this.undoStack, this.redoStack] : [this.redoStack, this.undoStack];
    // refused before it is sent (read-only, still loading): the step stays where it is
    if (!from.length || this.refusal()) return;
    const step = from.pop()!;
    const r = await this.edit(step[which], { label: `${word} ${step.label}`, undoable: false });
    if (r.ok) to.push(step);
    this.saveHistory();
    this.recompute();
  }

  /** Nodes were moved on the canvas: shown at once, sent as one moveNodes a moment later. */
  move(positions: Record<string, Position>): void {
    if (this.state.get().mode === "watch") return;
    const doc = this.state.get().doc;
    for (const [name, p] of Object.entries(positions)) {
      if (!(name in this.moveBase)) {
        const old = doc?.nodes.find((n) => n.name === name)?.position;
        if (old) this.moveBase[name] = old;
      }
      this.unsentMoves[name] = { x: Math.round(p.x), y: Math.round(p.y) };
    }
    this.recompute();
    if (this.moveTimer) clearTimeout(this.moveTimer);
    this.moveTimer = setTimeout(() => this.flushMoves(), MOVE_DEBOUNCE_MS);
  }

  private flushMoves(): void {
    if (this.moveTimer) clearTimeout(this.moveTimer);
    this.moveTimer = null;
    const positions = this.unsentMoves;
    const base = this.moveBase;
    if (!Object.keys(positions).length) return;
    this.unsentMoves = {};
    this.moveBase = {};
    const changes: Change[] = [{ type: "moveNodes", positions }];
    const entry: InFlight = { changes };
    this.inFlight.push(entry); // keeps the nodes where they were dropped until the server answers
    const run = async () => {
      try {
        await connection().request("lab:edit", { lab: this.name, changes });
        const undo = Object.fromEntries(
          Object.keys(positions)
            .filter((n) => base[n])
            .map((n) => [n, base[n]!]),
        );
        if (Object.keys(undo).length) this.pushStep({ label: "Move", undo: [{ type: "moveNodes", positions: undo }], redo: changes });
      } catch (e) {
        toast("error", "Move: refused", reasonOf(e));
      } finally {
        this.inFlight = this.inFlight.filter((x) => x !== entry);
        this.recompute();
      }
    };
    this.chain = this.chain.then(run, run);
  }

  /** Asks the server to read the kernel now; the answer also goes to the room. */
  async refreshStatus(): Promise<void> {
    try {
      this.setStatus(await connection().request("lab:status", { lab: this.name }));
    } catch (e) {
      toast("error", "Could not read the kernel", reasonOf(e));
    }
  }

  async start(): Promise<void> {
    await connection()
      .request("lab:start", { lab: this.name })
      .catch((e) => toast("error", "Could not start the lab", reasonOf(e)));
  }

  async stop(): Promise<void> {
    await connection()
      .request("lab:stop", { lab: this.name })
      .catch((e) => toast("error", "Could not stop the lab", reasonOf(e)));
  }
}
