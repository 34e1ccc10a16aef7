// One open lab's exercise, as the page holds it: the state exercise:watch answers, then each
// exercise:results (the server runs the checks again as the kernel changes: nothing is polled
// here), followed again after a reconnect or a reset.
//
// Knows: the order (lab:open first, then exercise:watch), that a stopped lab or one without an
// exercise has nothing to follow. Leaves to others: drawing (ExercisePanel), editing (labStore).

import type { EditResult, ExerciseState } from "@topolab/protocol";
import { connection } from "../lib/connection";
import { Store } from "../lib/emitter";
import { Follower } from "../lib/follow";

export interface ExerciseView {
  following: boolean;
  state: ExerciseState | null;
  error: string | null;
  /** a run asked for by the person is in progress */
  running: boolean;
}

export class ExerciseStore {
  readonly view = new Store<ExerciseView>({ following: false, state: null, error: null, running: false });
  private offs: (() => void)[] = [];
  private closed = false;
  private readonly follower: Follower<ExerciseState>;

  constructor(readonly lab: string) {
    const c = connection();
    this.offs.push(
      c.on("exercise:results", (s) => {
        if (s.lab !== this.lab || this.closed) return;
        const now = this.view.get().state;
        if (now && s.revision < now.revision) return;
        this.view.update((v) => ({ ...v, state: s }));
      }),
    );
    this.follower = new Follower({
      ask: () => c.request("exercise:watch", { lab: this.lab }),
      final: /stopped|no exercise/,
      following: () => this.view.get().following,
      answered: (state) => this.view.update((v) => ({ ...v, following: true, error: null, state })),
      failed: (error) => this.view.update((v) => ({ ...v, following: false, error })),
      lost: () => this.view.update((v) => ({ ...v, following: false })),
      onConnect: (listener) => c.onConnect(listener),
    });
  }

  /** Follows the exercise (the lab must be open and running); again after a reconnect. */
  follow(): Promise<void> {
    return this.follower.start();
  }

  async unfollow(): Promise<void> {
    if (!this.view.get().following) return;
    this.view.update((v) => ({ ...v, following: false }));
    await connection()
      .request("exercise:unwatch", { lab: this.lab })
      .catch(() => undefined);
  }

  /** Every check now, with their retry windows. */
  async runNow(): Promise<void> {
    this.view.update((v) => ({ ...v, running: true }));
    try {
      const s = await connection().request("exercise:run", { lab: this.lab }, 120_000);
      this.view.update((v) => ({ ...v, state: !v.state || s.revision >= v.state.revision ? s : v.state, error: null }));
    } catch (e) {
      this.view.update((v) => ({ ...v, error: (e as Error).message }));
    } finally {
      this.view.update((v) => ({ ...v, running: false }));
    }
  }

  /** "Start over": the lab as the exercise shipped it. */
  reset(): Promise<EditResult> {
    return connection().request("exercise:reset", { lab: this.lab }, 120_000);
  }

  close(): void {
    this.closed = true;
    void this.unfollow();
    this.follower.close();
    for (const off of this.offs) off();
    this.offs = [];
  }
}

/** pass / fail / error / pending per check id, pending where no result came yet. */
export function lights(state: ExerciseState | null): Map<string, "pending" | "pass" | "fail" | "error"> {
  const out = new Map<string, "pending" | "pass" | "fail" | "error">();
  if (!state) return out;
  const results = new Map(state.results.map((r) => [r.id, r.status]));
  for (const c of state.checks) out.set(c.id, results.get(c.id) ?? "pending");
  return out;
}
