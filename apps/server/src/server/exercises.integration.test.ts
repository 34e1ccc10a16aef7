// Exercises over socket.io, on the real kernel: a lab created from the router exercise, two
// browsers (a student's and a teacher's) following it; the student turns forwarding on in the
// router's terminal and both see the checks turn green by themselves; "start over" brings the
// failing state back; a teacher's edit of a check reaches every follower and what reset brings.

import { cp, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueLabName } from "@topolab/engine/testing";
import type { ExerciseState } from "@topolab/protocol";
import { labToDocument } from "@topolab/topology";
import { monitorChildren, startTestServer, type TestServer } from "../testing";
import { ExerciseHub } from "./exercises";

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
  await mkdir(join(t.templatesDir, "exercises"), { recursive: true });
  await cp(join(import.meta.dirname, "../../../../templates/exercises/router-forwarding.yaml"), join(t.templatesDir, "exercises", "router-forwarding.yaml"));
});
afterAll(() => t.close());

const monitors = monitorChildren;

async function waitFor(test: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const statuses = (s: ExerciseState) => Object.fromEntries(s.results.map((r) => [r.id, r.status]));

describe("exercises", () => {
  it("are offered beside the templates, and their checks turn green live in every browser, then reset", async () => {
    const student = await t.connect();
    const teacher = await t.connect();
    const templates = await student.ok("templates:list", {});
    const offered = templates.find((x) => x.id === "exercise-router-forwarding");
    expect(offered).toMatchObject({ exercise: true, title: "Exercise: the router that does not route." });

    const name = uniqueLabName("exs");
    await student.ok("lab:create", { name, source: { type: "template", id: "exercise-router-forwarding" } });
    await teacher.ok("lab:open", { lab: name });

    const first = await student.ok("exercise:watch", { lab: name });
    expect(first.title).toBe("The router that does not route");
    expect(first.checks.map((c) => c.id)).toEqual(["hosts-route", "forwarding", "ns0-ns1", "ns1-ns0"]);
    expect(first.checks.find((c) => c.id === "ns0-ns1")!.nodes).toEqual(["ns0"]);
    expect(first.checks.find((c) => c.id === "forwarding")!.hint).toMatch(/sysctl/);
    await teacher.ok("exercise:watch", { lab: name });

    // the first run's results, as shipped: the router does not forward
    const failing = (s: ExerciseState) => statuses(s)["forwarding"] === "fail" && statuses(s)["ns0-ns1"] === "fail" && statuses(s)["hosts-route"] === "pass";
    await student.next("exercise:results", failing);
    await teacher.next("exercise:results", failing);

    // the student mends it in the router's terminal
    const term = await student.ok("term:open", { lab: name, node: "r", cols: 80, rows: 24 });
    student.socket.emit("term:input", { id: term.id, data: "sysctl -w net.ipv4.ip_forward=1\n" });
    await student.screen(term.id, /net\.ipv4\.ip_forward = 1/);
    const allPass = (s: ExerciseState) => s.results.length === 4 && s.results.every((r) => r.status === "pass");
    const seenByTeacher = await teacher.next("exercise:results", allPass, 20_000);
    expect(seenByTeacher.results.find((r) => r.id === "ns0-ns1")!.seen).toMatch(/^ns0 reaches 10\.1\.20\.2/);
    await student.next("exercise:results", allPass);

    // run on demand gives the same
    expect(statuses(await teacher.ok("exercise:run", { lab: name }))).toEqual({
      "hosts-route": "pass",
      forwarding: "pass",
      "ns0-ns1": "pass",
      "ns1-ns0": "pass",
    });

    // start over: the shell ends, the kernel is as shipped, the lights go red again
    student.clear("exercise:results");
    teacher.clear("exercise:results");
    await student.ok("exercise:reset", { lab: name }, 60_000);
    await student.next("term:exit", (e) => e.id === term.id);
    await teacher.next("exercise:results", failing, 20_000);

    // the teacher edits a check: every follower sees it, and reset keeps it
    const doc = labToDocument((await t.engine.state.readLab(name))!) as { exercise: { checks: { id: string; description: string }[] } };
    const exercise = structuredClone(doc.exercise);
    exercise.checks[0]!.description = "ns0 sends traffic for ns1 to r";
    await teacher.ok("lab:edit", { lab: name, changes: [{ type: "updateLab", set: { exercise } }] });
    await student.next("exercise:results", (s) => s.checks[0]!.description === "ns0 sends traffic for ns1 to r");
    expect((await t.engine.state.readOrigin(name))!.exercise!.checks[0]!.description).toBe("ns0 sends traffic for ns1 to r");

    // a bad check is refused with its place, nothing changed
    const bad = await teacher.request("lab:edit", {
      lab: name,
      changes: [{ type: "updateLab", set: { exercise: { title: "t", checks: [{ kind: "reach", description: "x", from: "nobody", to: "ns1" }] } } }],
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.issues?.[0]).toMatchObject({ path: "exercise.checks[0].from" });

    await student.ok("exercise:unwatch", { lab: name });
    await teacher.ok("lab:delete", { lab: name });
  });

  it("follows the kernel through the live watch its lab's browsers share: one ip monitor per lab, gone with the last follower", async () => {
    const c = await t.connect();
    const name = uniqueLabName("lbx");
    await c.ok("lab:create", { name, source: { type: "template", id: "exercise-router-forwarding" } });
    const others = new Set(await monitors()); // another test's, if any
    const ours = async () => (await monitors()).filter((p) => !others.has(p));
    await c.ok("exercise:watch", { lab: name });
    await waitFor(async () => (await ours()).length === 1, "the exercise's ip monitor");
    const browser = await t.connect();
    await browser.ok("lab:open", { lab: name });
    await browser.ok("live:watch", { lab: name, rates: true });
    expect(await ours()).toHaveLength(1); // the browser's watch is the exercise's
    await c.ok("exercise:unwatch", { lab: name });
    expect(await ours()).toHaveLength(1); // the browser still watches
    await browser.ok("live:unwatch", { lab: name });
    await waitFor(async () => (await ours()).length === 0, "no ip monitor left");
    await c.ok("lab:delete", { lab: name });
  });

  it("a kick that comes while the lab's meta is read runs once more after that read, not dropped", async () => {
    const c = await t.connect();
    const name = uniqueLabName("hrv");
    await c.ok("lab:create", { name, source: { type: "template", id: "exercise-router-forwarding" } });
    // the hub's meta reads, from the state directory, counted: the first is its document's load,
    // the second the first run's, held until released
    let reads = 0;
    let release = () => {};
    const hold = new Promise<void>((resolve) => (release = resolve));
    let told = () => {};
    // no timer's kick: the test's kicks alone
    const hub = new ExerciseHub(t.engine, t.server.live, {
      everyMs: 3_600_000,
      readMeta: async (lab) => {
        const n = ++reads;
        const meta = await t.engine.state.readMeta(lab);
        if (n === 2) await hold;
        return meta;
      },
    });
    try {
      await hub.watch(name, { socketId: "hrv-kick", send: () => told() });
      expect(reads).toBe(2); // the load's, and the first run's, held
      const followersTold = new Promise<void>((resolve) => (told = resolve));
      hub.labChanged(name, true);
      // the document read again, the followers are told (a few ms later): its kick came right after
      await followersTold;
      expect(reads).toBe(3); // the document's load again; its kick waits for the held run
      release();
      await new Promise<void>((resolve) => setImmediate(resolve)); // every promise callback due has run
      // the kick that came meanwhile read the meta again at once (before, it was dropped: the timer's run was the next)
      expect(reads).toBeGreaterThanOrEqual(4);
    } finally {
      await hub.close();
      await c.ok("lab:delete", { lab: name });
    }
  });

  it("refuses a lab without an exercise, and one the socket has not opened", async () => {
    const c = await t.connect();
    const name = uniqueLabName("exs");
    await c.ok("lab:create", { name, source: { type: "blank" } });
    const r = await c.request("exercise:watch", { lab: name });
    expect(r.ok || r.error).toMatchObject({ code: "not_found", message: `lab ${name} has no exercise` });
    const other = await t.connect();
    const closed = await other.request("exercise:watch", { lab: name });
    expect(closed.ok || closed.error.message).toMatch(/open lab .* before/);
    await c.ok("lab:delete", { lab: name });
  });
});
