import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ParseError, parseProcStat } from "./index";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", name), "utf8");

describe("parseProcStat", () => {
  it("reads a process's parent, group, session and CPU time", () => {
    expect(parseProcStat(fixture("proc-stat-node-busy.txt"))).toEqual({
      pid: 28130,
      comm: "node",
      state: "R",
      ppid: 28126,
      pgrp: 28126,
      session: 9321,
      utime: 206,
      stime: 12,
      cutime: 0,
      cstime: 0,
      starttime: 1289092,
    });
    expect(parseProcStat(fixture("proc-stat-bash.txt"))).toMatchObject({ pid: 27776, comm: "bash", ppid: 27536, utime: 0, stime: 0 });
  });

  it("counts the fields from the last parenthesis: a command name may hold spaces and parentheses", () => {
    expect(parseProcStat(fixture("proc-stat-odd-comm.txt"))).toMatchObject({
      pid: 27545,
      comm: "cu (x) y",
      state: "S",
      ppid: 27544,
      pgrp: 27536,
      session: 9321,
    });
  });

  it("refuses what is not a stat line, naming it", () => {
    for (const bad of [
      "",
      "hello",
      "12 (x)",
      "12 (x) S 1 2",
      "abc (x) S 1 2 3 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5",
      "12 (x) 9 1 2 3 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5",
    ]) {
      expect(() => parseProcStat(bad), bad).toThrow(ParseError);
      expect(() => parseProcStat(bad), bad).toThrow(/not a \/proc\/PID\/stat line/);
    }
    expect(() => parseProcStat("12 (x) S 1 2")).toThrow(/\/proc\/PID\/stat.*session/);
  });
});
