import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { statCpuTicks, watchOvsVswitchd } from "./ovs";

describe("statCpuTicks: the CPU time in /proc/PID/stat", () => {
  it("adds utime and stime of a recorded ovs-vswitchd line", () => {
    // recorded on this project's machine: utime 8794, stime 31407
    expect(statCpuTicks(readFileSync(join(import.meta.dirname, "fixtures/ovs/ovs-vswitchd.stat.txt"), "utf8"))).toBe(40201);
  });

  it("reads past a command name with spaces and parentheses", () => {
    expect(statCpuTicks("42 (a b) c)) S 1 42 42 0 -1 4194560 100 0 0 0 7 5 0 0 20 0 1 0 123 1000 10")).toBe(12);
  });

  it("refuses text that is not a stat line", () => {
    expect(() => statCpuTicks("")).toThrow(/not a \/proc\/PID\/stat line/);
    expect(() => statCpuTicks("no such process")).toThrow(/not a \/proc\/PID\/stat line/);
  });
});

describe("watchOvsVswitchd", () => {
  it("aborts at once when ovs-vswitchd has no pid file (not running)", async () => {
    const saved = process.env["OVS_RUNDIR"];
    process.env["OVS_RUNDIR"] = join(import.meta.dirname, "fixtures/ovs/no-such-rundir");
    try {
      const watch = watchOvsVswitchd(60_000, 10);
      await new Promise((r) => setTimeout(r, 50));
      watch.stop();
      expect(watch.signal.aborted).toBe(true);
      expect(String(watch.signal.reason)).toBe("ovs-vswitchd is not running");
    } finally {
      if (saved === undefined) delete process.env["OVS_RUNDIR"];
      else process.env["OVS_RUNDIR"] = saved;
    }
  });
});
