// The kernel's live state of one open lab, as the page holds it: the snapshot live:watch
// answers, then each live:event folded in (numbered: a gap means some were missed, and the
// page watches again for a fresh snapshot). Rates and MAC tables come while the page asks for
// rates (always, while a lab page is open: the traffic on the edges). The drift (where the
// kernel differs from the document) is the server's, pushed: whole in the snapshot, then each
// node's changes as live:event "drift" (the page never reads the whole lab's kernel); while an
// edit is being applied the drift shown waits for its end (halfway through, what is being
// made is not "missing"). The last ping all is kept for the reach marks.
//
// Knows: the order (lab:open first, then live:watch), reconnects (watch again, through
// lib/follow.ts), and what a stopped lab means (nothing to watch). Leaves to others: drawing
// (LiveProvider, edges.ts, marks.tsx, LiveTabs.tsx).

import type { Drift, LiveEvent, LiveNode, LivePort, LiveSnapshot, PingAll } from "@topolab/protocol";
import { connection } from "../lib/connection";
import { Store } from "../lib/emitter";
import { Follower } from "../lib/follow";
import { reasonOf } from "../lib/toasts";
import { foldDrift } from "./tabs";

export interface LiveState {
  watching: boolean;
  error: string | null;
  seq: number;
  nodes: Record<string, LiveNode | null>;
  ports: LivePort[];
  rates: Record<string, { rxBps: number; txBps: number; rxPps: number; txPps: number }>;
  counters: Record<
    string,
    { rxBytes: number; txBytes: number; rxPackets: number; txPackets: number; rxDropped: number; txDropped: number; rxErrors: number; txErrors: number }
  >;
  macs: Record<string, { mac: string; vlan: number; port: string; endpoint?: string; peer?: string }[]>;
  /** the last changes, newest first: "h1: eth0 down" */
  recent: { at: number; text: string }[];
  /** the drift as the server keeps it (null: no snapshot yet), and why the last "Read again" failed */
  drift: Drift | null;
  driftError: string | null;
  /** the last ping all (its reach marks stay on the hosts until the page closes) */
  ping: PingAll | null;
}

const EMPTY: LiveState = {
  watching: false,
  error: null,
  seq: 0,
  nodes: {},
  ports: [],
  rates: {},
  counters: {},
  macs: {},
  recent: [],
  drift: null,
  driftError: null,
  ping: null,
};
const MAX_RECENT = 50;

export class LiveStore {
  readonly state = new Store<LiveState>(EMPTY);
  private offs: (() => void)[] = [];
  private readonly follower: Follower<LiveSnapshot>;
  /** the newest drift (shown unless an edit is being applied) */
  private drift: Drift | null = null;
  private settling = false;

  constructor(readonly lab: string) {
    const c = connection();
    this.offs.push(
      c.on("live:event", (p) => {
        if (p.lab !== this.lab || !this.state.get().watching) return;
        const s = this.state.get();
        if (p.seq <= s.seq) return;
        if (p.seq !== s.seq + 1) {
          void this.start(); // missed some: a fresh snapshot
          return;
        }
        if (p.event.type === "drift") {
          if (this.drift) this.drift = foldDrift(this.drift, p.event);
          this.state.set({ ...s, seq: p.seq, ...(this.settling ? {} : { drift: this.drift }) });
        } else this.state.set(fold({ ...s, seq: p.seq }, p.event));
      }),
    );
    this.follower = new Follower({
      ask: () => c.request("live:watch", { lab: this.lab, rates: true }),
      final: /stopped/,
      following: () => this.state.get().watching,
      answered: (snap) => {
        this.drift = snap.drift;
        this.state.update((s) => ({ ...s, watching: true, error: null, seq: snap.seq, nodes: snap.nodes, ports: snap.ports, drift: snap.drift }));
      },
      failed: (error) => this.state.update((s) => ({ ...s, watching: false, error })),
      lost: () => this.state.update((s) => ({ ...s, watching: false })),
      onConnect: (listener) => c.onConnect(listener),
    });
  }

  /** Watches the lab (it must be open and running); again after a gap or a reconnect. */
  start(): Promise<void> {
    return this.follower.start();
  }

  /** Whether an edit is being applied (the lab is busy or nodes are being created): the drift shown waits for its end. */
  setSettling(settling: boolean): void {
    if (this.settling === settling) return;
    this.settling = settling;
    if (!settling && this.state.get().watching && this.state.get().drift !== this.drift) this.state.update((s) => ({ ...s, drift: this.drift }));
  }

  /** Asks the server for the drift it keeps (the Drift tab's "Read again"; cheap: no kernel read while the lab is watched). */
  async readDrift(): Promise<void> {
    try {
      const drift = await connection().request("live:drift", { lab: this.lab });
      if (this.state.get().watching) {
        this.drift = drift;
        this.state.update((s) => ({ ...s, drift, driftError: null }));
      }
    } catch (e) {
      if (this.state.get().watching) this.state.update((s) => ({ ...s, driftError: reasonOf(e) }));
    }
  }

  setPing(ping: PingAll): void {
    this.state.update((s) => ({ ...s, ping }));
  }

  stop(): void {
    this.drift = null;
    if (this.state.get().watching)
      void connection()
        .request("live:unwatch", { lab: this.lab })
        .catch(() => undefined);
    this.state.set({ ...EMPTY, error: this.state.get().error });
  }

  close(): void {
    this.follower.close();
    this.stop();
    for (const off of this.offs) off();
  }
}

function fold(s: LiveState, e: LiveEvent): LiveState {
  const note = (text: string) => [{ at: e.at, text }, ...s.recent].slice(0, MAX_RECENT);
  switch (e.type) {
    case "node":
      return { ...s, nodes: { ...s.nodes, [e.node]: e.state }, recent: e.changes.length ? note(`${e.node}: ${e.changes.join(", ")}`) : s.recent };
    case "ports":
      return { ...s, ports: e.ports, recent: e.changes.length ? note(`switch ports: ${e.changes.join(", ")}`) : s.recent };
    case "counters":
      return { ...s, rates: e.rates, counters: e.counters };
    case "macs":
      return { ...s, macs: { ...s.macs, [e.node]: e.entries } };
    case "error":
      return { ...s, recent: note(`error: ${e.message}`) };
    case "drift":
      return s; // folded by the store (it waits while an edit is applied)
  }
}
