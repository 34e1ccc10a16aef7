import { describe, expect, it } from "vitest";
import { OnceMore } from "./oncemore";

/** Every promise callback due now has run (they all do before an immediate). */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("OnceMore: one at a time, once more if asked meanwhile (the exercise's kick, each check's loop, the status read)", () => {
  /** Work held until the test lets it go: runs counted, at most how many at once. */
  const held = (fail = false) => {
    const release: (() => void)[] = [];
    const seen = { runs: 0, active: 0, most: 0, idle: 0 };
    const once = new OnceMore(
      async () => {
        seen.runs++;
        seen.most = Math.max(seen.most, ++seen.active);
        await new Promise<void>((resolve) => release.push(resolve));
        seen.active--;
        if (fail) throw new Error("the meta could not be read");
      },
      () => seen.idle++,
    );
    return { once, seen, next: () => release.shift()!() };
  };

  it("a kick while one is in flight runs once more after it, however many came meanwhile, never beside it", async () => {
    const { once, seen, next } = held();
    once.run();
    expect(seen.runs).toBe(1);
    once.run();
    once.run();
    once.run();
    await settled();
    expect(seen.runs).toBe(1);
    next();
    await settled();
    expect(seen.runs).toBe(2); // the kicks that came meanwhile, in one run
    next();
    await settled();
    expect(seen.runs).toBe(2);
    expect(seen.most).toBe(1);
    once.run(); // idle: at once
    expect(seen.runs).toBe(3);
    next();
    await settled();
    expect(seen.runs).toBe(3);
  });

  it("a run that fails keeps the kick that came meanwhile", async () => {
    const { once, seen, next } = held(true);
    once.run();
    once.run();
    next();
    await settled();
    expect(seen.runs).toBe(2);
    next();
    await settled();
    expect(seen.runs).toBe(2);
    expect(seen.active).toBe(0);
  });

  it("tells when it is idle: once per stretch of runs, not between a run and the one asked meanwhile", async () => {
    const { once, seen, next } = held();
    let waited = false;
    await once.idle(); // idle from the start: at once
    once.run();
    once.run();
    const idle = once.idle().then(() => (waited = true));
    next();
    await settled();
    expect(seen.runs).toBe(2);
    expect(seen.idle).toBe(0);
    expect(waited).toBe(false);
    next();
    await idle;
    expect(seen.idle).toBe(1);
    once.run();
    next();
    await once.idle();
    expect(seen.idle).toBe(2);
    expect(seen.runs).toBe(3);
  });
});
