// Terminals' watchers and take-overs (issue 15) without a lab or root: a real pty running a
// plain `sh` (no namespace), sockets as Attachments that record what they are sent. The cases
// the integration test (classwatch.integration.test.ts) cannot reach easily: a take-over of a
// shell nobody holds, a give-back with the owner gone (the shell then waits the reattach window
// and ends), a watcher's size ignored, the owner refused while the shell is taken over, and
// every shell ended by the test.

import { afterEach, describe, expect, it } from "vitest";
import type { ShellSpec } from "@topolab/engine";
import { RequestError } from "../server/errors";
import { GIVEN_BACK, TAKEN_OVER, Terminals, type Attachment } from "./terminals";

const spec: ShellSpec = { argv: ["/bin/sh"], env: { PS1: "$ " }, cwd: "/tmp" };

interface Recorder extends Attachment {
  screen: string;
  modes: { mode: string; reason: string }[];
  exits: string[];
  /** who watches, as the holder was last told */
  watching: string[];
}

function socket(id: string, session: string, name = id): Recorder {
  const r: Recorder = {
    socketId: id,
    session,
    client: { name, address: "127.0.0.1" },
    screen: "",
    modes: [],
    exits: [],
    output: (_t, data) => void (r.screen += data),
    exit: (_t, info) => void r.exits.push(info.reason),
    detached: () => undefined,
    mode: (_t, mode, reason) => void r.modes.push({ mode, reason }),
    watchers: (_t, list) => void (r.watching = list.map((w) => w.name)),
    watching: [],
  };
  return r;
}

async function until(test: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let terms: Terminals | null = null;
afterEach(async () => {
  await terms?.closeAll("test over");
  expect(terms?.size ?? 0).toBe(0);
  terms = null;
});

describe("watchers and take-overs", () => {
  it("a watcher sees the output, its keys are refused and its size ignored; a take-over of a shell nobody holds; give-back with its owner gone waits the window, then ends", async () => {
    terms = new Terminals({ reattachMs: 300, scrollbackChars: 10_000 });
    const student = socket("s1", "student-abc");
    const info = terms.open("student-abc", student, { lab: "cltest", node: "h1", cols: 80, rows: 24, spec });
    student.socketId = "s1";
    terms.input("student-abc", "s1", info.id, "echo one-$((1+1))\n");
    await until(() => student.screen.includes("one-2"), "the holder's output");

    const teacher = socket("t1", "teacher", "Teacher");
    const watched = terms.watch("teacher", teacher, info.id);
    expect(watched.scrollback).toContain("one-2");
    expect(watched.terminal.watchers).toEqual([{ name: "Teacher", address: "127.0.0.1" }]);
    expect(student.watching).toEqual(["Teacher"]); // the student is told
    expect(() => terms!.input("teacher", "t1", info.id, "echo nope\n")).toThrow(RequestError);
    terms.resize("teacher", "t1", info.id, 20, 5);
    terms.input("student-abc", "s1", info.id, "stty size; echo two-$((2+2))\n");
    await until(() => teacher.screen.includes("two-4"), "the watcher's output");
    expect(teacher.screen).toMatch(/24 80/);
    expect(student.screen).not.toContain("nope");
    // the holder's own socket cannot also watch
    expect(() => terms!.watch("student-abc", student, info.id)).toThrow(/cannot also watch/);

    // the student goes: nobody holds the shell; the instructor takes it over, keeping it alive
    terms.socketGone("s1");
    const took = terms.takeOver("teacher", teacher, info.id);
    expect(took.terminal.takenOverBy?.name).toBe("Teacher");
    expect(took.terminal.detachedAt).toBeUndefined();
    await new Promise((r) => setTimeout(r, 500)); // past the reattach window: the take-over holds it
    expect(terms.size).toBe(1);
    // the student comes back: they cannot take it, they watch
    const back = socket("s2", "student-abc");
    expect(() => terms!.attach("student-abc", back, info.id)).toThrow(new RegExp(TAKEN_OVER));
    terms.watch("student-abc", back, info.id);
    terms.input("teacher", "t1", info.id, "echo three-$((3+3))\n");
    await until(() => back.screen.includes("three-6"), "the owner watching the instructor's typing");
    // a second instructor tab cannot take it over as well
    expect(() => terms!.takeOver("teacher", socket("t2", "teacher"), info.id)).toThrow(/taken this terminal over already/);

    // give back: the owner's watching socket holds it again
    terms.giveBack("teacher", "t1", info.id);
    expect(back.modes).toEqual([{ mode: "hold", reason: GIVEN_BACK }]);
    expect(back.watching).toEqual(["Teacher"]);
    expect(teacher.modes.map((m) => m.mode)).toEqual(["watch"]);
    terms.input("student-abc", "s2", info.id, "echo four-$((4+4))\n");
    await until(() => teacher.screen.includes("four-8"), "the instructor watching again");

    // the instructor takes it again and the owner leaves; give-back finds nobody: the window runs, then it ends
    terms.takeOver("teacher", teacher, info.id);
    expect(back.modes.at(-1)).toEqual({ mode: "watch", reason: TAKEN_OVER });
    terms.socketGone("s2");
    terms.giveBack("teacher", "t1", info.id);
    expect(terms.list("", { lab: "cltest" })[0]?.detachedAt).toBeDefined();
    await until(() => terms!.size === 0, "the shell to end after the window", 5000);
    expect(teacher.exits[0]).toMatch(/no browser came back/);
  });

  it("a terminal has at most maxWatchers watchers; one watching again is no new one", () => {
    terms = new Terminals({ reattachMs: 60_000, scrollbackChars: 1000, maxWatchers: 2 });
    const info = terms.open("s", socket("h", "s"), { lab: "cltest", node: "h1", cols: 80, rows: 24, spec });
    terms.watch("a", socket("w1", "a"), info.id);
    terms.watch("a", socket("w2", "a"), info.id);
    terms.watch("a", socket("w2", "a"), info.id);
    expect(() => terms!.watch("a", socket("w3", "a"), info.id)).toThrow(/at most 2 browsers watch one terminal/);
    terms.unwatch("a", "w1", info.id);
    terms.watch("a", socket("w3", "a"), info.id);
    expect(terms.list("", { lab: "cltest" })[0]?.watchers?.map((w) => w.name)).toEqual(["w2", "w3"]);
  });

  it("the instructor's socket going while it holds a taken-over shell gives it back to the owner's watching socket", async () => {
    terms = new Terminals({ reattachMs: 60_000, scrollbackChars: 10_000 });
    const student = socket("s1", "student-xyz");
    const info = terms.open("student-xyz", student, { lab: "cltest", node: "h1", cols: 80, rows: 24, spec });
    const teacher = socket("t1", "teacher");
    terms.takeOver("teacher", teacher, info.id);
    expect(terms.watching("s1", info.id)).toBe(true);
    terms.socketGone("t1");
    expect(student.modes.map((m) => m.mode)).toEqual(["watch", "hold"]);
    expect(terms.watching("s1", info.id)).toBe(false);
    terms.input("student-xyz", "s1", info.id, "echo mine-$((5+5))\n");
    await until(() => student.screen.includes("mine-10"), "the owner typing again");
    expect(terms.list("", { lab: "cltest" })[0]?.takenOverBy).toBeUndefined();
  });
});
