// cgroup2 on the real kernel, as far as this machine allows (as root). On a pure v2 machine
// (/sys/fs/cgroup/cgroup.controllers offering pids, memory and cpu) the whole path runs: the
// controllers handed down, a student's group made with its limits read back, a process joined,
// the group removed with everything in it. On a hybrid machine (v1 controllers, an empty
// cgroup2 at /sys/fs/cgroup/unified, as this project's test machine) what v2 allows there runs:
// the detection refuses it with the reason, enabling the controllers fails with words a person
// can act on, and a group is still made, joined (as the confined shell's script joins) and
// removed by cgroup.kill. Nothing is left: the student's group, and our `topolab` group when
// this test made it.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rmdir, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { cgroupLayout, cgroupPlan, CGROUP_PARENT, releaseConfinement, setUpCgroups, type CgroupLayout } from "./confine";

const pure = existsSync("/sys/fs/cgroup/cgroup.controllers");
const v2root = pure ? "/sys/fs/cgroup" : existsSync("/sys/fs/cgroup/unified/cgroup.controllers") ? "/sys/fs/cgroup/unified" : null;
// a student index of this test's own (students of real classes start at 1000..61000)
const student = 62_000 + Math.floor(Math.random() * 3000);
const limits = { pids: 50, memoryBytes: 64 << 20, cpuWeight: 100, cpuMax: 0.5 };

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(v2root === null)(`cgroup2 at ${v2root}`, () => {
  it("makes, joins and removes a student's group; the controllers handed down where the machine has them, a clear refusal where not", async () => {
    const root = v2root!;
    const layout: CgroupLayout = { kind: "v2", root };
    const plan = cgroupPlan(layout, student, limits);
    const parent = `${root}/${CGROUP_PARENT}`;
    const parentWasThere = existsSync(parent);
    const offered = (await readFile(`${root}/cgroup.controllers`, "utf8")).trim().split(/\s+/).filter(Boolean);
    const full = ["pids", "memory", "cpu"].every((c) => offered.includes(c));
    let sleeper: ReturnType<typeof spawn> | null = null;
    try {
      if (full) {
        expect(await cgroupLayout(root)).toEqual(layout);
        await setUpCgroups({ cgroupDirs: plan.dirs, cgroupWrites: plan.writes, cgroupEnable: plan.enable });
        const sub = (await readFile(`${parent}/cgroup.subtree_control`, "utf8")).split(/\s+/);
        expect(sub).toEqual(expect.arrayContaining(["pids", "memory", "cpu"]));
        expect((await readFile(`${plan.dirs[0]}/pids.max`, "utf8")).trim()).toBe("50");
        expect((await readFile(`${plan.dirs[0]}/memory.max`, "utf8")).trim()).toBe(String(64 << 20));
        expect((await readFile(`${plan.dirs[0]}/cpu.max`, "utf8")).trim()).toBe("50000 100000");
      } else {
        // this machine: the hierarchy exists, its controllers are bound to v1
        await expect(cgroupLayout(root)).rejects.toThrow(/needs the cgroup2 controllers .* does not offer/);
        await expect(setUpCgroups({ cgroupDirs: plan.dirs, cgroupWrites: plan.writes, cgroupEnable: plan.enable })).rejects.toThrow(
          /cannot enable \+pids \+memory \+cpu in .*cgroup\.subtree_control \((ENOENT|EINVAL)\): a controller is not available/,
        );
        // the groups were made before the refusal (mkdir needs no controller)
        expect(existsSync(plan.dirs[0]!)).toBe(true);
      }
      // join as the confined shell's script does (echo 0 > cgroup.procs), then exec a long sleep
      sleeper = spawn("sh", ["-c", `echo 0 > "$1/cgroup.procs" && exec sleep 600`, "join", plan.dirs[0]!], { stdio: "ignore" });
      const pid = sleeper.pid!;
      const deadline = Date.now() + 5000;
      let line = "";
      while (Date.now() < deadline) {
        line = (await readFile(`/proc/${pid}/cgroup`, "utf8").catch(() => "")).split("\n").find((l) => l.startsWith("0::")) ?? "";
        if (line.endsWith(`/${CGROUP_PARENT}/student-${student}`) && (await readFile(`/proc/${pid}/comm`, "utf8")).trim() === "sleep") break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(line).toBe(`0::/${CGROUP_PARENT}/student-${student}`);
      expect((await readFile(`${plan.dirs[0]}/cgroup.procs`, "utf8")).trim()).toBe(String(pid));
      // release: the kernel kills the group's processes (cgroup.kill), the group goes
      const exited = new Promise<string | null>((resolve) => sleeper!.once("exit", (_code, signal) => resolve(signal)));
      const released = await releaseConfinement("/nonexistent-state-dir", student, layout);
      expect(released.cgroups).toEqual(plan.dirs);
      expect(await exited).toBe("SIGKILL");
      expect(alive(pid)).toBe(false);
      expect(existsSync(plan.dirs[0]!)).toBe(false);
    } finally {
      if (sleeper?.pid && alive(sleeper.pid)) sleeper.kill("SIGKILL");
      if (existsSync(plan.dirs[0]!)) {
        await writeFile(`${plan.dirs[0]}/cgroup.kill`, "1").catch(() => undefined);
        await new Promise((r) => setTimeout(r, 100));
        await rmdir(plan.dirs[0]!).catch(() => undefined);
      }
      if (!parentWasThere) await rmdir(parent).catch(() => undefined);
    }
    // nothing of this test is left
    expect(existsSync(plan.dirs[0]!)).toBe(false);
    if (!parentWasThere) expect(existsSync(parent)).toBe(false);
  }, 30_000);
});
