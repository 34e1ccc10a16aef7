// Labs as the server holds them: list, create (blank, template, uploaded file), open, edit,
// rename, delete, start, stop; each lab's changes run one after another, and every accepted
// change goes to every browser in the lab's room.
//
// Knows: the order of a change (apply the edits to the document, validate, let the engine
// apply it whole or not at all, then end the shells of removed nodes and broadcast), that
// moves and labels and stopped labs need no kernel work, revisions, and the state directory as
// the one source of truth (re-read on every request, so labs made by the CLI appear).
// Leaves to others: the kernel (engine), the rules (topology), edits (protocol), sockets (Hub).

import type { Engine, LabMeta } from "@topolab/engine";
import { labToDocument, validateLab, type Lab } from "@topolab/topology";
import {
  applyChanges,
  onlyCosmetic,
  placeIssues,
  type Change,
  type ClientArgs,
  type EditResult,
  type LabStatusView,
  type LabSummary,
  type LabView,
  type ServerEventName,
  type ServerPayload,
} from "@topolab/protocol";
import { LabChecker } from "./checker";
import type { CommandLog } from "./commandlog";
import { invalid, RequestError } from "./errors";
import { KeyedQueue } from "./limits";
import { liveOf } from "./live";
import { OnceMore } from "./oncemore";
import type { Templates } from "./templates";
import type { Terminals } from "../terminals/terminals";

export interface Hub {
  toLab<E extends ServerEventName>(lab: string, event: E, payload: ServerPayload<E>): void;
  toAll<E extends ServerEventName>(event: E, payload: ServerPayload<E>): void;
  /** every socket leaves the lab's room */
  closeRoom(lab: string): void;
}

export interface LabsDeps {
  hub: Hub;
  terminals: Terminals;
  templates: Templates;
  commandLog: CommandLog;
  log: (line: string) => void;
  /** reads and validates labs off the event loop when they are big (checker.ts); in place by default */
  checker?: LabChecker;
  /** labs this server holds at most (created labs beyond it are refused) */
  maxLabs?: number;
}

const NOTHING = { create: 0, update: 0, delete: 0 };
const STATUS_DELAY_MS = 100;

/** Host-like nodes of `before` whose shells end in `after`, with the reason told to the browser. */
function endingShells(before: Lab, after: Lab, changes: readonly Change[]): Map<string, string> {
  const out = new Map<string, string>();
  const afterByName = new Map(after.nodes.map((m) => [m.name, m]));
  for (const n of before.nodes) {
    if (n.kind === "switch") continue;
    const now = afterByName.get(n.name);
    if (now && now.kind !== "switch") continue;
    const renamed = changes.find((c) => c.type === "updateNode" && c.name === n.name && c.set.name && c.set.name !== n.name);
    out.set(
      n.name,
      renamed?.type === "updateNode"
        ? `node ${n.name} was renamed to ${renamed.set.name}; open a terminal on it again`
        : now
          ? `node ${n.name} became a switch, which has no shell`
          : `node ${n.name} was removed from the lab`,
    );
  }
  return out;
}

export class Labs {
  readonly queue = new KeyedQueue();
  private revisions = new Map<string, number>();
  private sent = new Map<string, string>();
  private lastList = "";
  /** each lab's status read after a change: one at a time, once more if asked meanwhile */
  private statusReads = new Map<string, OnceMore>();

  constructor(
    readonly engine: Engine,
    private readonly d: LabsDeps,
  ) {}

  private get state() {
    return this.engine.state;
  }

  private checkerInPlace?: LabChecker;
  private get checker(): LabChecker {
    return this.d.checker ?? (this.checkerInPlace ??= new LabChecker({ worker: false }));
  }

  private summary(meta: LabMeta | null, doc: Lab): LabSummary {
    return {
      name: doc.name,
      running: meta?.running ?? false,
      nodes: doc.nodes.length,
      links: doc.links.length,
      ...(doc.description !== undefined ? { description: doc.description } : {}),
      ...(meta?.source ? { source: meta.source } : {}),
      ...(meta?.createdAt ? { createdAt: meta.createdAt } : {}),
      ...(meta?.updatedAt ? { updatedAt: meta.updatedAt } : {}),
    };
  }

  /** Every lab of the state directory that has a document (labs still being created have none). */
  async list(): Promise<LabSummary[]> {
    const out: LabSummary[] = [];
    for (const name of await this.state.labNames()) {
      const [meta, doc] = await Promise.all([this.state.readMeta(name), this.state.readLab(name)]);
      if (doc) out.push(this.summary(meta, doc));
    }
    return out;
  }

  async broadcastList(): Promise<void> {
    const labs = await this.list();
    const text = JSON.stringify(labs);
    if (text === this.lastList) return;
    this.lastList = text;
    this.d.hub.toAll("labs:changed", { labs });
  }

  private async read(name: string): Promise<{ doc: Lab; meta: LabMeta }> {
    const [meta, doc] = await Promise.all([this.state.readMeta(name), this.state.readLab(name)]);
    if (!doc || !meta) throw new RequestError("not_found", `there is no lab named ${name}`);
    return { doc, meta };
  }

  private async exists(name: string): Promise<boolean> {
    return (await this.state.readMeta(name)) !== null || (await this.state.readLab(name)) !== null;
  }

  private revision(name: string, doc: Lab, running: boolean): number {
    const key = JSON.stringify([running, doc]);
    const known = this.revisions.get(name);
    if (known === undefined || this.sent.get(name) !== key) {
      this.revisions.set(name, (known ?? 0) + 1);
      this.sent.set(name, key);
    }
    return this.revisions.get(name)!;
  }

  /**
   * The revision a document has, or will have when it is sent, without counting it as sent. A
   * read (lab:open, REST GET) can come between an edit's save and its broadcast: were the read
   * to count the new document as sent, the broadcast would find nothing new and never go, and
   * every other browser on the lab would miss the edit. The reader gets the number the
   * broadcast will carry, and takes that document again when it comes (same revision).
   */
  private peekRevision(name: string, doc: Lab, running: boolean): number {
    const known = this.revisions.get(name);
    // the first read since the server started numbers the document it reads: no browser holds an
    // older one that a later broadcast must reach, and the next edit is then revision 2
    if (known === undefined) return this.revision(name, doc, running);
    return this.sent.get(name) === JSON.stringify([running, doc]) ? known : known + 1;
  }

  /** Sends the document to the lab's room when it differs from the last one sent, then the status. */
  private publish(name: string, doc: Lab, running: boolean): number {
    const before = this.revisions.get(name);
    const revision = this.revision(name, doc, running);
    if (revision !== before) {
      this.d.hub.toLab(name, "lab:document", { lab: name, revision, running, document: doc });
      liveOf(this.engine).documentChanged(name, doc); // its drift, from the kept kernel state
    }
    this.statusSoon(name);
    return revision;
  }

  /**
   * Reads the kernel's view a moment later and sends it to the room. Changes in a burst share
   * one read, which then does not compete with the next change for the CPU.
   */
  statusSoon(name: string): void {
    let reads = this.statusReads.get(name);
    if (!reads) {
      reads = new OnceMore(
        async () => {
          await new Promise((r) => setTimeout(r, STATUS_DELAY_MS));
          try {
            this.d.hub.toLab(name, "lab:status", { lab: name, status: await this.status(name) });
          } catch {
            /* gone meanwhile: lab:removed says so */
          }
        },
        () => this.statusReads.delete(name),
      );
      this.statusReads.set(name, reads);
    }
    reads.run();
  }

  async status(name: string): Promise<LabStatusView> {
    const [status] = await this.engine.status(name);
    return status!;
  }

  async view(name: string, options: { status?: boolean } = {}): Promise<LabView> {
    const { doc, meta } = await this.read(name);
    let status: LabStatusView | undefined;
    if (options.status) status = await this.status(name).catch(() => undefined);
    const { nodes: _n, links: _l, ...summary } = this.summary(meta, doc);
    return {
      ...summary,
      revision: this.peekRevision(name, doc, meta.running),
      document: doc,
      ...(status ? { status } : {}),
      log: this.d.commandLog.history(name),
    };
  }

  private async documentFrom(name: string | undefined, source: ClientArgs<"lab:create">["source"]): Promise<{ lab: Lab; source?: string }> {
    const named = name !== undefined ? { name } : {};
    if (source.type === "blank") {
      const v = validateLab({ nodes: [], links: [] }, named);
      if (!v.ok)
        throw invalid(
          v.issues.map((i) => (i.path === "--name" ? { ...i, path: "name" } : i)),
          "a new lab needs a name",
        );
      return { lab: v.lab };
    }
    const text = source.type === "template" ? await this.d.templates.read(source.id) : source.text;
    const parsed = await this.checker.parseText(text, named, source.type === "template" ? `template ${source.id}` : "the lab file");
    if (!parsed.ok) throw invalid(parsed.issues, source.type === "template" ? `template ${source.id} is not a valid lab` : "the lab file is not valid");
    return { lab: parsed.lab, source: source.type === "template" ? `template:${source.id}` : "upload" };
  }

  async create(args: ClientArgs<"lab:create">): Promise<LabView> {
    const { lab, source } = await this.documentFrom(args.name, args.source);
    return this.createLab(lab, source);
  }

  private async createLab(lab: Lab, source?: string): Promise<LabView> {
    await this.queue.run(lab.name, async () => {
      if (await this.exists(lab.name)) throw new RequestError("conflict", `there is already a lab named ${lab.name}`);
      const max = this.d.maxLabs;
      if (max !== undefined && (await this.state.labNames()).length >= max) {
        throw new RequestError("limit", `this server holds at most ${max} labs (TOPOLAB_MAX_LABS); delete one first`, undefined, 409);
      }
      await this.busy(lab.name, "creating the lab", () => this.engine.up(lab, source ? { source } : {}));
    });
    void this.broadcastList();
    return this.view(lab.name, { status: true });
  }

  async edit(name: string, changes: Change[]): Promise<EditResult> {
    return this.queue.run(name, async () => {
      const current = await this.read(name);
      const applied = applyChanges(current.doc, changes);
      if (!applied.ok) throw invalid(applied.issues, "the change cannot apply to the lab as it is now");
      return this.applyDocument(name, current, applied.document, changes);
    });
  }

  /** PUT of a whole document: created when new, otherwise only the difference is applied. */
  async put(name: string, document: unknown): Promise<EditResult & { created: boolean }> {
    const input = typeof document === "string" ? await this.parseText(document, name) : document;
    if (typeof input !== "object" || input === null || Array.isArray(input)) throw invalid([{ path: "", message: "must be a lab document" }]);
    if (!(await this.exists(name))) {
      const given = (input as { name?: unknown }).name;
      if (given !== undefined && given !== name) throw invalid([{ path: "name", message: `is ${JSON.stringify(given)}, but the address names lab ${name}` }]);
      const v = await this.checker.validate(input, { name });
      if (!v.ok) throw invalid(placeIssues(input, v.issues));
      const view = await this.createLab(v.lab, "upload");
      return { revision: view.revision, unchanged: false, kernel: true, summary: NOTHING, created: true };
    }
    const result = await this.edit(name, [{ type: "replace", document: input as Record<string, unknown> }]);
    return { ...result, created: false };
  }

  private async parseText(text: string, name: string): Promise<Record<string, unknown>> {
    const parsed = await this.checker.parseText(text, { name });
    if (!parsed.ok) throw invalid(parsed.issues, "the lab file is not valid");
    return labToDocument(parsed.lab);
  }

  private async applyDocument(name: string, current: { doc: Lab; meta: LabMeta }, input: unknown, changes: Change[]): Promise<EditResult> {
    const v = await this.checker.validate(input);
    if (!v.ok) throw invalid(placeIssues(input, v.issues));
    const next = v.lab;
    const unchanged = (kernel: boolean) => ({
      revision: this.peekRevision(name, current.doc, current.meta.running),
      unchanged: true,
      kernel,
      summary: NOTHING,
    });
    if (JSON.stringify(next) === JSON.stringify(current.doc)) return unchanged(false);
    const ending = endingShells(current.doc, next, changes);
    const undo = this.d.terminals.expectEnd(name, ending);
    let result: Omit<EditResult, "revision">;
    try {
      if (!current.meta.running || onlyCosmetic(current.doc, next)) {
        await this.state.withLabLock(name, "save the lab's document", () => this.state.writeLab(next));
        result = { unchanged: false, kernel: false, summary: NOTHING };
      } else {
        const r = await this.busy(name, `applying ${changes.length === 1 ? "a change" : `${changes.length} changes`}`, () => this.engine.up(next));
        result = { unchanged: r.unchanged, kernel: true, summary: r.summary };
      }
    } catch (e) {
      undo();
      this.statusSoon(name); // a rolled-back apply may still have left the kernel view changed
      throw e;
    }
    await this.d.terminals.closeLab(name, (node) => ending.get(node));
    // a teacher who edits the exercise edits what "start over" brings back too
    if (JSON.stringify(next.exercise) !== JSON.stringify(current.doc.exercise)) {
      const origin = await this.state.readOrigin(name);
      if (next.exercise) await this.state.writeOrigin({ ...(origin ?? next), exercise: next.exercise });
      else if (origin) await this.state.writeOrigin({ ...origin, exercise: undefined });
    }
    return { ...result, revision: this.publish(name, next, current.meta.running) };
  }

  private async busy<T>(name: string, what: string, work: () => Promise<T>): Promise<T> {
    this.d.hub.toLab(name, "lab:busy", { lab: name, busy: true, what });
    try {
      return await work();
    } finally {
      this.d.hub.toLab(name, "lab:busy", { lab: name, busy: false });
    }
  }

  async start(name: string): Promise<EditResult> {
    return this.queue.run(name, async () => {
      const { doc } = await this.read(name);
      const r = await this.busy(name, "starting the lab", () => this.engine.up(doc));
      void this.broadcastList();
      return { revision: this.publish(name, doc, true), unchanged: r.unchanged, kernel: true, summary: r.summary };
    });
  }

  /** An exercise as it shipped: its shells end, the lab goes down and comes up from the shipped document. */
  async reset(name: string): Promise<EditResult> {
    return this.queue.run(name, async () => {
      await this.read(name);
      const origin = await this.state.readOrigin(name);
      if (!origin?.exercise) throw new RequestError("not_found", `lab ${name} has no exercise to start over (reset is for labs with an exercise)`);
      await this.d.terminals.closeLab(name, `lab ${name} was reset to the exercise as shipped`);
      const r = await this.busy(name, "starting the exercise over", () => this.engine.reset(name));
      void this.broadcastList();
      return { revision: this.publish(name, origin, true), unchanged: false, kernel: true, summary: r.summary };
    });
  }

  async stop(name: string): Promise<void> {
    await this.queue.run(name, async () => {
      const { doc } = await this.read(name);
      await this.d.terminals.closeLab(name, `lab ${name} was stopped`);
      await this.busy(name, "stopping the lab", () => this.engine.down(name, { keep: true }));
      this.publish(name, doc, false);
    });
    void this.broadcastList();
  }

  async remove(name: string): Promise<void> {
    await this.queue.run(name, async () => {
      await this.d.terminals.closeLab(name, `lab ${name} was deleted`);
      await this.busy(name, "deleting the lab", () => this.engine.down(name));
      this.gone(name, `lab ${name} was deleted`);
    });
    void this.broadcastList();
  }

  async rename(name: string, to: string): Promise<LabSummary> {
    if (name === to) throw invalid([{ path: "to", message: "is the lab's name already" }]);
    await this.queue.run([name, to], async () => {
      const { doc, meta } = await this.read(name);
      if (await this.exists(to)) throw new RequestError("conflict", `there is already a lab named ${to}`);
      const renamed: Lab = { ...doc, name: to };
      const source = meta.source ? { source: meta.source } : {};
      if (meta.running) {
        // the new lab first: if it cannot be made, the old one is untouched
        await this.busy(name, `renaming the lab to ${to}`, () => this.engine.up(renamed, source));
      } else {
        await this.state.ensureMeta(to, new Set(), meta.source); // not running
        await this.state.writeLab(renamed);
      }
      await this.d.terminals.closeLab(name, `lab ${name} was renamed to ${to}; open its terminals again`);
      await this.engine.down(name);
      this.gone(name, `lab ${name} was renamed to ${to}`, to);
    });
    void this.broadcastList();
    const { doc, meta } = await this.read(to);
    return this.summary(meta, doc);
  }

  /** The lab is no more (deleted here, or outside the server): its room is told and closed. */
  gone(name: string, reason: string, renamedTo?: string): void {
    this.d.hub.toLab(name, "lab:removed", { lab: name, reason, ...(renamedTo ? { renamedTo } : {}) });
    this.d.hub.closeRoom(name);
    this.revisions.delete(name);
    this.sent.delete(name);
    this.d.commandLog.forget(name);
  }

  /** The state directory changed under the server (the CLI): send what is new. */
  async refresh(name: string): Promise<void> {
    await this.queue.run(name, async () => {
      const [meta, doc] = await Promise.all([this.state.readMeta(name), this.state.readLab(name)]);
      if (doc && meta) {
        if (!meta.running) await this.d.terminals.closeLab(name, `lab ${name} was stopped (topolab down)`);
        this.publish(name, doc, meta.running);
      } else if (!meta && this.revisions.has(name)) {
        await this.d.terminals.closeLab(name, `lab ${name} was taken down outside the server (topolab down)`);
        this.gone(name, `lab ${name} was taken down outside the server`);
      }
    });
  }
}
