// The exercise side of the server: which sockets follow which lab's exercise, and the checks
// run again while anyone follows it: at once when the lab's kernel changes (the engine's live
// monitor), when its document changes, and every little while for what no monitor announces
// (a sysctl, a listening socket). Every follower gets the same results, the teacher's
// browser as much as the student's.
//
// Knows: followers and their sockets, one runner per followed lab (started with the first
// follower, stopped with the last), that runs never overlap and that a run asked for during
// another follows it, that the lab's meta (running, tag) is read once per run, not per check.
// Leaves to others: the checks themselves (engine), the kernel's changes (the live hub's one
// watch per lab, shared with the browsers that watch it), the socket events (sockets.ts), the
// lab's queue and documents (labs.ts).

import { probeContext, runCheck, runChecks, type CheckResult, type Engine, type LabMeta, type ProbeContext } from "@topolab/engine";
import type { CheckResultView, CheckView, ExerciseState } from "@topolab/protocol";
import { splitNodeIf, type Check, type Lab } from "@topolab/topology";
import { mustRun, RequestError } from "./errors";
import { liveOf, type HubEvent, type LiveHub } from "./live";
import { OnceMore } from "./oncemore";

/** How often the checks run again while followed, for what the kernel monitor does not announce
 * (a sysctl, a listening socket): twice a second, what bench:check measures the cost of. */
const EVERY_MS = 500;
/** After a kernel event, a moment for the burst to settle. */
const SETTLE_MS = 80;

export interface ExerciseFollower {
  socketId: string;
  send: (state: ExerciseState) => void;
}

/** The nodes a check names, to highlight them on the canvas. */
export function checkNodes(check: Check, nodeNames: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const add = (n: string | undefined) => {
    if (n && nodeNames.has(n) && !out.includes(n)) out.push(n);
  };
  switch (check.kind) {
    case "reach":
    case "http":
      add(check.from);
      add(check.to);
      break;
    case "mac-table":
      add(check.switch);
      add(splitNodeIf(check.host)?.node);
      if (check.port) add(splitNodeIf(check.port)?.node);
      break;
    default:
      add(check.node);
  }
  return out;
}

export function checkViews(lab: Lab): CheckView[] {
  const names = new Set(lab.nodes.map((n) => n.name));
  return (lab.exercise?.checks ?? []).map((c) => ({
    id: c.id,
    kind: c.kind,
    description: c.description,
    ...(c.hint !== undefined ? { hint: c.hint } : {}),
    nodes: checkNodes(c, names),
  }));
}

const view = (r: CheckResult): CheckResultView => ({ id: r.id, status: r.status, seen: r.seen, ms: r.ms });

/** How an exercise hub runs its checks; the defaults are the server's (a test holds the meta read, turns the timer away). */
export interface ExerciseOptions {
  /** how the hub reads a lab's meta (does it exist, is it running, its tag) — with its document,
   * for every run, for a check now: the state directory's */
  readMeta?: (lab: string) => Promise<LabMeta | null>;
  /** how often the checks run again while followed: EVERY_MS */
  everyMs?: number;
}

/** At most this many probes at once, per followed lab. */
const CONCURRENCY = 8;

/**
 * One followed lab. Each check runs on its own, again as soon as it is asked again (a kernel
 * event, the timer), so a check that waits out a slow probe (a ping that is not answered)
 * never delays the light of another; results are sent as each one changes.
 */
class ExerciseRunner {
  followers = new Map<string, ExerciseFollower>();
  private lab: Lab | null = null;
  private tag = "";
  private results = new Map<string, CheckResultView>();
  /** each check's own runs: one at a time, once more when asked again meanwhile */
  private loops = new Map<string, OnceMore>();
  private active = 0;
  private queue: (() => void)[] = [];
  private revision = 0;
  private at: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private settle: NodeJS.Timeout | null = null;
  private sendTimer: NodeJS.Timeout | null = null;
  /** following the kernel through the live hub (its watcher id) */
  private following = false;
  private readonly watcherId: string;
  /** from the lab's meta, read once per run (kick) */
  private running = false;
  private ctx: { lab: Lab; tag: string; ctx: ProbeContext } | null = null;
  private stopped = false;

  constructor(
    private readonly engine: Engine,
    private readonly live: LiveHub,
    readonly name: string,
    private readonly options: ExerciseOptions = {},
  ) {
    this.watcherId = `exercise:${name}`;
  }

  async start(): Promise<void> {
    await this.load();
    this.timer = setInterval(() => this.kick(), this.options.everyMs ?? EVERY_MS);
    this.timer.unref();
    await this.follow();
    this.kick();
  }

  /**
   * The kernel's changes, from the live hub's watch of the lab (the one the browsers share);
   * without one (the lab is stopped), the timer alone until the lab runs again.
   */
  private async follow(): Promise<void> {
    if (!this.lab || this.following || this.stopped) return;
    try {
      this.following = true;
      await this.live.watch(this.name, {
        socketId: this.watcherId,
        rates: false,
        drift: false,
        // links, addresses and routes; not neighbours: the checks' own pings change those, and
        // would run the checks again and again
        send: ({ event: e }: { event: HubEvent }) => {
          if (e.type === "ports" || (e.type === "node" && (e.state === null || e.kinds.some((k) => k !== "neigh")))) this.soon();
        },
      });
      if (this.stopped) await this.live.unwatch(this.name, this.watcherId);
    } catch {
      this.following = false; // the timer still runs the checks
    }
  }

  /** The lab's meta, by the hub's reader (every read of it goes through here). */
  private readMeta(): Promise<LabMeta | null> {
    return this.options.readMeta ? this.options.readMeta(this.name) : this.engine.state.readMeta(this.name);
  }

  async load(): Promise<void> {
    const [doc, meta] = await Promise.all([this.engine.state.readLab(this.name), this.readMeta()]);
    if (!doc || !meta) throw new RequestError("not_found", `there is no lab named ${this.name}`);
    if (!doc.exercise) throw new RequestError("not_found", `lab ${this.name} has no exercise`);
    const ids = new Set(doc.exercise.checks.map((c) => c.id));
    for (const id of [...this.results.keys()]) if (!ids.has(id)) this.results.delete(id);
    this.lab = doc;
    this.tag = meta.tag;
  }

  state(): ExerciseState {
    const lab = this.lab!;
    const checks = lab.exercise?.checks ?? [];
    return {
      lab: this.name,
      title: lab.exercise?.title ?? "",
      task: lab.exercise?.task ?? "",
      checks: checkViews(lab),
      results: checks.flatMap((c) => (this.results.has(c.id) ? [this.results.get(c.id)!] : [])),
      revision: this.revision,
      at: this.at,
    };
  }

  /** Tells the followers, a few milliseconds later: results that land together go together. */
  private changed(): void {
    this.revision++;
    if (this.sendTimer) return;
    this.sendTimer = setTimeout(() => {
      this.sendTimer = null;
      const s = this.state();
      for (const f of this.followers.values()) {
        try {
          f.send(s);
        } catch {
          /* a socket that cannot be written to is gone: its disconnect unfollows it */
        }
      }
    }, 15);
  }

  /** The document changed (an edit, a reset, another process): read it again and run. */
  async documentChanged(running: boolean): Promise<void> {
    if (this.stopped) return;
    try {
      await this.load();
    } catch {
      // the exercise is gone from the document: say so with an empty list
      if (this.lab) this.lab = { ...this.lab, exercise: { title: "", task: "", checks: [] } };
    }
    // results of the document before (a reset, another check under the same id) are not kept
    this.results.clear();
    this.changed();
    if (running) {
      await this.follow(); // the lab (re)started: the live watch follows its document itself
      this.kick();
    }
  }

  /** A kernel event: a moment for the burst to settle, then every check again. */
  private soon(): void {
    if (this.stopped || this.settle) return;
    this.settle = setTimeout(() => {
      this.settle = null;
      this.kick();
    }, SETTLE_MS);
    this.settle.unref();
  }

  /**
   * Every check again: those idle now, those running once they are done. The lab's meta is read
   * once for the run (is it running, its tag), not once per check; a kick while it is being read
   * is run once more after it (the meta read then may be older than what the kick announces: a
   * lab just started), kicks meanwhile in that one.
   */
  private kick(): void {
    if (this.stopped || !this.lab?.exercise) return;
    this.kicks.run();
  }

  private readonly kicks = new OnceMore(async () => {
    if (this.stopped || !this.lab?.exercise) return;
    try {
      const meta = await this.readMeta();
      this.running = !!meta?.running;
      if (meta) this.tag = meta.tag;
    } catch {
      this.running = false; // tried again by the timer
    }
    if (this.stopped || !this.running || !this.lab?.exercise) return;
    for (const check of this.lab.exercise.checks) {
      let loop = this.loops.get(check.id);
      if (!loop) this.loops.set(check.id, (loop = new OnceMore(() => this.runOne(check.id))));
      loop.run();
    }
  });

  /** The probes' context of the document and tag of now (made again when either changes). */
  private probeCtx(): ProbeContext {
    if (this.ctx?.lab !== this.lab || this.ctx?.tag !== this.tag) {
      this.ctx = { lab: this.lab!, tag: this.tag, ctx: probeContext(this.lab!, this.tag, (node) => this.engine.services.runDir(this.name, node)) };
    }
    return this.ctx.ctx;
  }

  private async slot(): Promise<void> {
    if (this.active < CONCURRENCY) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.queue.push(resolve));
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.active--;
  }

  /** One run of one check, in a probe slot; its result kept and told when it changed. */
  private async runOne(id: string): Promise<void> {
    if (this.stopped) return;
    try {
      await this.slot();
      try {
        const check = this.lab?.exercise?.checks.find((c) => c.id === id);
        if (!check || !this.running || this.stopped) return;
        const r = view(await runCheck(check, this.probeCtx(), { noWait: true }));
        // the document may have changed meanwhile: a result of a check it no longer has is dropped
        if (this.stopped || !this.lab?.exercise?.checks.some((c) => c.id === id && c === check)) return;
        this.at = new Date().toISOString();
        const before = this.results.get(id);
        this.results.set(id, r);
        if (!before || before.status !== r.status || before.seen !== r.seen) this.changed();
      } finally {
        this.release();
      }
    } catch {
      /* a run that could not happen (the lab went down meanwhile) is tried again by the timer */
    }
  }

  /** Every check now, with their retry windows, side by side: the state after. */
  async runAll(): Promise<void> {
    if (!this.lab?.exercise) return;
    mustRun(await this.readMeta(), this.name, "start it to run its checks");
    const results = await runChecks(this.lab, this.tag, (node) => this.engine.services.runDir(this.name, node));
    this.at = new Date().toISOString();
    for (const r of results) this.results.set(r.id, view(r));
    this.changed();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.settle) clearTimeout(this.settle);
    if (this.sendTimer) clearTimeout(this.sendTimer);
    if (this.following) await this.live.unwatch(this.name, this.watcherId).catch(() => undefined);
    this.following = false;
    await Promise.all([...this.loops.values()].map((l) => l.idle()));
  }
}

export class ExerciseHub {
  private runners = new Map<string, Promise<ExerciseRunner>>();

  constructor(
    private readonly engine: Engine,
    private readonly live: LiveHub,
    private readonly options: ExerciseOptions = {},
  ) {}

  private runner(name: string): Promise<ExerciseRunner> {
    let r = this.runners.get(name);
    if (!r) {
      const created = new ExerciseRunner(this.engine, this.live, name, this.options);
      r = created.start().then(
        () => created,
        (e: unknown) => {
          this.runners.delete(name);
          void created.stop();
          throw e;
        },
      );
      this.runners.set(name, r);
    }
    return r;
  }

  /** Starts following a lab's exercise for one socket: its state now, exercise:results after. */
  async watch(name: string, f: ExerciseFollower): Promise<ExerciseState> {
    const r = await this.runner(name);
    r.followers.set(f.socketId, f);
    return r.state();
  }

  async unwatch(name: string, socketId: string): Promise<void> {
    const r = await this.runners.get(name)?.catch(() => null);
    if (!r) return;
    r.followers.delete(socketId);
    if (r.followers.size === 0) {
      this.runners.delete(name);
      await r.stop();
    }
  }

  async socketGone(socketId: string): Promise<void> {
    for (const name of [...this.runners.keys()]) await this.unwatch(name, socketId);
  }

  /** Runs every check now, with their retry windows; the state after. */
  async runNow(name: string): Promise<ExerciseState> {
    const followed = this.runners.get(name);
    if (followed) {
      const r = await followed;
      await r.runAll();
      return r.state();
    }
    const r = new ExerciseRunner(this.engine, this.live, name, this.options);
    try {
      await r.load();
      await r.runAll();
      return r.state();
    } finally {
      await r.stop();
    }
  }

  /** The lab's document was published (or the lab went): followers hear of it. */
  labChanged(name: string, running: boolean): void {
    const r = this.runners.get(name);
    // never an unhandled rejection: it would end the server
    if (r) r.then((x) => x.documentChanged(running)).catch(() => undefined);
  }

  async close(): Promise<void> {
    const all = [...this.runners.values()];
    this.runners.clear();
    for (const r of all) await (await r.catch(() => null))?.stop();
  }
}

const hubs = new WeakMap<Engine, ExerciseHub>();

/** Stops the engine's exercise hub, if it has one (the server stops). */
export async function closeExercises(engine: Engine): Promise<void> {
  await hubs.get(engine)?.close();
}

/** The server's exercise hub (one per engine, like the live and capture hubs). */
export function exercisesOf(engine: Engine): ExerciseHub {
  let h = hubs.get(engine);
  if (!h) {
    h = new ExerciseHub(engine, liveOf(engine));
    hubs.set(engine, h);
  }
  return h;
}
