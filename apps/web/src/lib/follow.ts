// Following something on the server (a lab's live state, its exercise): the request that
// starts it, asked again a few times with growing waits while the lab is being opened or the
// connection comes back, given up at once on an answer that will not change (a stopped lab);
// and following again after a reconnect (Follower), for every store that follows.
//
// Knows: the retry policy, when to follow again. Leaves to others: what is followed and what its
// answer means (the stores hold their own state).

/**
 * Asks until answered: at most `attempts` times, 400 ms more between each; null when it gave
 * up (closed meanwhile, a final refusal, or out of attempts). Each refusal is told to `failed`.
 */
export async function askUntilAnswered<T>(
  ask: () => Promise<T>,
  o: { closed: () => boolean; final: RegExp; failed: (message: string) => void; attempts?: number },
): Promise<T | null> {
  const attempts = o.attempts ?? 5;
  for (let attempt = 0; attempt < attempts && !o.closed(); attempt++) {
    try {
      const value = await ask();
      return o.closed() ? null : value;
    } catch (e) {
      const message = (e as Error).message;
      o.failed(message);
      if (o.final.test(message)) return null;
      await new Promise((r) => setTimeout(r, 400 * (attempt + 1)));
    }
  }
  return null;
}

/** How long a store waits after a reconnect before following again: the lab page opens the lab first. */
export const RESUME_DELAY_MS = 300;

export interface FollowerOptions<T> {
  /** the request that starts following, answered with the first state */
  ask: () => Promise<T>;
  /** a refusal that asking again will not change (a stopped lab) */
  final: RegExp;
  /** whether the store follows now (the store holds that state itself) */
  following: () => boolean;
  /** the answer: the store follows from now on */
  answered: (value: T) => void;
  /** a refusal (the store is not following) */
  failed: (message: string) => void;
  /** the connection came back while following: the store is not following until answered again */
  lost: () => void;
  /** the connection's (re)connections: connection().onConnect in the page */
  onConnect: (listener: () => void) => () => void;
  resumeDelayMs?: number;
}

/**
 * The follow loop of a store: start() asks until answered (one ask at a time) and hands the
 * answer over; after a reconnect, a store that was following asks again once the lab page has
 * opened the lab again. Nothing is asked after close().
 */
export class Follower<T> {
  private asking = false;
  private closed = false;
  private resumeTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly offConnect: () => void;

  constructor(private readonly o: FollowerOptions<T>) {
    this.offConnect = o.onConnect(() => {
      if (this.closed || !o.following()) return;
      o.lost();
      clearTimeout(this.resumeTimer);
      this.resumeTimer = setTimeout(() => void this.start(), o.resumeDelayMs ?? RESUME_DELAY_MS);
    });
  }

  async start(): Promise<void> {
    if (this.closed || this.asking) return;
    this.asking = true;
    try {
      const value = await askUntilAnswered(this.o.ask, { closed: () => this.closed, final: this.o.final, failed: this.o.failed });
      if (value !== null) this.o.answered(value);
    } finally {
      this.asking = false;
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.resumeTimer);
    this.offConnect();
  }
}
