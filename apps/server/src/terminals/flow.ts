// Flow control and scrollback for one terminal, with no I/O: how much output the browser has
// not acknowledged yet (pause the pty above the high-water mark, resume below the low one, as
// wetty does), and the recent output kept for a reattach (bounded, oldest dropped first).
//
// Knows: counting characters. Leaves to others: the pty and the socket (terminal.ts).

export class Flow {
  private unacked = 0;
  paused = false;

  constructor(
    private readonly highWater: number,
    private readonly lowWater: number,
  ) {}

  /** Output of `n` characters went out (or nowhere, when no browser is attached); true: pause now. */
  sent(n: number): boolean {
    this.unacked += n;
    if (!this.paused && this.unacked > this.highWater) {
      this.paused = true;
      return true;
    }
    return false;
  }

  /** The browser wrote `n` characters to its screen; true: resume now. */
  acked(n: number): boolean {
    this.unacked = Math.max(0, this.unacked - n);
    if (this.paused && this.unacked < this.lowWater) {
      this.paused = false;
      return true;
    }
    return false;
  }

  /** A browser (re)attached and starts from nothing owed; true: resume now. */
  reset(): boolean {
    this.unacked = 0;
    const wasPaused = this.paused;
    this.paused = false;
    return wasPaused;
  }

  get pending(): number {
    return this.unacked;
  }
}

export class Scrollback {
  private chunks: string[] = [];
  private size = 0;

  constructor(private readonly max: number) {}

  push(data: string): void {
    this.chunks.push(data);
    this.size += data.length;
    while (this.size - this.chunks[0]!.length >= this.max) this.size -= this.chunks.shift()!.length;
    if (this.size > this.max) {
      this.chunks[0] = this.chunks[0]!.slice(this.size - this.max);
      this.size = this.max;
    }
  }

  text(): string {
    if (this.chunks.length > 1) this.chunks = [this.chunks.join("")];
    return this.chunks[0] ?? "";
  }
}
