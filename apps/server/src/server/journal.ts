// The commands other topolab processes ran for the labs of this state directory (the CLI's
// `topolab capture`: engine/journal.ts), brought into the server's command log: each lab's
// journal is read at start (its recent entries become the lab's history) and then every few
// seconds while browsers are connected, and what is new is added to the lab's log as the
// server's own commands are, with the time it was run.
//
// Knows: which journals to read and when. Leaves to others: the file (engine/journal.ts),
// the log and its room (commandlog.ts).

import { journalPath, JournalReader, type StateStore } from "@topolab/engine";
import type { CommandLog } from "./commandlog";

export class JournalTail {
  private readers = new Map<string, JournalReader>();
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly state: StateStore,
    private readonly log: CommandLog,
    private readonly everyMs: number,
    private readonly active: () => boolean,
    private readonly warn: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    await this.tick(true);
    this.timer = setInterval(() => void this.tick(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Reads what is new in every lab's journal into the log (`force`: even with no browser). */
  async tick(force = false): Promise<void> {
    if (this.running || (!force && !this.active())) return;
    this.running = true;
    try {
      const names = new Set(await this.state.labNames());
      for (const name of [...this.readers.keys()]) if (!names.has(name)) this.readers.delete(name);
      for (const lab of names) {
        let reader = this.readers.get(lab);
        if (!reader) this.readers.set(lab, (reader = new JournalReader(journalPath(this.state.labDir(lab)))));
        try {
          const { entries, problem } = await reader.read();
          if (problem) this.warn(`topolab: ${problem}`);
          for (const e of entries)
            this.log.add({ lab, time: e.time, command: e.command, ok: e.ok, op: e.op, ...(e.error !== undefined ? { error: e.error } : {}) });
        } catch (e) {
          this.warn(`topolab: ${(e as Error).message}`);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
