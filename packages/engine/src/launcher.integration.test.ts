// The launcher (launcher.ts) with its real helper process: every program gives the same result
// through it as through Node's own spawn (output, input, exit codes, time-outs, aborts, output
// bounds, programs that cannot start); programs run beside each other; a helper that dies
// fails what it was running, and run() goes on through Node's spawn; released, the helper ends.

import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { launcherInUse, run, type RunOptions } from "./exec";
import { useLauncher } from "./launcher";
import { alive } from "./processes";

const cases: { argv: string[]; options?: RunOptions }[] = [
  { argv: ["echo", "hello", "wörld ✓"] },
  { argv: ["cat"], options: { input: "line 1\nline 2 é\n" } },
  { argv: ["sh", "-c", "echo out; echo err >&2; exit 3"] },
  { argv: ["sh", "-c", "kill -TERM $$"] },
  { argv: ["sh", "-c", "echo $PATH $LANG"] },
  { argv: ["env"], options: { env: { PATH: "/usr/bin:/bin", ONLY: "this" } } },
  { argv: ["head", "-c", "300000", "/dev/zero"], options: { maxOutput: 1000 } },
  { argv: ["sleep", "5"], options: { timeoutMs: 150 } },
  { argv: ["true"], options: { input: "x".repeat(1 << 20) } },
  { argv: ["/nonexistent/program", "--flag"] },
  { argv: ["no-such-tool-anywhere"] },
];

/** What a result says, with a bounded output's exact size (a chunk's size) left out. */
function said(r: Awaited<ReturnType<typeof run>>) {
  return {
    ...r,
    stdout: r.stdout.length > 1000 ? `${r.stdout.length >= 1000} chars` : r.stdout,
    stderr: r.stderr.replace(/^.*cannot start: .*$/, "cannot start"),
  };
}

let release: ((waitMs?: number) => Promise<string[]>) | null = null;
afterEach(async () => {
  await release?.();
  release = null;
  expect(launcherInUse()).toBeNull();
});

describe("the launcher", () => {
  it("gives every program the result Node's own spawn gives", async () => {
    const direct = [];
    for (const c of cases) direct.push(said(await run(c.argv, c.options)));
    release = await useLauncher();
    const helper = launcherInUse();
    expect(helper?.alive).toBe(true);
    const through = [];
    for (const c of cases) through.push(said(await run(c.argv, c.options)));
    expect(through).toEqual(direct);
    // and the programs were the helper's children, not this process's
    const parent = await run(["sh", "-c", "echo $PPID"]);
    expect(Number(parent.stdout.trim())).toBe(helper!.pid);
    expect(direct[7]).toMatchObject({ code: 137, timedOut: true });
    expect(direct[9]!.code).toBe(127);
  });

  it("stops a program when its signal aborts, and says why", async () => {
    release = await useLauncher();
    const stop = new AbortController();
    setTimeout(() => stop.abort("the user stopped it"), 100);
    const t = performance.now();
    const r = await run(["sleep", "5"], { signal: stop.signal });
    expect(performance.now() - t).toBeLessThan(4000);
    expect(r).toMatchObject({ code: 137, timedOut: true });
    expect(r.stderr).toContain("stopped: the user stopped it");
  });

  it("runs programs beside each other, each answered with its own output", async () => {
    release = await useLauncher();
    const t = performance.now();
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => run(["sh", "-c", `sleep 0.3; echo ${i}; echo e${i} >&2`])));
    expect(performance.now() - t).toBeLessThan(0.3 * 40 * 1000);
    expect(results.map((r) => `${r.code} ${r.stdout.trim()} ${r.stderr.trim()}`)).toEqual(Array.from({ length: 40 }, (_, i) => `0 ${i} e${i}`));
  });

  it("is shared: it ends when its last user lets it go, and the helper process is gone", async () => {
    const first = await useLauncher();
    const second = await useLauncher();
    const helper = launcherInUse()!;
    await first();
    expect(launcherInUse()).toBe(helper);
    expect((await run(["echo", "still"])).stdout).toBe("still\n");
    await second();
    expect(launcherInUse()).toBeNull();
    expect(alive(helper.pid!)).toBe(false);
  });

  it("released while a program runs: waits for it a while, then ends the helper and says what still ran, which goes on by itself", async () => {
    const mine = await useLauncher();
    const helper = launcherInUse()!;
    const marker = `/tmp/topolab-launcher-test-${process.pid}-release`;
    const script = `echo $$ > ${marker}; sleep 1.5; echo done >> ${marker}`;
    const running = run(["sh", "-c", script]);
    for (let i = 0; i < 100 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 10));
    const t = performance.now();
    expect(await mine(300)).toEqual([`/usr/bin/sh -c ${script}`]);
    expect(performance.now() - t).toBeLessThan(1200);
    expect(launcherInUse()).toBeNull();
    expect(alive(helper.pid!)).toBe(false);
    // what waited for the program hears that the launcher ended; the program itself goes on
    expect((await running).stderr).toMatch(/topolab's launcher \(pid \d+\) exited on SIGKILL while \/usr\/bin\/sh ran/);
    const pid = Number((await readFile(marker, "utf8")).trim());
    expect(alive(pid)).toBe(true);
    for (let i = 0; i < 300 && alive(pid); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await readFile(marker, "utf8")).toBe(`${pid}\ndone\n`);
    await rm(marker);
  });

  it("a program that ends without reading its input leaves the helper idle (its pipe closed, not watched on)", async () => {
    release = await useLauncher();
    const helper = launcherInUse()!;
    expect(await run(["true"], { input: "x".repeat(4 << 20) })).toMatchObject({ code: 0 });
    expect(await run(["sh", "-c", "exit 4"], { input: "y".repeat(4 << 20) })).toMatchObject({ code: 4 });
    // utime + stime of the helper (fields 14 and 15 of /proc/PID/stat), in clock ticks
    const ticks = async () => {
      const fields = (await readFile(`/proc/${helper.pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
      return Number(fields[11]) + Number(fields[12]);
    };
    const before = await ticks();
    await new Promise((r) => setTimeout(r, 500));
    expect((await ticks()) - before).toBeLessThan(10);
    expect((await readFile(`/proc/${helper.pid}/stat`, "utf8")).length).toBeGreaterThan(0);
  });

  it("a helper that dies fails what it ran (never runs it twice), says so, and run() starts programs itself again", async () => {
    const heard: string[] = [];
    release = await useLauncher((line) => heard.push(line));
    const helper = launcherInUse()!;
    const marker = `/tmp/topolab-launcher-test-${process.pid}`;
    const running = run(["sh", "-c", `echo once >> ${marker}; sleep 5`]);
    await new Promise((r) => setTimeout(r, 300));
    process.kill(helper.pid!, "SIGKILL");
    const r = await running;
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/topolab's launcher \(pid \d+\) exited on SIGKILL while \/usr\/bin\/sh ran/);
    expect(helper.alive).toBe(false);
    expect(heard).toEqual([expect.stringMatching(/^topolab's launcher \(pid \d+\) exited on SIGKILL: programs start through Node's spawn again$/)]);
    const after = await run(["sh", "-c", "echo $PPID"]);
    expect(Number(after.stdout.trim())).toBe(process.pid);
    expect(await readFile(marker, "utf8")).toBe("once\n");
    await run(["rm", "-f", marker]);
  });
});
