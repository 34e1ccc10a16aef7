// The exercise side of the server: which sockets follow which lab's exercise, and the checks
// run again while anyone follows it: at once when the lab's kernel changes (the engine's live
// monitor), when its document changes, and every little while for what no monitor announces
// (a sysctl, a listening socket). Every follower gets the same results, the teacher's
// browser as much as the student's.
//
// Knows: followers and their sockets, one runner per followed lab (started with the first
// follower, stopped with the last), that runs never overlap and that a run asked for during
// another follows it. Leaves to others: the checks themselves (engine), the socket events
// (sockets.ts), the lab's queue and documents (labs.ts).

import { LabWatch, runChecks, type CheckResult, type Engine } from "@topolab/engine";
import type { CheckResultView, CheckView, ExerciseState } from "@topolab/protocol";
import { splitNodeIf, type Check, type Lab } from "@topolab/topology";
import { RequestError } from "./errors";

/** How often the checks run again while followed, for what the kernel monitor does not announce. */
const EVERY_MS = 1500;
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

class ExerciseRunner {
  followers = new Map<string, ExerciseFollower>();
  private lab: Lab | null = null;
  private tag = "";
  private results: CheckResultView[] = [];
  private revision = 0;
  private at: string | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private settle: NodeJS.Timeout | null = null;
  private watch: LabWatch | null = null;
  private stopped = false;

  constructor(
    private readonly engine: Engine,
    readonly name: string,
  ) {}

  async start(): Promise<void> {
    await this.load();
    this.timer = setInterval(() => this.soon(0), EVERY_MS);
    this.timer.unref();
    await this.follow();
    this.soon(0);
  }

  /** The kernel's changes, as the engine's live monitor reports them; without one, the timer alone. */
  private async follow(): Promise<void> {
    if (!this.lab) return;
    try {
      const watch = new LabWatch(this.lab, this.tag, { refresh: () => this.engine.state.readLab(this.name) });
      watch.on("event", () => this.soon(SETTLE_MS));
      watch.on("error", () => undefined);
      await watch.start();
      if (this.stopped) await watch.stop();
      else this.watch = watch;
    } catch {
      /* the timer still runs the checks */
    }
  }

  async load(): Promise<void> {
    const [doc, meta] = await Promise.all([this.engine.state.readLab(this.name), this.engine.state.readMeta(this.name)]);
    if (!doc || !meta) throw new RequestError("not_found", `there is no lab named ${this.name}`);
    if (!doc.exercise) throw new RequestError("not_found", `lab ${this.name} has no exercise`);
    const ids = new Set(doc.exercise.checks.map((c) => c.id));
    this.results = this.results.filter((r) => ids.has(r.id));
    this.lab = doc;
    this.tag = meta.tag;
  }

  state(): ExerciseState {
    const lab = this.lab!;
    return {
      lab: this.name,
      title: lab.exercise?.title ?? "",
      task: lab.exercise?.task ?? "",
      checks: checkViews(lab),
      results: this.results,
      revision: this.revision,
      at: this.at,
    };
  }

  private broadcast(): void {
    const s = this.state();
    for (const f of this.followers.values()) {
      try {
        f.send(s);
      } catch {
        /* a socket that cannot be written to is gone: its disconnect unfollows it */
      }
    }
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
    this.revision++;
    this.broadcast();
    if (running) {
      await this.watch?.update(this.lab!).catch(() => undefined);
      this.soon(0);
    }
  }

  private soon(delayMs: number): void {
    if (this.stopped) return;
    if (delayMs === 0) {
      void this.run(true);
      return;
    }
    if (this.settle) return;
    this.settle = setTimeout(() => {
      this.settle = null;
      void this.run(true);
    }, delayMs);
    this.settle.unref();
  }

  /** One run (or the one after the run in progress); resolves when the results are in. */
  run(noWait: boolean): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          const meta = await this.engine.state.readMeta(this.name);
          if (!meta?.running || !this.lab?.exercise) break;
          const results = (await runChecks(this.lab, this.tag, (node) => this.engine.services.runDir(this.name, node), { noWait })).map(view);
          this.at = new Date().toISOString();
          const key = (rs: CheckResultView[]) => JSON.stringify(rs.map((r) => [r.id, r.status, r.seen]));
          if (key(results) !== key(this.results)) {
            this.results = results;
            this.revision++;
            this.broadcast();
          } else this.results = results;
        } while (this.again && !this.stopped);
      } catch {
        /* a run that could not happen (the lab went down meanwhile) is tried again by the timer */
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.settle) clearTimeout(this.settle);
    await this.watch?.stop().catch(() => undefined);
    this.watch = null;
    await this.running;
  }
}

export class ExerciseHub {
  private runners = new Map<string, Promise<ExerciseRunner>>();

  constructor(private readonly engine: Engine) {}

  private runner(name: string): Promise<ExerciseRunner> {
    let r = this.runners.get(name);
    if (!r) {
      const created = new ExerciseRunner(this.engine, name);
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
      await r.run(false);
      return r.state();
    }
    const r = new ExerciseRunner(this.engine, name);
    try {
      await r.load();
      await r.run(false);
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

/** The server's exercise hub (one per engine, like the live and capture hubs). */
export function exercisesOf(engine: Engine): ExerciseHub {
  let h = hubs.get(engine);
  if (!h) {
    h = new ExerciseHub(engine);
    hubs.set(engine, h);
  }
  return h;
}
