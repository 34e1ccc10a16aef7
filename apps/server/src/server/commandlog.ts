// The command log: every kernel command the engine runs, as the plain command it amounts to,
// sent to the lab's room in batches (one message per lab per tick, however many commands) and
// kept, the last few hundred per lab, for a browser that opens the lab later.
//
// Knows: batching and bounds. Leaves to others: running commands (engine) and sockets (hub).

import type { CommandLogEntry } from "@topolab/engine";
import type { LogEntry } from "@topolab/protocol";

export class CommandLog {
  private recent = new Map<string, LogEntry[]>();
  private pending = new Map<string, LogEntry[]>();
  private scheduled = false;

  constructor(
    private readonly send: (lab: string, entries: LogEntry[]) => void,
    private readonly keep = 200,
  ) {}

  /** A command, at `time` (now when not given: a command of this server). */
  add(e: CommandLogEntry & { lab: string; time?: string }): void {
    const entry: LogEntry = { time: e.time ?? new Date().toISOString(), command: e.command, ok: e.ok, op: e.op, ...(e.error ? { error: e.error } : {}) };
    const kept = this.recent.get(e.lab) ?? this.recent.set(e.lab, []).get(e.lab)!;
    kept.push(entry);
    if (kept.length > this.keep) kept.splice(0, kept.length - this.keep);
    (this.pending.get(e.lab) ?? this.pending.set(e.lab, []).get(e.lab)!).push(entry);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    const batches = [...this.pending];
    this.pending.clear();
    for (const [lab, entries] of batches) this.send(lab, entries);
  }

  history(lab: string): LogEntry[] {
    return [...(this.recent.get(lab) ?? [])];
  }

  forget(lab: string): void {
    this.recent.delete(lab);
  }
}
