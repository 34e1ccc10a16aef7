// confine.ts's cgroup half over fake trees (no root, no kernel): a temporary directory laid out
// as each kind of machine (pure cgroup v2, cgroup v1, the hybrid of this project's test machine
// with an empty cgroup2 at /unified, a v2 tree without the controllers), the detection on each,
// and every file setUpCgroups writes on a v2 tree: the controllers handed down from the root to
// our `topolab` group (only those missing), then the student's limits.

import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  cgroupLayout,
  cgroupPlan,
  confineSpec,
  DEFAULT_LIMITS,
  explainSubtreeControlError,
  setUpCgroups,
  subtreeControlWrite,
  type ConfineInput,
} from "./confine";

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "tl-cgroup-fake-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Files of a fake tree: path (relative to the root) → content. */
async function lay(files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, ".."), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

/** A pure cgroup2 machine as systemd leaves it: every controller offered, cpu not yet handed down. */
const pureV2 = {
  "cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc\n",
  "cgroup.subtree_control": "memory pids\n",
  "cgroup.procs": "1\n",
  "system.slice/cgroup.procs": "",
};
/** cgroup v1: one hierarchy per controller, with its own files. */
const v1Tree = {
  "pids/cgroup.procs": "1\n",
  "memory/cgroup.procs": "1\n",
  "memory/memory.limit_in_bytes": "9223372036854771712\n",
  "cpu/cgroup.procs": "1\n",
  "cpu/cpu.shares": "1024\n",
};

describe("cgroupLayout on fake trees", () => {
  it("pure v2: a cgroup.controllers file at the root offering pids, memory and cpu", async () => {
    await lay(pureV2);
    expect(await cgroupLayout(root)).toEqual({ kind: "v2", root });
  });

  it("v1: the pids, memory and cpu hierarchies", async () => {
    await lay(v1Tree);
    expect(await cgroupLayout(root)).toEqual({ kind: "v1", pids: `${root}/pids`, memory: `${root}/memory`, cpu: `${root}/cpu` });
  });

  it("hybrid (this project's test machine): v1 controllers and an empty cgroup2 at /unified is v1", async () => {
    await lay({ ...v1Tree, "unified/cgroup.controllers": "", "unified/cgroup.subtree_control": "", "unified/cgroup.procs": "1\n" });
    expect((await cgroupLayout(root)).kind).toBe("v1");
  });

  it("v2 without the controllers (a container that was not delegated them): an error naming the missing ones and what is offered", async () => {
    await lay({ "cgroup.controllers": "cpu io\n", "cgroup.subtree_control": "", "cgroup.procs": "1\n" });
    await expect(cgroupLayout(root)).rejects.toThrow(/needs the cgroup2 controllers pids, memory, which .* does not offer \(it offers: cpu io\)/);
    await writeFile(join(root, "cgroup.controllers"), "");
    await expect(cgroupLayout(root)).rejects.toThrow(/pids, memory, cpu.*it offers: none/);
  });

  it("neither: an error naming what is missing, never a guess", async () => {
    await lay({ "pids/cgroup.procs": "1\n" });
    await expect(cgroupLayout(root)).rejects.toThrow(/cgroup v1 controllers memory, cpu/);
  });
});

describe("setUpCgroups on a fake v2 tree", () => {
  const limits = { pids: 100, memoryBytes: 64 << 20, cpuWeight: 50, cpuMax: 0.5 };

  it("hands the missing controllers down from the root, then enables them in topolab/, then writes the student's limits", async () => {
    await lay({ ...pureV2, "topolab/cgroup.subtree_control": "" }); // the kernel makes the file with the group
    const layout = await cgroupLayout(root);
    const plan = cgroupPlan(layout, 42, limits);
    expect(plan.enable).toEqual([
      { dir: root, controllers: ["pids", "memory", "cpu"] },
      { dir: `${root}/topolab`, controllers: ["pids", "memory", "cpu"] },
    ]);
    await setUpCgroups({ cgroupDirs: plan.dirs, cgroupWrites: plan.writes, cgroupEnable: plan.enable });
    const read = (p: string) => readFile(join(root, p), "utf8");
    // only what the root lacked (memory and pids were on already): one write of "+cpu"
    expect(await read("cgroup.subtree_control")).toBe("+cpu");
    expect(await read("topolab/cgroup.subtree_control")).toBe("+pids +memory +cpu");
    const student = "topolab/student-42";
    expect((await stat(join(root, student))).isDirectory()).toBe(true);
    expect({
      pids: await read(`${student}/pids.max`),
      memory: await read(`${student}/memory.max`),
      swap: await read(`${student}/memory.swap.max`),
      weight: await read(`${student}/cpu.weight`),
      cpu: await read(`${student}/cpu.max`),
    }).toEqual({ pids: "100", memory: String(64 << 20), swap: "0", weight: "50", cpu: "50000 100000" });
  });

  it("writes no subtree_control where every controller is on already (a second student, a second shell)", async () => {
    await lay({ ...pureV2, "cgroup.subtree_control": "cpu memory pids io\n", "topolab/cgroup.subtree_control": "cpu memory pids\n" });
    const plan = cgroupPlan(await cgroupLayout(root), 7, DEFAULT_LIMITS);
    await setUpCgroups({ cgroupDirs: plan.dirs, cgroupWrites: plan.writes, cgroupEnable: plan.enable });
    expect(await readFile(join(root, "cgroup.subtree_control"), "utf8")).toBe("cpu memory pids io\n");
    expect(await readFile(join(root, "topolab/cgroup.subtree_control"), "utf8")).toBe("cpu memory pids\n");
    expect(await readFile(join(root, "topolab/student-7/pids.max"), "utf8")).toBe(String(DEFAULT_LIMITS.pids));
  });

  it("a subtree_control that cannot be read is an error naming it, not an empty list", async () => {
    await lay(pureV2); // no topolab/cgroup.subtree_control: not a cgroup directory
    const plan = cgroupPlan(await cgroupLayout(root), 8, DEFAULT_LIMITS);
    await expect(setUpCgroups({ cgroupDirs: plan.dirs, cgroupWrites: plan.writes, cgroupEnable: plan.enable })).rejects.toThrow(
      /cannot read .*\/topolab\/cgroup\.subtree_control/,
    );
  });

  it("the student's shell joins the one v2 group (its cgroup.procs), and the plan carries the enables", () => {
    const input: ConfineInput = {
      student: 9,
      ns: "tl.x.h1",
      lab: "x",
      node: "h1",
      stateDir: "/var/lib/topolab",
      limits: DEFAULT_LIMITS,
      cgroups: { kind: "v2", root },
    };
    const plan = confineSpec(input);
    expect(plan.env["TLC_CGROUP_PROCS"]).toBe(`${root}/topolab/student-9/cgroup.procs`);
    expect(plan.cgroupKind).toBe("v2");
    expect(plan.cgroupEnable.map((e) => e.dir)).toEqual([root, `${root}/topolab`]);
    // v1 hands nothing down
    expect(confineSpec({ ...input, cgroups: { kind: "v1", pids: "/p", memory: "/m", cpu: "/c" } }).cgroupEnable).toEqual([]);
  });
});

describe("subtree_control, pure", () => {
  it("writes only the controllers not yet enabled", () => {
    expect(subtreeControlWrite("", ["pids", "memory", "cpu"])).toBe("+pids +memory +cpu");
    expect(subtreeControlWrite("cpuset cpu io memory pids\n", ["pids", "memory", "cpu"])).toBe("");
    expect(subtreeControlWrite("memory\n", ["pids", "memory", "cpu"])).toBe("+pids +cpu");
  });

  it("explains the kernel's refusals in words a person can act on", () => {
    expect(explainSubtreeControlError("/sys/fs/cgroup", "+cpu", "EBUSY", "")).toMatch(/processes of its own.*docker-in-docker/);
    expect(explainSubtreeControlError("/sys/fs/cgroup", "+pids", "ENOENT", "")).toMatch(/not available to this group \(bound to a cgroup v1 hierarchy/);
    expect(explainSubtreeControlError("/x", "+pids", "EACCES", "")).toMatch(/Delegate=yes/);
    expect(explainSubtreeControlError("/x", "+pids", "EIO", "i/o error")).toMatch(/\(EIO\): i\/o error$/);
  });
});
