import { afterEach, describe, expect, it, vi } from "vitest";
import { askUntilAnswered, Follower, RESUME_DELAY_MS } from "./follow";

describe("askUntilAnswered", () => {
  it("asks again after a refusal, and stops at a final one", async () => {
    const said: string[] = [];
    let n = 0;
    const value = await askUntilAnswered(
      async () => {
        if (++n < 2) throw new Error("not open yet");
        return 42;
      },
      { closed: () => false, final: /stopped/, failed: (m) => said.push(m) },
    );
    expect([value, n, said]).toEqual([42, 2, ["not open yet"]]);
    n = 0;
    const none = await askUntilAnswered(
      async () => {
        n++;
        throw new Error("lab x is stopped");
      },
      { closed: () => false, final: /stopped/, failed: () => undefined },
    );
    expect([none, n]).toEqual([null, 1]);
  });

  it("gives nothing once closed", async () => {
    expect(await askUntilAnswered(async () => 1, { closed: () => true, final: /x/, failed: () => undefined })).toBe(null);
  });
});

describe("Follower", () => {
  afterEach(() => vi.useRealTimers());

  /** a store's following state and a connection whose reconnections the test makes */
  const harness = (ask: () => Promise<number>) => {
    const listeners = new Set<() => void>();
    const h = { following: false, value: null as number | null, errors: [] as string[], asked: 0, listeners };
    const follower = new Follower<number>({
      ask: () => (h.asked++, ask()),
      final: /stopped/,
      following: () => h.following,
      answered: (v) => ((h.following = true), (h.value = v)),
      failed: (m) => ((h.following = false), h.errors.push(m)),
      lost: () => (h.following = false),
      onConnect: (l) => (listeners.add(l), () => listeners.delete(l)),
    });
    const reconnect = () => listeners.forEach((l) => l());
    return { h, follower, reconnect };
  };

  it("follows on start, and again after a reconnect while following (once the lab is open again)", async () => {
    vi.useFakeTimers();
    let n = 0;
    const { h, follower, reconnect } = harness(async () => ++n * 10);
    await follower.start();
    expect([h.following, h.value, h.asked]).toEqual([true, 10, 1]);
    reconnect();
    expect(h.following).toBe(false);
    expect(h.asked).toBe(1);
    await vi.advanceTimersByTimeAsync(RESUME_DELAY_MS);
    expect([h.following, h.value, h.asked]).toEqual([true, 20, 2]);
    follower.close();
  });

  it("does not follow after a reconnect when it was not following, nor after close", async () => {
    vi.useFakeTimers();
    const { h, follower, reconnect } = harness(async () => {
      throw new Error("lab x is stopped");
    });
    await follower.start();
    expect([h.following, h.errors, h.asked]).toEqual([false, ["lab x is stopped"], 1]);
    reconnect();
    await vi.advanceTimersByTimeAsync(RESUME_DELAY_MS * 2);
    expect(h.asked).toBe(1);

    h.following = true;
    reconnect();
    follower.close(); // closed before the delay is over: no ask, and its connect listener is gone
    await vi.advanceTimersByTimeAsync(RESUME_DELAY_MS * 2);
    expect(h.asked).toBe(1);
    expect(h.listeners.size).toBe(0);
    await follower.start();
    expect(h.asked).toBe(1);
  });

  it("asks once at a time", async () => {
    let release: (v: number) => void = () => undefined;
    const { h, follower } = harness(() => new Promise<number>((r) => (release = r)));
    const first = follower.start();
    const second = follower.start();
    release(7);
    await Promise.all([first, second]);
    expect([h.asked, h.value]).toEqual([1, 7]);
    follower.close();
  });
});
