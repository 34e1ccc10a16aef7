// Watching the state directory for changes made outside the server (`topolab up`, `down`,
// another server): every few seconds, while browsers are connected, each lab's files are
// looked at, and labs whose files changed are re-read and sent again.
//
// Knows: file times and which labs exist. Leaves to others: what a change means (labs.ts).

import { stat } from "node:fs/promises";
import type { Labs } from "./labs";

export class StateWatcher {
  private known = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly labs: Labs,
    private readonly everyMs: number,
    private readonly active: () => boolean,
  ) {}

  private async signature(name: string): Promise<string> {
    const dir = this.labs.engine.state.labDir(name);
    const times = await Promise.all(
      ["lab.json", "meta.json"].map((f) =>
        stat(`${dir}/${f}`).then(
          (s) => String(s.mtimeMs),
          () => "-",
        ),
      ),
    );
    return times.join(",");
  }

  async start(): Promise<void> {
    for (const name of await this.labs.engine.state.labNames()) this.known.set(name, await this.signature(name));
    this.timer = setInterval(() => void this.tick(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async tick(): Promise<void> {
    if (this.running || !this.active()) return;
    this.running = true;
    try {
      const names = new Set(await this.labs.engine.state.labNames());
      let changed = false;
      for (const name of names) {
        const sig = await this.signature(name);
        if (this.known.get(name) === sig) continue;
        this.known.set(name, sig);
        changed = true;
        await this.labs.refresh(name);
      }
      for (const name of [...this.known.keys()]) {
        if (names.has(name)) continue;
        this.known.delete(name);
        changed = true;
        await this.labs.refresh(name);
      }
      if (changed) await this.labs.broadcastList();
    } finally {
      this.running = false;
    }
  }
}
