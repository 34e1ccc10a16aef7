// The instructor's watch on the real kernel (issue 15, item 3): a student's confined shell
// watched read-only by the instructor (its output live, their keys refused by the server, their
// size ignored), taken over (the student watches and is told so, cannot take it back) and
// given back; a lab watched read-only refuses edits until taken over; a slow watcher misses
// output and is redrawn while the holder gets every character; and students reach none of it:
// another student's terminal cannot be watched, taken over or given back, and a student cannot
// take over even their own.

import { describe, expect, it } from "vitest";
import { leftoversAfterSettling } from "@topolab/engine/testing";
import type { ClientEventName } from "@topolab/protocol";
import type { Client } from "../testing";
import { serverSession } from "../testing-session";
import { GIVEN_BACK, TAKEN_OVER } from "../terminals/terminals";
import { joinClass, studentClient } from "./classes-testing";

const session = serverSession({ classLabPrefix: "cl" }, { closeTimeoutMs: 120_000 });

/** A fire-and-forget event's refusal (protocol:error), or null when none came within `ms`. */
async function refusalOf(c: Client, event: ClientEventName, args: Record<string, unknown>, ms = 1500): Promise<{ code: string; message: string } | null> {
  c.clear("protocol:error");
  c.socket.emit(event, args);
  return c
    .next("protocol:error", (p) => p.event === event, ms)
    .then((p) => p.error)
    .catch(() => null);
}

const mark = () => Math.random().toString(36).slice(2, 8);

describe("the instructor's watch", () => {
  it("watches a student's shell read-only, takes it over and gives it back; students reach none of it", async () => {
    const teacher = await session.server.connect({ client: "Teacher's browser" });
    const base = `clw${mark()}`;
    await teacher.ok("lab:create", { name: base, source: { type: "file", text: "nodes:\n  - {name: h1, kind: host}\n  - {name: h2, kind: host}\n" } });
    const klass = await teacher.ok("class:create", { name: "Watch 101", size: 2, source: { type: "lab", lab: base } });
    const a = await joinClass(session.server.origin, klass.code, "Ada");
    const b = await joinClass(session.server.origin, klass.code, "Bob");
    await session.server.server.classes.settled(klass.code);
    const sa = await studentClient(session.server.origin, a.cookie);
    const sb = await studentClient(session.server.origin, b.cookie);
    await sa.ok("lab:open", { lab: a.lab });
    const term = await sa.ok("term:open", { lab: a.lab, node: "h1", cols: 90, rows: 30 });
    const m0 = mark();
    sa.socket.emit("term:input", { id: term.id, data: `echo ready-${m0}-$((1+1))\n` });
    await sa.screen(term.id, new RegExp(`ready-${m0}-2`), 20_000);

    // ---- students: B reaches nothing of A's terminal; A cannot take over their own ----
    for (const ev of ["term:watch", "term:takeover", "term:giveback", "term:unwatch"] as const) {
      expect(await sb.request(ev, { id: term.id })).toMatchObject({ ok: false, error: { code: "not_found" } });
    }
    expect(await sb.request("lab:open", { lab: a.lab, watch: true })).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect(await sb.request("lab:mode", { lab: a.lab, mode: "edit" })).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect(await sa.request("term:takeover", { id: term.id })).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect(await sa.request("term:giveback", { id: term.id })).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect(sb.screens.get(term.id)).toBeUndefined();

    // ---- the instructor watches A's lab read-only: nothing that changes it goes through ----
    await teacher.ok("lab:open", { lab: a.lab, watch: true });
    const docBefore = JSON.stringify(await session.server.engine.state.readLab(a.lab));
    for (const [ev, args] of [
      ["lab:edit", { lab: a.lab, changes: [{ type: "addNode", node: { name: "evil", kind: "host" } }] }],
      ["lab:stop", { lab: a.lab }],
      ["lab:rename", { lab: a.lab, to: `${a.lab}x` }],
      ["lab:delete", { lab: a.lab }],
      ["term:open", { lab: a.lab, node: "h1", cols: 80, rows: 24 }],
      ["term:close", { id: term.id }],
      ["exercise:reset", { lab: a.lab }],
      ["live:restore", { lab: a.lab }],
    ] as const) {
      const r = await teacher.request(ev as "lab:edit", args as never);
      expect(r, ev).toMatchObject({ ok: false, error: { code: "invalid", message: expect.stringMatching(/read-only: take over/) } });
    }
    expect(JSON.stringify(await session.server.engine.state.readLab(a.lab))).toBe(docBefore);
    expect((await session.server.engine.state.readMeta(a.lab))?.running).toBe(true);

    // the student's shell is listed to the instructor, watched: its scrollback first, then live output
    expect((await teacher.ok("term:list", { lab: a.lab })).map((x) => x.id)).toEqual([term.id]);
    const watched = await teacher.ok("term:watch", { id: term.id });
    expect(watched.scrollback).toMatch(new RegExp(`ready-${m0}-2`));
    expect(watched.terminal.watchers?.map((w) => w.name)).toEqual(["Teacher's browser"]);
    // the student is told who watches their shell
    expect((await sa.next("term:watchers", (p) => p.id === term.id && p.watchers.length > 0)).watchers.map((w) => w.name)).toEqual(["Teacher's browser"]);
    const m1 = mark();
    sa.socket.emit("term:input", { id: term.id, data: `echo live-${m1}-$((2+3))\n` });
    await teacher.screen(term.id, new RegExp(`live-${m1}-5`), 20_000);
    // the watcher's keys are refused by the server, and never reach the shell
    const refused = await refusalOf(teacher, "term:input", { id: term.id, data: `echo teacher-${m1}-$((6*7))\n` });
    expect(refused).toMatchObject({ code: "invalid", message: expect.stringMatching(/read-only/) });
    // its size is not the pty's
    teacher.socket.emit("term:resize", { id: term.id, cols: 20, rows: 5 });
    const m2 = mark();
    sa.socket.emit("term:input", { id: term.id, data: `echo after-$(stty size)-${m2}\n` });
    await sa.screen(term.id, new RegExp(`after-30 90-${m2}`), 20_000);
    await teacher.screen(term.id, new RegExp(`after-30 90-${m2}`), 20_000);
    expect(sa.screens.get(term.id)).not.toMatch(new RegExp(`teacher-${m1}-42`));

    // ---- take over: the instructor's keys reach the shell, A watches and is told so ----
    sa.clear("term:mode");
    const took = await teacher.ok("term:takeover", { id: term.id });
    expect(took.terminal.takenOverBy?.name).toBe("Teacher's browser");
    expect(await sa.next("term:mode")).toEqual({ id: term.id, mode: "watch", reason: TAKEN_OVER });
    expect(await refusalOf(sa, "term:input", { id: term.id, data: "echo student-typed\n" })).toMatchObject({ code: "invalid" });
    // A cannot take it back meanwhile (a reload's term:attach says why)
    expect(await sa.request("term:attach", { id: term.id })).toMatchObject({
      ok: false,
      error: { code: "busy", message: expect.stringMatching(/taken over/) },
    });
    // and the student's own tab of it: still listed as theirs
    expect((await sa.ok("term:list", {})).map((x) => x.id)).toEqual([term.id]);
    const m3 = mark();
    teacher.socket.emit("term:input", { id: term.id, data: `echo took-${m3}-$((2*3))\n` });
    await teacher.screen(term.id, new RegExp(`took-${m3}-6`), 20_000);
    await sa.screen(term.id, new RegExp(`took-${m3}-6`), 20_000);
    expect(sa.screens.get(term.id)).not.toMatch(/^student-typed/m);

    // ---- give back: A holds it again, the instructor watches on ----
    sa.clear("term:mode");
    await teacher.ok("term:giveback", { id: term.id });
    expect(await sa.next("term:mode")).toEqual({ id: term.id, mode: "hold", reason: GIVEN_BACK });
    expect((await teacher.next("term:mode", (p) => p.id === term.id)).mode).toBe("watch");
    const m4 = mark();
    sa.socket.emit("term:input", { id: term.id, data: `echo back-${m4}-$((3*3))\n` });
    await teacher.screen(term.id, new RegExp(`back-${m4}-9`), 20_000);
    expect(await refusalOf(teacher, "term:input", { id: term.id, data: "echo again\n" })).toMatchObject({ code: "invalid" });
    expect(await teacher.request("term:giveback", { id: term.id })).toMatchObject({ ok: false, error: { code: "conflict" } });

    // ---- the instructor's connection goes while it holds the shell: back to A ----
    const t2 = await session.server.connect({ client: "Teacher's other tab" });
    await t2.ok("term:takeover", { id: term.id });
    sa.clear("term:mode");
    t2.close();
    expect(await sa.next("term:mode", (p) => p.mode === "hold")).toMatchObject({ id: term.id, reason: GIVEN_BACK });
    const m5 = mark();
    sa.socket.emit("term:input", { id: term.id, data: `echo mine-${m5}-$((4*4))\n` });
    await sa.screen(term.id, new RegExp(`mine-${m5}-16`), 20_000);

    // ---- "take over" the lab: the instructor may edit it now; "watch" again: refused again ----
    await teacher.ok("lab:mode", { lab: a.lab, mode: "edit" });
    await teacher.ok("lab:edit", { lab: a.lab, changes: [{ type: "addNode", node: { name: "extra", kind: "host" } }] });
    await teacher.ok("lab:edit", { lab: a.lab, changes: [{ type: "removeNode", name: "extra" }] });
    await teacher.ok("lab:mode", { lab: a.lab, mode: "watch" });
    expect(await teacher.request("lab:edit", { lab: a.lab, changes: [{ type: "addNode", node: { name: "evil", kind: "host" } }] })).toMatchObject({
      ok: false,
      error: { code: "invalid" },
    });

    // ---- a slow watcher cannot stall the holder: it misses output and is redrawn ----
    const slow = await session.server.connect({ client: "A slow browser" });
    slow.autoAck = false;
    await slow.ok("term:watch", { id: term.id });
    const m6 = mark();
    // ~1.6 MB of output, six times the high-water mark
    sa.socket.emit("term:input", { id: term.id, data: `head -c 1600000 /dev/zero | tr '\\0' x | fold -w 100; echo; echo flood-${m6}-$((5*5))\n` });
    await sa.screen(term.id, new RegExp(`flood-${m6}-25`), 60_000);
    const owed = slow.screens.get(term.id)!.length;
    expect(owed).toBeGreaterThan(100_000);
    expect(owed).toBeLessThan(256 * 1024 + 200_000); // the high-water mark and one coalesced chunk
    expect(session.server.server.terminals.watcherMissed(slow.socket.id!, term.id)).toBeGreaterThan(1_000_000);
    // it catches up: a screen reset and the recent output, then live again
    slow.socket.emit("term:ack", { id: term.id, chars: owed });
    await slow.screen(term.id, new RegExp(`\\x1bc[^]*flood-${m6}-25`), 20_000);
    slow.autoAck = true;
    slow.socket.emit("term:ack", { id: term.id, chars: slow.screens.get(term.id)!.length - owed });
    const m7 = mark();
    sa.socket.emit("term:input", { id: term.id, data: `echo caught-${m7}-$((7*7))\n` });
    await slow.screen(term.id, new RegExp(`caught-${m7}-49`), 20_000);
    slow.close();

    // ---- the end: the class goes, nothing left ----
    await teacher.ok("class:end", { code: klass.code }, 60_000);
    for (const lab of [a.lab, b.lab]) {
      expect(await session.server.engine.state.readMeta(lab)).toBeNull();
      expect(await leftoversAfterSettling(lab)).toEqual([]);
    }
    await teacher.ok("lab:delete", { lab: base });
    expect(await leftoversAfterSettling(base)).toEqual([]);
    expect(session.server.server.terminals.size).toBe(0);
  }, 240_000);
});
