// The CLI's commands for a lab reach the server's command log: a journal written by another
// process (appendJournal, as `topolab capture` does) is read at start into the lab's history,
// and what is added later is sent to the lab's room on the next tick while browsers are
// connected (none connected: it waits). Files in a temporary state directory.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appendJournal, StateStore, type JournalEntry } from "@topolab/engine";
import type { LogEntry } from "@topolab/protocol";
import { CommandLog } from "./commandlog";
import { JournalTail } from "./journal";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cp-tail-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const line = (n: number, time: string): JournalEntry => ({ time, pid: 999, command: `tcpdump -i eth${n} -w -`, ok: true, op: `capture h1:eth${n}` });

describe("JournalTail", () => {
  it("brings a lab's journal into its command log: history at start, then what is new", async () => {
    const state = new StateStore(dir);
    await mkdir(state.labDir("cpa"), { recursive: true });
    await appendJournal(state.labDir("cpa"), [line(0, "2026-11-29T08:00:00.000Z")]);
    const sent: [string, LogEntry[]][] = [];
    const log = new CommandLog((lab, entries) => sent.push([lab, entries]));
    let browsers = false;
    const warnings: string[] = [];
    const tail = new JournalTail(
      state,
      log,
      60_000,
      () => browsers,
      (w) => warnings.push(w),
    );
    await tail.start();
    tail.stop();
    expect(log.history("cpa")).toEqual([{ time: "2026-11-29T08:00:00.000Z", command: "tcpdump -i eth0 -w -", ok: true, op: "capture h1:eth0" }]);

    await appendJournal(state.labDir("cpa"), [line(1, "2026-11-29T08:01:00.000Z")]);
    await tail.tick(); // no browser connected: nothing read
    expect(log.history("cpa")).toHaveLength(1);
    browsers = true;
    await tail.tick();
    log.flush();
    expect(log.history("cpa").map((e) => e.op)).toEqual(["capture h1:eth0", "capture h1:eth1"]);
    expect(sent.at(-1)).toEqual(["cpa", [{ time: "2026-11-29T08:01:00.000Z", command: "tcpdump -i eth1 -w -", ok: true, op: "capture h1:eth1" }]]);
    await tail.tick();
    expect(log.history("cpa")).toHaveLength(2); // read once
    expect(warnings).toEqual([]);
  });

  it("says when a journal holds lines that are not entries", async () => {
    const state = new StateStore(dir);
    await mkdir(state.labDir("cpb"), { recursive: true });
    await writeFile(join(state.labDir("cpb"), "commands.jsonl"), "oops\n");
    const warnings: string[] = [];
    const tail = new JournalTail(
      state,
      new CommandLog(() => undefined),
      60_000,
      () => true,
      (w) => warnings.push(w),
    );
    await tail.tick();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/commands\.jsonl has 1 line\(s\) that are not entries/);
  });
});
