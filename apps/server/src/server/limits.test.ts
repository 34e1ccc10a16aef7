import { describe, expect, it } from "vitest";
import { KeyedQueue, QueueFullError, TokenBucket } from "./limits";

const later = <T>(ms: number, v: T) => new Promise<T>((r) => setTimeout(() => r(v), ms));

describe("KeyedQueue", () => {
  it("runs the tasks of one key one at a time, in order, and other keys alongside", async () => {
    const q = new KeyedQueue();
    const seen: string[] = [];
    const task = (key: string, name: string, ms: number) =>
      q.run(key, async () => {
        seen.push(`start ${name}`);
        await later(ms, null);
        seen.push(`end ${name}`);
        return name;
      });
    const results = await Promise.all([task("a", "a1", 30), task("a", "a2", 1), task("b", "b1", 5)]);
    expect(results).toEqual(["a1", "a2", "b1"]);
    expect(seen).toEqual(["start a1", "start b1", "end b1", "end a1", "start a2", "end a2"]);
  });

  it("a failed task does not stop the next one", async () => {
    const q = new KeyedQueue();
    const failed = q.run("a", async () => {
      throw new Error("no");
    });
    await expect(failed).rejects.toThrow("no");
    expect(await q.run("a", async () => 1)).toBe(1);
  });

  it("a task on two keys waits for both and holds both", async () => {
    const q = new KeyedQueue();
    const seen: string[] = [];
    void q.run("a", async () => {
      await later(20, null);
      seen.push("a");
    });
    const both = q.run(["a", "b"], async () => seen.push("a+b"));
    const b = q.run("b", async () => seen.push("b"));
    await Promise.all([both, b]);
    expect(seen).toEqual(["a", "a+b", "b"]);
    await q.idle();
  });

  it("refuses more waiting tasks than its bound", async () => {
    const q = new KeyedQueue(2);
    const slow = q.run("a", () => later(10, 1));
    const second = q.run("a", () => later(1, 2));
    await expect(q.run("a", () => later(1, 3))).rejects.toBeInstanceOf(QueueFullError);
    await Promise.all([slow, second]);
    expect(await q.run("a", async () => 4)).toBe(4);
  });
});

describe("TokenBucket", () => {
  it("allows a burst, then the rate", async () => {
    const b = new TokenBucket(100, 5);
    expect(Array.from({ length: 8 }, () => b.take()).filter(Boolean)).toHaveLength(5);
    await later(30, null);
    expect(b.take()).toBe(true);
  });
});
