// The state directory's locks, on files in a temporary directory (no root, no kernel).

import { mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LockError, StateStore } from "./state";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "topolab-state-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("locks", () => {
  it("are whole from the start, leave no draft behind, and go when the work is done", async () => {
    const s = new StateStore(dir);
    const seen = await s.withLock(join(dir, "x.lock"), "work", async () => (await readdir(dir)).sort());
    expect(seen).toEqual(["x.lock"]);
    expect(await readdir(dir)).toEqual([]);
  });

  it("take over a lock left empty by a process killed while making it (an older topolab's), once it is a few seconds old", async () => {
    const s = new StateStore(dir);
    const path = join(dir, "registry.lock");
    await writeFile(path, "");
    const old = new Date(Date.now() - 10_000);
    await utimes(path, old, old);
    expect(await s.withLock(path, "work", async () => "done", 2000)).toBe("done");
  });

  it("take over the lock of a dead holder, and wait for a live one", async () => {
    const s = new StateStore(dir);
    const path = join(dir, "lab.lock");
    await writeFile(path, JSON.stringify({ pid: 2 ** 22 + 12345, what: "up x" }));
    expect(await s.withLock(path, "work", async () => 1, 2000)).toBe(1);
    await writeFile(path, JSON.stringify({ pid: process.pid, what: "up y" }));
    const e = await s.withLock(path, "work", async () => 2, 300).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LockError);
    expect((e as Error).message).toMatch(new RegExp(`process ${process.pid} is doing "up y"`));
  });
});
