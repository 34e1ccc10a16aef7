// A lab page's trace: the one shown (or being run), and "Trace to…" waiting for a click on the
// second node. One store per lab name, so that the toolbar, the context menu and the canvas's
// overlay share it without passing it through the canvas.
//
// Knows: the live:trace request and what the page does with its answer. Leaves to others:
// drawing (draw.ts, TraceHost), tracing (the server).

import type { Trace } from "@topolab/protocol";
import { connection } from "../lib/connection";
import { Store } from "../lib/emitter";
import { reasonOf, toast } from "../lib/toasts";

export interface TraceState {
  /** "Trace to…": the source, waiting for a click on the target */
  picking: string | null;
  /** a trace being run */
  busy: { from: string; to: string } | null;
  result: Trace | null;
  /** the lab runs (set by the page): tracing needs its namespaces */
  running: boolean;
}

export class TraceStore {
  readonly state = new Store<TraceState>({ picking: null, busy: null, result: null, running: false });
  private run = 0;

  constructor(readonly lab: string) {}

  startPick(from: string): void {
    this.state.update((s) => ({ ...s, picking: from }));
  }

  cancelPick(): void {
    if (this.state.get().picking !== null) this.state.update((s) => ({ ...s, picking: null }));
  }

  /** Clears the drawn trace (Esc, the close button), and a pick under way. */
  clear(): void {
    this.run++;
    this.state.update((s) => ({ ...s, picking: null, busy: null, result: null }));
  }

  async trace(from: string, to: string): Promise<void> {
    const mine = ++this.run;
    this.state.update((s) => ({ ...s, picking: null, busy: { from, to } }));
    try {
      const result = await connection().request("live:trace", { lab: this.lab, from, to }, 90_000);
      if (mine === this.run) this.state.update((s) => ({ ...s, busy: null, result }));
    } catch (e) {
      if (mine !== this.run) return;
      this.state.update((s) => ({ ...s, busy: null }));
      toast("error", `Trace ${from} → ${to} failed`, reasonOf(e));
    }
  }
}

const stores = new Map<string, TraceStore>();

/** The trace store of a lab's page. */
export function traceStoreFor(lab: string): TraceStore {
  let s = stores.get(lab);
  if (!s) stores.set(lab, (s = new TraceStore(lab)));
  return s;
}
