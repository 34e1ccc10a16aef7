// The pure half of confine.ts: identities, paths, cgroup plans, the argv and environment of a
// student's shell, and every refused input named by its field. No root, no kernel.

import { describe, expect, it } from "vitest";
import {
  cgroupPlan,
  CONFINE_SCRIPT,
  confinePaths,
  confineSpec,
  ConfineInputError,
  DEFAULT_LIMITS,
  parseStudentName,
  studentAccountFiles,
  studentUid,
  uidConflict,
  type ConfineInput,
} from "./confine";

const v1 = { kind: "v1" as const, pids: "/sys/fs/cgroup/pids", memory: "/sys/fs/cgroup/memory", cpu: "/sys/fs/cgroup/cpu" };
const v2 = { kind: "v2" as const, root: "/sys/fs/cgroup" };
const base: ConfineInput = { student: 7, ns: "tl.abc.h1", lab: "abc", node: "h1", stateDir: "/var/lib/topolab", limits: DEFAULT_LIMITS, cgroups: v1 };

describe("confineSpec", () => {
  it("a uid of the student's own, above the machine's users", () => {
    expect(studentUid(0)).toBe(200000);
    expect(confineSpec(base).uid).toBe(200007);
    expect(confineSpec(base).gid).toBe(200007);
    expect(confineSpec(base).user).toBe("student-7");
  });

  it("runs the fixed script through sh, with the student's command as arguments, never spliced into it", () => {
    const p = confineSpec({ ...base, command: ["/bin/sh", "-c", "echo '$(reboot)'; rm -rf /"] });
    expect(p.argv.slice(1, 5)).toEqual(["-c", CONFINE_SCRIPT, "topolab-confine", "outer"]);
    expect(p.argv.slice(5)).toEqual(["/bin/sh", "-c", "echo '$(reboot)'; rm -rf /"]);
    expect(p.argv[0]).toMatch(/^\/.*\/sh$/);
    expect(CONFINE_SCRIPT).not.toContain("reboot");
  });

  it("an interactive bash with topolab's rc file by default", () => {
    expect(confineSpec(base).argv.slice(5)).toEqual(["/bin/bash", "--rcfile", "/home/.topolab/bashrc", "-i"]);
  });

  it("the environment carries the plan, and the script drops to exactly the two capabilities", () => {
    const p = confineSpec(base);
    expect(p.env["TLC_NS"]).toBe("tl.abc.h1");
    expect(p.env["TLC_UID"]).toBe("200007");
    expect(p.env["TLC_HOME_SRC"]).toBe("/var/lib/topolab/confine/student-7/home");
    expect(p.env["TLC_HOME_MOUNT"]).toBe("/home/student-7");
    expect(p.env["TLC_CGROUP_PROCS"]).toBe(
      "/sys/fs/cgroup/pids/topolab/student-7/cgroup.procs:/sys/fs/cgroup/memory/topolab/student-7/cgroup.procs:/sys/fs/cgroup/cpu/topolab/student-7/cgroup.procs",
    );
    expect(CONFINE_SCRIPT).toContain("--bounding-set=-all,+net_admin,+net_raw");
    expect(CONFINE_SCRIPT).toContain("--ambient-caps=-all,+net_admin,+net_raw");
    expect(CONFINE_SCRIPT).toContain("--no-new-privs");
    expect(CONFINE_SCRIPT).toContain("--clear-groups");
    expect(CONFINE_SCRIPT).toContain("env -i");
  });

  it("refuses bad input, naming the field", () => {
    const bad: Array<[Partial<ConfineInput>, string]> = [
      [{ student: -1 }, "student"],
      [{ student: 65536 }, "student"],
      [{ student: 1.5 }, "student"],
      [{ ns: "../x" }, "ns"],
      [{ ns: "-n" }, "ns"],
      [{ node: "a b" }, "node"],
      [{ lab: "" }, "lab"],
      [{ stateDir: "relative" }, "stateDir"],
      [{ stateDir: "/" }, "stateDir"],
      [{ stateDir: "/var/../etc" }, "stateDir"],
      [{ limits: { ...DEFAULT_LIMITS, pids: 2 } }, "limits.pids"],
      [{ limits: { ...DEFAULT_LIMITS, memoryBytes: 1024 } }, "limits.memoryBytes"],
      [{ limits: { ...DEFAULT_LIMITS, cpuWeight: 0 } }, "limits.cpuWeight"],
      [{ limits: { ...DEFAULT_LIMITS, cpuMax: 0 } }, "limits.cpuMax"],
      [{ command: [] }, "command"],
      [{ term: "x; rm" }, "term"],
    ];
    for (const [change, field] of bad) {
      const e = (() => {
        try {
          confineSpec({ ...base, ...change });
        } catch (err) {
          return err;
        }
        return null;
      })();
      expect(e, field).toBeInstanceOf(ConfineInputError);
      expect((e as ConfineInputError).field).toBe(field);
      expect((e as Error).message).toMatch(new RegExp(`^confinement: ${field.replace(".", "\\.")}: `));
    }
  });
});

describe("cgroupPlan", () => {
  it("v1: one group per controller under topolab/, shares scaled from the weight, quota from cpuMax", () => {
    const p = cgroupPlan(v1, 3, { pids: 64, memoryBytes: 100 << 20, cpuWeight: 50, cpuMax: 0.5 });
    expect(p.dirs).toEqual(["/sys/fs/cgroup/pids/topolab/student-3", "/sys/fs/cgroup/memory/topolab/student-3", "/sys/fs/cgroup/cpu/topolab/student-3"]);
    const w = Object.fromEntries(p.writes.map((x) => [x.path.slice(x.path.lastIndexOf("/") + 1), x.value]));
    expect(w).toEqual({
      "pids.max": "64",
      "memory.limit_in_bytes": String(100 << 20),
      "memory.memsw.limit_in_bytes": String(100 << 20),
      "cpu.shares": "512",
      "cpu.cfs_period_us": "100000",
      "cpu.cfs_quota_us": "50000",
    });
  });

  it("v2: one group, cpu.max 'max' without a cap", () => {
    const p = cgroupPlan(v2, 3, { ...DEFAULT_LIMITS, cpuMax: null });
    expect(p.dirs).toEqual(["/sys/fs/cgroup/topolab/student-3"]);
    expect(p.parents).toEqual(["/sys/fs/cgroup/topolab"]);
    expect(p.writes.find((x) => x.path.endsWith("/cpu.max"))?.value).toBe("max 100000");
    expect(p.writes.find((x) => x.path.endsWith("/memory.swap.max"))?.value).toBe("0");
  });
});

describe("names and files", () => {
  it("student-<N> and back; nothing else is a student's", () => {
    expect(parseStudentName("student-42")).toBe(42);
    expect(parseStudentName("student-042")).toBeNull();
    expect(parseStudentName("student-99999")).toBeNull();
    expect(parseStudentName("topolab")).toBeNull();
    expect(confinePaths("/s/", 1).dir).toBe("/s/confine/student-1");
  });

  it("passwd and group gain the student's line, replacing any stale one", () => {
    const f = studentAccountFiles("root:x:0:0:root:/root:/bin/bash\nstudent-1:x:1:1::/x:/bin/sh\n", "root:x:0:\n", 1, "/home/student-1");
    expect(f.passwd).toBe("root:x:0:0:root:/root:/bin/bash\nstudent-1:x:200001:200001:topolab student 1:/home/student-1:/bin/bash\n");
    expect(f.group).toBe("root:x:0:\nstudent-1:x:200001:\n");
  });
});

describe("uidConflict", () => {
  const none = { passwd: "root:x:0:0::/root:/bin/bash\n", group: "root:x:0:\n", subuid: "", subgid: "" };
  it("free when nobody has it", () => {
    expect(uidConflict(200001, none)).toBeNull();
    // a stale student line of ours is not a conflict
    expect(uidConflict(200001, { ...none, passwd: "student-1:x:200001:200001::/home/student-1:/bin/bash\n" })).toBeNull();
  });
  it("taken by a user, a group, or a subordinate id range", () => {
    expect(uidConflict(200001, { ...none, passwd: "bob:x:200001:100::/home/bob:/bin/sh\n" })).toBe("/etc/passwd already gives id 200001 to bob");
    expect(uidConflict(200001, { ...none, group: "grp:x:200001:\n" })).toBe("/etc/group already gives id 200001 to grp");
    expect(uidConflict(200001, { ...none, subuid: "alice:165536:65536\n" })).toBe("/etc/subuid gives alice the ids 165536..231071, which include 200001");
    expect(uidConflict(200001, { ...none, subgid: "alice:100000:65536\n" })).toBeNull();
  });
});
