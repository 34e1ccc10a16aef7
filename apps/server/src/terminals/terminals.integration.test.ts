// Browser terminals on the real kernel (as root): flow control under a flood, reattach after
// a reload with the recent output, a browser that never comes back (its shell and jobs end),
// a take-over by another tab, a stopped lab ending its terminals, and (issue 13) a closed
// tab's shell listed to another browser on the lab, with who opened it and since when, and
// joined with its scrollback.

import { readdir, readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alive, ensureOvsRunning } from "@topolab/engine";
import { uniqueLabName } from "@topolab/engine/testing";
import { LIMITS } from "@topolab/protocol";
import { startTestServer, type Client, type TestServer } from "../testing";

let t: TestServer;
let quick: TestServer;

beforeAll(async () => {
  await ensureOvsRunning();
  [t, quick] = await Promise.all([startTestServer(), startTestServer({ reattachMs: 300 })]);
});

afterAll(async () => {
  await Promise.all([t?.close(), quick?.close()]);
});

const session = () => `s${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`.slice(0, 24);

async function labWithHost(c: Client): Promise<string> {
  const name = uniqueLabName("srv");
  await c.ok("lab:create", { name, source: { type: "file", text: "nodes:\n  - {name: h1, kind: host}\n" } });
  return name;
}

async function shell(c: Client, lab: string): Promise<string> {
  const { id } = await c.ok("term:open", { lab, node: "h1", cols: 80, rows: 24 });
  await c.screen(id, /root@h1.*# $/);
  return id;
}

/** PIDs whose command line is exactly `argv`. */
async function pidsOf(argv: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const e of await readdir("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    const cmd = await readFile(`/proc/${e}/cmdline`, "utf8").catch(() => "");
    if (cmd === `${argv.join("\0")}\0`) out.push(Number(e));
  }
  return out;
}

describe("terminals", () => {
  it("pause a flooding shell while its browser is behind, keep others responsive, and resume on acks", async () => {
    const c = await t.connect();
    const lab = await labWithHost(c);
    const flood = await shell(c, lab);
    const other = await shell(c, lab);
    c.autoAck = false;
    c.socket.emit("term:input", { id: flood, data: "yes topolab-flood\r" });
    await c.screen(flood, /topolab-flood\r?\ntopolab-flood/);
    await new Promise((r) => setTimeout(r, 500));
    const stalled = c.screens.get(flood)!.length;
    await new Promise((r) => setTimeout(r, 500));
    const later = c.screens.get(flood)!.length;
    // output stops near the high-water mark: the pty is paused, not buffered in the server
    expect(later).toBe(stalled);
    expect(stalled).toBeLessThan(LIMITS.highWater + 256 * 1024);

    // another terminal answers at once meanwhile
    c.autoAck = true;
    const t0 = performance.now();
    c.socket.emit("term:input", { id: other, data: "echo still-here\r" });
    await c.screen(other, /^still-here\r?$/m);
    expect(performance.now() - t0).toBeLessThan(1000);

    // the browser catches up: output flows again
    c.socket.emit("term:ack", { id: flood, chars: later });
    await new Promise((r) => setTimeout(r, 200));
    expect(c.screens.get(flood)!.length).toBeGreaterThan(later);
    c.socket.emit("term:input", { id: flood, data: "\x03" });
    await c.ok("lab:delete", { lab });
    expect((await c.next("term:exit", (p) => p.id === flood)).reason).toBe(`lab ${lab} was deleted`);
  });

  it("give a reloaded page its terminals back with their recent output; another tab takes one over", async () => {
    const s = session();
    const first = await t.connect({ session: s });
    const lab = await labWithHost(first);
    const id = await shell(first, lab);
    first.socket.emit("term:input", { id, data: "echo before-$((6*7))\r" });
    await first.screen(id, /before-42/);
    first.close();

    const reloaded = await t.connect({ session: s });
    expect((await reloaded.ok("term:list", {})).map((x) => x.id)).toEqual([id]);
    const { scrollback, terminal } = await reloaded.ok("term:attach", { id });
    expect(scrollback).toContain("before-42");
    expect(terminal).toMatchObject({ lab, node: "h1" });
    reloaded.socket.emit("term:input", { id, data: "echo after-$((6*8))\r" });
    await reloaded.screen(id, /after-48/);

    // another browser's session does not get it back as its own after a reload
    const stranger = await t.connect({ session: session() });
    expect(await stranger.ok("term:list", {})).toEqual([]);
    expect((await stranger.request("term:attach", { id: "nosuchterminal" })).ok).toBe(false);

    const tab = await t.connect({ session: s });
    await tab.ok("term:attach", { id });
    expect((await reloaded.next("term:detached", (p) => p.id === id)).reason).toMatch(/another tab/);

    await tab.ok("lab:stop", { lab });
    expect((await tab.next("term:exit", (p) => p.id === id)).reason).toBe(`lab ${lab} was stopped`);
    await tab.ok("lab:delete", { lab });
  });

  it("end a terminal whose browser does not come back, with every process of its session", async () => {
    const c = await quick.connect({ session: session() });
    const lab = await labWithHost(c);
    const id = await shell(c, lab);
    c.socket.emit("term:input", { id, data: "echo PID=$$; sleep 7771 & sleep 7772\r" });
    const pid = Number((await c.screen(id, /PID=(\d+)/)).match(/PID=(\d+)/)![1]);
    let jobs: number[] = [];
    for (let i = 0; i < 100 && jobs.length < 2; i++) {
      jobs = [...(await pidsOf(["sleep", "7771"])), ...(await pidsOf(["sleep", "7772"]))];
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(jobs).toHaveLength(2);
    c.close();
    const deadline = Date.now() + 5000;
    while ([pid, ...jobs].some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect([pid, ...jobs].filter(alive)).toEqual([]);

    const back = await quick.connect();
    await back.ok("lab:delete", { lab });
  });

  it("list a closed tab's shell to another browser on the lab, who opened it and since when, and let it join with the scrollback", async () => {
    const teacher = await t.connect({ session: session(), client: "Firefox on Mac" });
    const lab = await labWithHost(teacher);
    const id = await shell(teacher, lab);
    teacher.socket.emit("term:input", { id, data: "echo PID=$$ marker-$((6*7))\r" });
    const pid = Number((await teacher.screen(id, /PID=(\d+) marker-42/)).match(/PID=(\d+)/)![1]);
    const held = await teacher.ok("term:list", { lab });
    expect(held).toEqual([
      expect.objectContaining({
        id,
        node: "h1",
        openedBy: { name: "Firefox on Mac", address: "127.0.0.1" },
        attachedBy: { name: "Firefox on Mac", address: "127.0.0.1" },
      }),
    ]);
    expect(held[0]!.detachedAt).toBeUndefined();
    teacher.close(); // the tab is closed: its session is gone with it

    const other = await t.connect({ session: session(), client: "Chromium on Linux" });
    let listed: Awaited<ReturnType<typeof other.ok<"term:list">>> = [];
    for (let i = 0; i < 100 && !listed[0]?.detachedAt; i++) {
      listed = await other.ok("term:list", { lab, node: "h1" });
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id, lab, node: "h1", openedBy: { name: "Firefox on Mac", address: "127.0.0.1" } });
    expect(listed[0]!.attachedBy).toBeUndefined();
    expect(Date.parse(listed[0]!.createdAt)).toBeLessThanOrEqual(Date.parse(listed[0]!.detachedAt!));
    expect(await other.ok("term:list", { lab, node: "h2" })).toEqual([]);
    expect(alive(pid)).toBe(true);

    const { scrollback, terminal } = await other.ok("term:attach", { id });
    expect(scrollback).toContain("marker-42");
    expect(terminal.attachedBy).toEqual({ name: "Chromium on Linux", address: "127.0.0.1" });
    other.socket.emit("term:input", { id, data: "echo joined-$((6*8)) $$\r" });
    await other.screen(id, new RegExp(`joined-48 ${pid}`));
    // after a reload the joining browser gets it back as its own
    expect((await other.ok("term:list", {})).map((x) => x.id)).toEqual([id]);

    // a third browser joins: the one holding it is told who took it
    const third = await t.connect({ session: session(), client: "Edge" });
    await third.ok("term:attach", { id });
    expect((await other.next("term:detached", (p) => p.id === id)).reason).toBe("Edge (127.0.0.1) joined this terminal and holds it now");
    await third.ok("lab:delete", { lab });
    expect(alive(pid)).toBe(false);
  });

  it("end a shell no browser holds after the reattach window: gone from the list, its process gone", async () => {
    const c = await quick.connect({ session: session() });
    const lab = await labWithHost(c);
    const id = await shell(c, lab);
    c.socket.emit("term:input", { id, data: "echo PID=$$\r" });
    const pid = Number((await c.screen(id, /PID=(\d+)/)).match(/PID=(\d+)/)![1]);
    expect(alive(pid)).toBe(true);
    c.close();
    const other = await quick.connect({ session: session() });
    const deadline = Date.now() + 5000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(alive(pid)).toBe(false);
    expect(await other.ok("term:list", { lab })).toEqual([]);
    const gone = await other.request("term:attach", { id });
    expect(gone.ok ? null : gone.error.message).toBe("that terminal has ended: no browser came back for it within 0.3 s");
    await other.ok("lab:delete", { lab });
  });
});
