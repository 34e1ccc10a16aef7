// A lab's command journal: lines written and parsed back, a bad line reported (not dropped in
// silence), reading only what is new, the journal cut to its newer half and read again without
// repeats, and no lab directory brought back by a write. Files in a temporary directory.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile, appendFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appendJournal, journalLine, journalPath, JournalReader, MAX_JOURNAL_BYTES, parseJournal, type JournalEntry } from "./journal";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cp-journal-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const entry = (i: number, time = new Date(Date.UTC(2026, 10, 29, 8, 0, 0, i)).toISOString()): JournalEntry => ({
  time,
  pid: 4242,
  command: `ip netns exec tl.cp.h1 tcpdump -i eth0 -U --immediate-mode -n -B 8192 -s 262144 -w - -- 'port ${i}'`,
  ok: true,
  op: "capture h1:eth0",
});

describe("parseJournal", () => {
  it("reads the lines journalLine writes, whole lines only", () => {
    const text = journalLine(entry(1)) + journalLine({ ...entry(2), ok: false, error: "tcpdump: no such device" });
    const partial = journalLine(entry(3)).slice(0, 20);
    const r = parseJournal(text + partial);
    expect(r.entries).toEqual([entry(1), { ...entry(2), ok: false, error: "tcpdump: no such device" }]);
    expect(r.consumed).toBe(Buffer.byteLength(text));
    expect(r.bad).toBe(0);
  });

  it("counts a line that is not an entry and says why", () => {
    const r = parseJournal(`${journalLine(entry(1))}not json\n{"time":"x","pid":1,"command":"c","ok":true,"op":"o"}\n${journalLine(entry(2))}`);
    expect(r.entries.map((e) => e.command)).toEqual([entry(1).command, entry(2).command]);
    expect(r.bad).toBe(2);
    expect(r.firstError).toMatch(/^line 2: /);
  });
});

describe("appendJournal and JournalReader", () => {
  it("reads only what was written since the last read", async () => {
    const lab = join(dir, "labs", "cpj");
    await mkdir(lab, { recursive: true });
    const reader = new JournalReader(journalPath(lab));
    expect(await reader.read()).toEqual({ entries: [] }); // no journal yet: nothing, not an error
    await appendJournal(lab, [entry(1), entry(2)]);
    expect((await reader.read()).entries).toEqual([entry(1), entry(2)]);
    expect((await reader.read()).entries).toEqual([]);
    await appendJournal(lab, [entry(3)]);
    expect((await reader.read()).entries).toEqual([entry(3)]);
  });

  it("leaves a line still being written for the next read", async () => {
    const lab = join(dir, "labs", "cpj");
    await mkdir(lab, { recursive: true });
    const reader = new JournalReader(journalPath(lab));
    const line = journalLine(entry(1));
    await writeFile(journalPath(lab), line.slice(0, 30));
    expect((await reader.read()).entries).toEqual([]);
    await appendFile(journalPath(lab), line.slice(30));
    expect((await reader.read()).entries).toEqual([entry(1)]);
  });

  it("says which lines were not entries, and goes on", async () => {
    const lab = join(dir, "labs", "cpj");
    await mkdir(lab, { recursive: true });
    await writeFile(journalPath(lab), `garbage\n${journalLine(entry(1))}`);
    const r = await new JournalReader(journalPath(lab)).read();
    expect(r.entries).toEqual([entry(1)]);
    expect(r.problem).toMatch(/1 line\(s\) that are not entries, skipped \(line 1: /);
  });

  it("keeps the newer half past its bound, and a reader goes on without repeats", async () => {
    const lab = join(dir, "labs", "cpj");
    await mkdir(lab, { recursive: true });
    const reader = new JournalReader(journalPath(lab));
    const per = Buffer.byteLength(journalLine(entry(999)));
    const n = Math.floor(MAX_JOURNAL_BYTES / per) - 1;
    const all = Array.from({ length: n }, (_, i) => entry(i % 1000, new Date(Date.UTC(2026, 10, 29, 8, 0, Math.floor(i / 1000), i % 1000)).toISOString()));
    await appendJournal(lab, all);
    expect((await reader.read()).entries).toHaveLength(n);
    // two more entries with the same time as the last: over the bound, cut
    const more = [entry(7, all.at(-1)!.time), entry(8, "2026-11-29T09:00:00.000Z"), entry(9, "2026-11-29T09:00:00.000Z")];
    await appendJournal(lab, more);
    expect((await stat(journalPath(lab))).size).toBeLessThanOrEqual(MAX_JOURNAL_BYTES / 2 + per);
    const text = await readFile(journalPath(lab), "utf8");
    expect(text.endsWith(journalLine(more[2]!))).toBe(true);
    expect(parseJournal(text).bad).toBe(0);
    expect((await reader.read()).entries).toEqual(more);
  });

  it("does not bring back the directory of a lab that is gone", async () => {
    const lab = join(dir, "labs", "cpgone");
    await expect(appendJournal(lab, [entry(1)])).rejects.toThrow(/the lab's state directory is gone/);
    await expect(stat(lab)).rejects.toThrow(/ENOENT/);
  });
});
