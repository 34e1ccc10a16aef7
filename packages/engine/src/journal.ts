// A lab's command journal: the commands a topolab process without a command log of its own
// (the CLI: `topolab capture`) ran for a lab, appended as JSON lines to
// labs/<lab>/commands.jsonl in the state directory, so that a server on the same state
// directory shows them in the lab's command log as it shows its own.
//
// Knows: the file, its lines (one JSON object each: time, pid, command, ok, op, error?), its
// bound (past MAX_JOURNAL_BYTES the older half is let go, written aside and renamed into
// place), and reading only what is new. Leaves to others: what a command is (executor.ts),
// showing them (the server's command log).

import { appendFile, open, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CommandLogEntry } from "./executor";

export const JOURNAL_FILE = "commands.jsonl";
/** Past this size, the journal keeps its newer half. */
export const MAX_JOURNAL_BYTES = 256 * 1024;

export interface JournalEntry extends CommandLogEntry {
  /** ISO time it was written */
  time: string;
  /** the process that wrote it */
  pid: number;
}

export function journalPath(labDir: string): string {
  return join(labDir, JOURNAL_FILE);
}

/** One journal line (with its newline). Pure. */
export function journalLine(e: JournalEntry): string {
  const { time, pid, command, ok, op, error } = e;
  return `${JSON.stringify({ time, pid, command, ok, op, ...(error !== undefined ? { error } : {}) })}\n`;
}

/**
 * The entries of journal text (whole lines only: a last line without its newline is still
 * being written and is left for the next read). A line that is not an entry is counted in
 * `bad`, with the first one's reason, not dropped silently. Pure.
 */
export function parseJournal(text: string): { entries: JournalEntry[]; consumed: number; bad: number; firstError?: string } {
  const entries: JournalEntry[] = [];
  let bad = 0;
  let firstError: string | undefined;
  const end = text.lastIndexOf("\n") + 1;
  const lines = text.slice(0, end).split("\n");
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const why = (reason: string) => {
      bad++;
      firstError ??= `line ${i + 1}: ${reason}`;
    };
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      return why((e as Error).message);
    }
    const o = v as Partial<JournalEntry>;
    if (typeof o !== "object" || o === null) return why("not an object");
    if (typeof o.time !== "string" || Number.isNaN(Date.parse(o.time))) return why("time is not an ISO time");
    if (typeof o.pid !== "number") return why("pid is not a number");
    if (typeof o.command !== "string") return why("command is not a string");
    if (typeof o.ok !== "boolean") return why("ok is not true or false");
    if (typeof o.op !== "string") return why("op is not a string");
    if (o.error !== undefined && typeof o.error !== "string") return why("error is not a string");
    entries.push({ time: o.time, pid: o.pid, command: o.command, ok: o.ok, op: o.op, ...(o.error !== undefined ? { error: o.error } : {}) });
  });
  // the byte count of the whole lines read (the text may hold multi-byte characters)
  return { entries, consumed: Buffer.byteLength(text.slice(0, end)), bad, ...(firstError ? { firstError } : {}) };
}

/**
 * Appends entries to the journal of the lab whose state directory is `labDir`. The directory
 * must exist (a lab being removed is not brought back by its journal): ENOENT is an error
 * saying so. Past MAX_JOURNAL_BYTES, the newer half is kept.
 */
export async function appendJournal(labDir: string, entries: JournalEntry[]): Promise<void> {
  const file = journalPath(labDir);
  try {
    await appendFile(file, entries.map(journalLine).join(""), { flag: "a" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new Error(`cannot write the command journal ${file}: the lab's state directory is gone`);
    throw new Error(`cannot write the command journal ${file}: ${(e as Error).message}`);
  }
  const size = (await stat(file)).size;
  if (size > MAX_JOURNAL_BYTES) {
    const text = await readFile(file, "utf8");
    const from = text.indexOf("\n", text.length - MAX_JOURNAL_BYTES / 2) + 1;
    const aside = `${file}.${process.pid}.tmp`;
    await writeFile(aside, text.slice(from));
    await rename(aside, file);
  }
}

/**
 * Reads a journal as it grows: each read() returns the entries written since the last one.
 * A journal that was cut (its newer half kept) is read again from its start, without the
 * entries already returned (by time). A journal that does not exist has no entries; one that
 * cannot be read is an error. Lines that are not entries are skipped and said in `problem`.
 */
export class JournalReader {
  private offset = 0;
  private ino = -1;
  /** the time of the newest entry returned, and how many returned had that time */
  private lastTime = "";
  private atLast = 0;

  constructor(readonly file: string) {}

  async read(): Promise<{ entries: JournalEntry[]; problem?: string }> {
    let st;
    try {
      st = await stat(this.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") {
        this.offset = 0;
        this.ino = -1;
        return { entries: [] };
      }
      throw new Error(`cannot read the command journal ${this.file}: ${(e as Error).message}`);
    }
    let again = false;
    if (st.ino !== this.ino || st.size < this.offset) {
      again = this.ino !== -1 || this.lastTime !== "";
      this.ino = st.ino;
      this.offset = 0;
    }
    if (st.size === this.offset) return { entries: [] };
    let text: string;
    const fh = await open(this.file, "r").catch((e: Error) => {
      throw new Error(`cannot read the command journal ${this.file}: ${e.message}`);
    });
    try {
      const buf = Buffer.alloc(st.size - this.offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
      text = buf.subarray(0, bytesRead).toString("utf8");
    } finally {
      await fh.close();
    }
    const { entries, consumed, bad, firstError } = parseJournal(text);
    this.offset += consumed;
    let fresh = entries;
    if (again) {
      // read again from the start: leave out what was returned already
      let skip = this.atLast;
      fresh = entries.filter((e) => e.time > this.lastTime || (e.time === this.lastTime && skip-- <= 0));
    }
    for (const e of fresh) {
      if (e.time === this.lastTime) this.atLast++;
      else if (e.time > this.lastTime) [this.lastTime, this.atLast] = [e.time, 1];
    }
    return { entries: fresh, ...(bad ? { problem: `the command journal ${this.file} has ${bad} line(s) that are not entries, skipped (${firstError})` } : {}) };
  }
}
