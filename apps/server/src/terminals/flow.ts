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

/**
 * One watcher's flow (issue 15: read-only viewers of a terminal). A watcher never pauses the
 * pty: the holder alone does. A watcher that owes more than the high-water mark misses output
 * (counted) until its acks bring it below the low one; then it is redrawn from the scrollback
 * (a screen reset and the recent output), so what it shows is whole again, not a torn stream.
 */
export class WatcherFlow {
  private unacked = 0;
  /** characters not sent since it fell behind (0: it is in step) */
  missed = 0;

  constructor(
    private readonly highWater: number,
    private readonly lowWater: number,
  ) {}

  /** Output of `n` characters is ready for it; true: send it, false: it is too far behind (dropped). */
  offer(n: number): boolean {
    if (this.missed > 0 || this.unacked > this.highWater) {
      this.missed += n;
      return false;
    }
    this.unacked += n;
    return true;
  }

  /** It wrote `n` characters; true: it had fallen behind and is in reach again: redraw it now. */
  acked(n: number): boolean {
    this.unacked = Math.max(0, this.unacked - n);
    if (this.missed > 0 && this.unacked < this.lowWater) {
      this.missed = 0;
      return true;
    }
    return false;
  }

  /** A redraw of `n` characters went out (counted as owed like any output). */
  redrawn(n: number): void {
    this.unacked += n;
  }

  get pending(): number {
    return this.unacked;
  }
}
