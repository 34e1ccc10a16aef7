// /proc/PID/stat: one line, `pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt
// majflt cmajflt utime stime …` (proc(5)). The command name is in parentheses and may itself
// hold spaces and parentheses, so the fields after it are counted from the last ")".
//
// Knows: the fields this project reads (parent, process group, session, CPU time, start time). Leaves to
// others: reading /proc (processes.ts, readProcStats) and what the fields are used for.

import { ParseError } from "./common";

const SOURCE = "/proc/PID/stat";

export interface ProcStat {
  pid: number;
  /** the command name, at most 15 bytes, as the kernel keeps it */
  comm: string;
  /** R, S, D, Z, T… */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** CPU time in user and kernel mode, clock ticks */
  utime: number;
  stime: number;
  /** the same, of its children that ended and were waited for */
  cutime: number;
  cstime: number;
  /** when the process started, clock ticks after boot: with the pid, what tells a process from a later one of the same pid */
  starttime: number;
}

export function parseProcStat(text: string): ProcStat {
  const line = text.trim();
  const open = line.indexOf(" (");
  const close = line.lastIndexOf(")");
  if (open < 1 || close < open) throw new ParseError(SOURCE, `not a /proc/PID/stat line (no "pid (comm)" at its start): ${JSON.stringify(line.slice(0, 80))}`);
  const fields = line.slice(close + 2).split(" ");
  const whole = (value: string | undefined, name: string): number => {
    const n = Number(value);
    if (value === undefined || value === "" || !Number.isInteger(n))
      throw new ParseError(SOURCE, `not a /proc/PID/stat line (${name} is not a whole number): ${JSON.stringify(line.slice(0, 80))}`);
    return n;
  };
  const state = fields[0] ?? "";
  if (!/^[A-Za-z]$/.test(state))
    throw new ParseError(SOURCE, `not a /proc/PID/stat line (no process state after the command name): ${JSON.stringify(line.slice(0, 80))}`);
  return {
    pid: whole(line.slice(0, open), "the pid"),
    comm: line.slice(open + 2, close),
    state,
    ppid: whole(fields[1], "ppid"),
    pgrp: whole(fields[2], "pgrp"),
    session: whole(fields[3], "session"),
    utime: whole(fields[11], "utime"),
    stime: whole(fields[12], "stime"),
    cutime: whole(fields[13], "cutime"),
    cstime: whole(fields[14], "cstime"),
    starttime: whole(fields[19], "starttime"),
  };
}
