// One piece of work that runs one at a time, once more if asked meanwhile: the exercise's kick
// (the lab's meta read, then every check), each check's own loop, the lab's status read after a
// change. Asks that come while it runs coalesce into one run after it; none is lost, even when
// the run fails.
//
// Knows: whether the work runs, whether it was asked for meanwhile, who waits for it to be idle.
// Leaves to others: what the work is, its errors (a run's failure is the work's to report; here
// it only ends that run), any delay before it (the work's own).

/**
 * Work that runs one at a time: asked while it runs, it runs once more after (however often it
 * was asked meanwhile), never beside itself and never an ask lost.
 */
export class OnceMore {
  private busy = false;
  private pending = false;
  private waiters: (() => void)[] = [];

  /** `onIdle`: called each time the work is done with nothing asked for meanwhile. */
  constructor(
    private readonly work: () => Promise<void>,
    private readonly onIdle?: () => void,
  ) {}

  run(): void {
    if (this.busy) {
      this.pending = true;
      return;
    }
    this.busy = true;
    const done = () => {
      this.busy = false;
      if (this.pending) {
        this.pending = false;
        this.run();
        return;
      }
      this.onIdle?.();
      for (const w of this.waiters.splice(0)) w();
    };
    void this.work().then(done, done);
  }

  /** Resolves once the work runs no more and nothing is asked for (at once when idle). */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}
