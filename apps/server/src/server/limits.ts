// Rates and queues with a bound: a token bucket for how often a client may ask, and a queue per
// lab so that changes to one lab run one after another (and different labs at the same time).
//
// Knows: counting and ordering. Leaves to others: what is being counted or queued.

export class TokenBucket {
  private tokens: number;
  private last = performance.now();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  take(n = 1): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}

/** Per-key buckets that forget keys not used for a while. */
export class BucketMap {
  private buckets = new Map<string, { bucket: TokenBucket; used: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  take(key: string): boolean {
    const now = Date.now();
    if (this.buckets.size > 1000) {
      for (const [k, v] of this.buckets) if (now - v.used > 60_000) this.buckets.delete(k);
    }
    let entry = this.buckets.get(key);
    if (!entry) this.buckets.set(key, (entry = { bucket: new TokenBucket(this.perSecond, this.burst), used: now }));
    entry.used = now;
    return entry.bucket.take();
  }
}

export class QueueFullError extends Error {
  constructor(key: string) {
    super(`too many changes are waiting for ${key}; try again in a moment`);
    this.name = "QueueFullError";
  }
}

/**
 * Runs tasks one at a time per key. A task with several keys (a rename) waits for all of
 * them and holds them all; keys are taken together, so two such tasks cannot deadlock.
 */
export class KeyedQueue {
  private tails = new Map<string, Promise<void>>();
  private waiting = new Map<string, number>();

  constructor(private readonly maxWaiting = 100) {}

  run<T>(keys: string | string[], task: () => Promise<T>): Promise<T> {
    const ks = [...new Set(Array.isArray(keys) ? keys : [keys])];
    for (const k of ks) if ((this.waiting.get(k) ?? 0) >= this.maxWaiting) return Promise.reject(new QueueFullError(k));
    for (const k of ks) this.waiting.set(k, (this.waiting.get(k) ?? 0) + 1);
    const before = Promise.all(ks.flatMap((k) => this.tails.get(k) ?? []));
    const result = before.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    for (const k of ks) this.tails.set(k, tail);
    void tail.then(() => {
      for (const k of ks) {
        const n = (this.waiting.get(k) ?? 1) - 1;
        if (n === 0) this.waiting.delete(k);
        else this.waiting.set(k, n);
        if (this.tails.get(k) === tail) this.tails.delete(k);
      }
    });
    return result;
  }

  /** Resolves when every task queued so far has finished. */
  async idle(): Promise<void> {
    while (this.tails.size) await Promise.all([...this.tails.values()]);
  }
}
