// Issue 15, item 4 on the real kernel: the escape suite of a student's confined shell.
//
// Two students (4101, 4102), each with their own copy of the same two-host lab (the same
// node names and addresses, in their own namespaces). Everything below runs AS THE STUDENT,
// through the very argv + env that a web terminal would spawn (confinedShellSpec with a
// command instead of the interactive bash). Each escape must fail, with the kernel's reason
// checked; each piece of lab work must work in the same kind of shell. Every test leaves
// nothing behind: labs, the students' cgroups, their files.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLab } from "@topolab/topology";
import { Engine } from "./engine";
import { run, type RunResult } from "./exec";
import { cgroupLayout, cgroupPids, cgroupPlan, confinePaths, DEFAULT_LIMITS, releaseConfinement, type CgroupLayout, type ConfineLimits } from "./confine";
import { confinedShellSpec } from "./shell";
import { alive, sleep } from "./processes";
import { leftoversAfterSettling, tempStateDir } from "./testing";

const A = 4101;
const B = 4102;
const suffix = Math.random().toString(36).slice(2, 6);
const labA = `cfa-${suffix}`;
const labB = `cfb-${suffix}`;

let state: { dir: string; remove: () => Promise<void> };
let engine: Engine;
let layout: CgroupLayout;
const background: ChildProcess[] = [];

function twoHosts(name: string, extra: string[] = []) {
  return parseLab({
    name,
    nodes: [
      { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.61.0.1/24"] } } },
      { name: "h2", kind: "host", interfaces: { eth0: { addresses: ["10.61.0.2/24", ...extra] } } },
    ],
    links: [{ endpoints: ["h1:eth0", "h2:eth0"] }],
  });
}

/** Runs `script` with /bin/sh as the student, in the node's confined shell. */
async function asStudent(
  student: number,
  lab: string,
  node: string,
  script: string,
  o: { limits?: Partial<ConfineLimits>; timeoutMs?: number } = {},
): Promise<RunResult> {
  const ns = await engine.nodeNamespace(lab, node);
  const spec = await confinedShellSpec(state.dir, lab, node, ns, student, { command: ["/bin/sh", "-c", script], ...(o.limits ? { limits: o.limits } : {}) });
  return run(spec.argv, { env: spec.env, timeoutMs: o.timeoutMs ?? 30_000 });
}

/** Starts `argv` as the student in the background (killed in afterAll if still running). */
async function startAsStudent(student: number, lab: string, node: string, argv: string[]): Promise<ChildProcess> {
  const ns = await engine.nodeNamespace(lab, node);
  const spec = await confinedShellSpec(state.dir, lab, node, ns, student, { command: argv });
  const child = spawn(spec.argv[0]!, spec.argv.slice(1), { env: spec.env, cwd: spec.cwd, stdio: "ignore" });
  background.push(child);
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await done;
}

beforeAll(async () => {
  expect(process.getuid?.()).toBe(0);
  state = await tempStateDir();
  engine = new Engine({ stateDir: state.dir });
  layout = await cgroupLayout();
  await engine.up(twoHosts(labA));
  // student B's lab has one more address that A's lab has not: A must not reach it either
  await engine.up(twoHosts(labB, ["10.62.0.2/24"]));
}, 120_000);

afterAll(async () => {
  for (const c of background) await stop(c);
  const released = [];
  for (const s of [A, B]) released.push(await releaseConfinement(state.dir, s, { files: true, layout }));
  // both students' groups were there, and were removed by the release
  const groups = cgroupPlan(layout, A, DEFAULT_LIMITS).dirs.length;
  expect(released.map((r) => r.cgroups.length)).toEqual([groups, groups]);
  // what was made is gone: cgroups, the students' files, the labs
  for (const s of [A, B]) {
    for (const d of cgroupPlan(layout, s, DEFAULT_LIMITS).dirs) expect(existsSync(d), d).toBe(false);
    expect(existsSync(confinePaths(state.dir, s).dir)).toBe(false);
  }
  for (const lab of [labA, labB]) {
    if (await engine.state.readMeta(lab)) await engine.down(lab);
    expect(await leftoversAfterSettling(lab)).toEqual([]);
  }
  await state?.remove();
}, 120_000);

describe("a student's confined shell: escapes fail, with the kernel's reason", () => {
  it("is the student's own uid, with only CAP_NET_ADMIN and CAP_NET_RAW, no_new_privs, in their cgroups", async () => {
    const r = await asStudent(A, labA, "h1", "id -u; id -g; id -G; grep -E '^(Cap|NoNewPrivs)' /proc/self/status; cat /proc/self/cgroup; hostname; echo $HOME");
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.slice(0, 3)).toEqual(["204101", "204101", "204101"]);
    // bits 12 (net_admin) and 13 (net_raw): 0x3000, in every set, the bounding set included
    for (const set of ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"]) {
      expect(r.stdout).toMatch(new RegExp(`${set}:\\s+0000000000003000`));
    }
    expect(r.stdout).toMatch(/NoNewPrivs:\s+1/);
    if (layout.kind === "v1") {
      expect(r.stdout).toMatch(/:pids:\/topolab\/student-4101$/m);
      expect(r.stdout).toMatch(/:memory:\/topolab\/student-4101$/m);
    } else {
      expect(r.stdout).toMatch(/^0::\/topolab\/student-4101$/m);
    }
    expect(lines).toContain("h1");
    expect(lines.at(-1)).toBe("/home/student-4101");
  });

  it("cannot read /etc/shadow", async () => {
    const r = await asStudent(A, labA, "h1", "cat /etc/shadow");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/\/etc\/shadow: Permission denied/);
    expect(r.stdout).toBe("");
  });

  it("cannot write under /root or /etc (read-only, and not theirs)", async () => {
    const r = await asStudent(A, labA, "h1", "echo x > /etc/cf-escape; echo etc=$?; echo x > /root/cf-escape; echo root=$?; touch /usr/cf-escape; echo usr=$?");
    expect(r.stdout).toMatch(/etc=[1-9]/);
    expect(r.stdout).toMatch(/root=[1-9]/);
    expect(r.stdout).toMatch(/usr=[1-9]/);
    expect(r.stderr).toMatch(/\/etc\/cf-escape: (Read-only file system|Permission denied)/);
    expect(r.stderr).toMatch(/\/root\/cf-escape: (Read-only file system|Permission denied)/);
    expect(r.stderr).toMatch(/Read-only file system/);
    expect(existsSync("/etc/cf-escape")).toBe(false);
    expect(existsSync("/root/cf-escape")).toBe(false);
  });

  it("cannot enter the machine's network namespace (nsenter -t 1 -n), nor open another's", async () => {
    const r = await asStudent(A, labA, "h1", "nsenter -t 1 -n ip -br link; echo nsenter=$?; cat /proc/1/ns/net >/dev/null; ls /run/netns | wc -l");
    expect(r.stdout).toMatch(/nsenter=[1-9]/);
    expect(r.stderr).toMatch(/nsenter: .*Operation not permitted/);
    // PID 1 is the student's own shell: nothing of the machine's PID 1 is reachable
    expect(r.stdout.trim().split("\n").at(-1)).toBe("0");
  });

  it("cannot `ip netns exec` into another student's node", async () => {
    const nsB = await engine.nodeNamespace(labB, "h1");
    expect(existsSync(`/run/netns/${nsB}`)).toBe(true);
    const r = await asStudent(A, labA, "h1", `ip netns exec ${nsB} ip -br addr; echo exec=$?; nsenter --net=/run/netns/${nsB} true; echo nsenter=$?`);
    expect(r.stdout).toMatch(/exec=[1-9]/);
    expect(r.stdout).toMatch(/nsenter=[1-9]/);
    // the handles of every other namespace are out of sight; and were they not, setns needs CAP_SYS_ADMIN
    expect(r.stderr).toMatch(/Cannot open network namespace "[^"]+": No such file or directory|Operation not permitted/);
    expect(r.stderr).toMatch(/nsenter: .*(No such file or directory|Operation not permitted)/);
  });

  it("sees and signals only its own processes: not this test's, not another student's shell", async () => {
    const other = await startAsStudent(B, labB, "h1", ["/bin/sleep", "300"]);
    // B's shell is in B's cgroup: its host PIDs, as the machine sees them
    // (once its sleep runs: before that the confinement's own short-lived helpers come and go)
    const comm = (pid: number) =>
      readFile(`/proc/${pid}/comm`, "utf8").then(
        (c) => c.trim(),
        () => "",
      );
    let bPids: number[] = [];
    for (let i = 0; i < 100; i++) {
      bPids = await cgroupPids(cgroupPlan(layout, B, DEFAULT_LIMITS).dirs[0]!);
      if ((await Promise.all(bPids.map(comm))).includes("sleep")) break;
      await sleep(50);
    }
    expect(await Promise.all(bPids.map(comm))).toContain("sleep");
    const targets = [process.pid, ...bPids];
    const r = await asStudent(
      A,
      labA,
      "h1",
      `ps -e -o pid=,user:20=,comm=; for p in ${targets.join(" ")}; do kill -TERM $p 2>&1 || echo refused $p; done; kill -KILL -1; echo after`,
    );
    const ps = r.stdout.split("\n").filter((l) => /^\s*\d+\s/.test(l));
    // only the student's own: sh (PID 1), ps, maybe the loop's subshell; all theirs
    expect(ps.length).toBeGreaterThan(0);
    expect(ps.length).toBeLessThanOrEqual(4);
    for (const l of ps) expect(l).toMatch(/student-4101/);
    for (const p of targets) expect(r.stdout).toMatch(new RegExp(`refused ${p}`));
    expect(r.stdout).toMatch(/No such process/);
    expect(alive(process.pid)).toBe(true);
    for (const p of bPids) expect(alive(p)).toBe(true);
    expect(other.exitCode).toBeNull();
    await stop(other);
  });

  it("leaves nothing running behind: a daemon (setsid, nohup) ends with the shell", async () => {
    const r = await asStudent(A, labA, "h1", "setsid nohup sleep 300 </dev/null >/dev/null 2>&1 & echo started");
    expect(r.stdout).toMatch(/started/);
    const comm = (pid: number) =>
      readFile(`/proc/${pid}/comm`, "utf8").then(
        (c) => c.trim(),
        () => "",
      );
    let left: string[] = ["?"];
    for (let i = 0; i < 100 && left.length; i++) {
      left = (await Promise.all((await cgroupPids(cgroupPlan(layout, A, DEFAULT_LIMITS).dirs[0]!)).map(comm))).filter((c) => c === "sleep");
      if (left.length) await sleep(50);
    }
    expect(left).toEqual([]);
  });

  it("sees no other student's files, no state directory, no cgroup tree to leave its group by", async () => {
    // B has a home with a file in it
    expect((await asStudent(B, labB, "h1", "echo secret-of-b > $HOME/b.txt")).code).toBe(0);
    const r = await asStudent(
      A,
      labA,
      "h1",
      `ls -A /home; echo --; ls -A ${state.dir} | wc -l; cat ${confinePaths(state.dir, B).home}/b.txt; echo $$ > /sys/fs/cgroup/pids/cgroup.procs; echo cg=$?; grep -c . /etc/hosts`,
    );
    expect(r.stdout.split("--")[0]!.trim().split("\n").sort()).toEqual([".topolab", "student-4101"]);
    expect(r.stdout.split("--")[1]!.trim().split("\n")[0]).toBe("0");
    expect(r.stdout).not.toMatch(/secret-of-b/);
    expect(r.stderr).toMatch(/b\.txt: No such file or directory/);
    expect(r.stdout).toMatch(/cg=[1-9]/);
    expect(r.stderr).toMatch(/cgroup\.procs: (Directory nonexistent|No such file or directory|Read-only file system|Permission denied)/);
  });

  it("cannot mount (the syscall itself is refused)", async () => {
    const r = await asStudent(
      A,
      labA,
      "h1",
      `python3 -c 'import ctypes,os; l=ctypes.CDLL(None, use_errno=True); r=l.mount(b"none", b"/tmp", b"tmpfs", 0, None); print("mount", r, os.strerror(ctypes.get_errno()))'; unshare --mount true; echo unshare=$?`,
    );
    expect(r.stdout).toMatch(/mount -1 Operation not permitted/);
    expect(r.stdout).toMatch(/unshare=[1-9]/);
    expect(r.stderr).toMatch(/unshare: .*Operation not permitted/);
  });

  it("cannot load a kernel module", async () => {
    const r = await asStudent(A, labA, "h1", "printf garbage > /tmp/cf.ko; insmod /tmp/cf.ko; echo insmod=$?; modprobe dummy; echo modprobe=$?");
    expect(r.stdout).toMatch(/insmod=[1-9]/);
    expect(r.stdout).toMatch(/modprobe=[1-9]/);
    // a kernel with modules says EPERM; this kernel may have no module support at all (then
    // root gets ENOSYS too): either way the bounding set has no CAP_SYS_MODULE (checked above)
    const modules = existsSync("/proc/modules");
    expect(r.stderr).toMatch(
      modules
        ? /insmod: ERROR: could not insert module \/tmp\/cf\.ko: Operation not permitted/
        : /insmod: ERROR: could not insert module \/tmp\/cf\.ko: (Operation not permitted|Function not implemented)/,
    );
  });

  it("cannot raise a capability, nor become root through a setuid program", async () => {
    const r = await asStudent(
      A,
      labA,
      "h1",
      "setpriv --inh-caps=+sys_admin --ambient-caps=+sys_admin true; echo setpriv=$?; capsh --caps=cap_sys_admin+eip -- -c true; echo capsh=$?; su -c id root </dev/null; echo su=$?; grep CapEff /proc/self/status",
    );
    expect(r.stdout).toMatch(/setpriv=[1-9]/);
    expect(r.stdout).toMatch(/capsh=[1-9]/);
    expect(r.stdout).toMatch(/su=[1-9]/);
    expect(r.stderr).toMatch(/setpriv: .*Operation not permitted/);
    expect(r.stderr).toMatch(/Operation not permitted|unable to raise/);
    expect(r.stdout).toMatch(/CapEff:\s+0000000000003000/);
    expect(r.stdout).not.toMatch(/uid=0/);
  });

  it("cannot exceed the pids limit (a bounded fork loop)", async () => {
    const pids = 24;
    // at most 60 sleeps of 3 s: bounded in count and in time
    const r = await asStudent(
      A,
      labA,
      "h1",
      "i=0; while [ $i -lt 60 ]; do sleep 3 & i=$((i+1)); done; echo started; ps -e -o pid= | wc -l; kill $(jobs -p) 2>/dev/null; wait",
      {
        limits: { pids },
        timeoutMs: 30_000,
      },
    );
    expect(r.stderr).toMatch(/Cannot fork|Resource temporarily unavailable/);
    const seen = Number(r.stdout.trim().split("\n").at(-1));
    expect(seen).toBeLessThanOrEqual(pids);
    if (layout.kind === "v1") {
      const events = await readFile(`${layout.pids}/topolab/student-4101/pids.events`, "utf8");
      expect(Number(/max (\d+)/.exec(events)?.[1])).toBeGreaterThan(0);
    }
  });

  it("cannot exceed the memory limit: the hog is killed, nothing else", async () => {
    const memoryBytes = 48 * 1024 * 1024;
    const r = await asStudent(A, labA, "h1", "python3 -c 'b = bytearray(256 << 20); print(len(b))'; echo hog=$?; echo alive", { limits: { memoryBytes } });
    // killed by the kernel (SIGKILL: 128 + 9); the shell that started it lives on
    expect(r.stdout).toMatch(/hog=137/);
    expect(r.stdout).toMatch(/alive/);
    expect(r.stdout).not.toMatch(/268435456/);
    if (layout.kind === "v1") {
      const limit = await readFile(`${layout.memory}/topolab/student-4101/memory.limit_in_bytes`, "utf8");
      expect(Number(limit)).toBe(memoryBytes);
      // the kernel's own count of OOM kills in the student's group
      const oom = await readFile(`${layout.memory}/topolab/student-4101/memory.oom_control`, "utf8");
      expect(Number(/oom_kill (\d+)/.exec(oom)?.[1]), oom).toBeGreaterThan(0);
    }
  });

  it("cannot reach another student's lab over the network", async () => {
    // 10.62.0.2 is only in B's lab: no route, and even with one, nothing answers
    const r = await asStudent(
      A,
      labA,
      "h1",
      "ping -c1 -W1 10.62.0.2; echo noroute=$?; ip route add 10.62.0.0/24 dev eth0 && ping -c2 -W1 10.62.0.2; echo routed=$?",
    );
    expect(r.stdout).toMatch(/noroute=[1-9]/);
    expect(r.stderr).toMatch(/Network is unreachable/);
    expect(r.stdout).toMatch(/routed=[1-9]/);
    expect(r.stdout).toMatch(/100% packet loss/);
    // and B's own h1 does reach it (the address is real)
    const b = await asStudent(B, labB, "h1", "ip route add 10.62.0.0/24 dev eth0 && ping -c1 -W2 10.62.0.2");
    expect(b.code, b.stderr).toBe(0);
  });
});

describe("the lab work works in the same shell", () => {
  it("the default shell: an interactive bash with topolab's rc file, the prompt naming the student and the node", async () => {
    const ns = await engine.nodeNamespace(labA, "h1");
    const spec = await confinedShellSpec(state.dir, labA, "h1", ns, A);
    expect(spec.argv.slice(-4)).toEqual(["/bin/bash", "--rcfile", "/home/.topolab/bashrc", "-i"]);
    const r = await run(spec.argv, { env: spec.env, input: "echo user=$(id -un) node=$TOPOLAB_NODE confined=$TOPOLAB_CONFINED\nexit 3\n", timeoutMs: 30_000 });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/user=student-4101 node=h1 confined=1/);
    // bash writes its prompt to stderr when its input is not a terminal
    expect(r.stderr).toMatch(/student-4101@.*h1/);
  });

  it("ip addr/route/link, ping, ss, writing to $HOME and /tmp", async () => {
    const r = await asStudent(
      A,
      labA,
      "h1",
      [
        "set -e",
        "ip addr add 10.61.9.1/24 dev eth0",
        "ip route add 10.99.0.0/24 via 10.61.0.2",
        "ip link set eth0 mtu 1400",
        "ip -br addr show dev eth0",
        "ip route show 10.99.0.0/24",
        "ip -o link show eth0",
        "ping -c1 -W2 10.61.0.2",
        "ss -ltn",
        "echo home > $HOME/note && cat $HOME/note",
        "echo tmp > /tmp/note && cat /tmp/note",
        "sysctl -w net.ipv4.ip_forward=1",
        "sysctl -n net.ipv4.conf.all.forwarding",
        "! sysctl -w kernel.hostname=evil 2>/dev/null",
      ].join("\n"),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/10\.61\.9\.1\/24/);
    expect(r.stdout).toMatch(/10\.99\.0\.0\/24 via 10\.61\.0\.2/);
    expect(r.stdout).toMatch(/mtu 1400/);
    expect(r.stdout).toMatch(/1 received/);
    expect(r.stdout).toMatch(/State\s+Recv-Q/);
    expect(r.stdout).toMatch(/^home$/m);
    expect(r.stdout).toMatch(/^tmp$/m);
    // the node's network sysctls are the student's to set (a router's forwarding); the machine's others are not
    expect(r.stdout).toMatch(/^net\.ipv4\.ip_forward = 1$/m);
    expect(r.stdout).toMatch(/^1$/m);
    // the files are the student's, on disk under the state directory
    const p = confinePaths(state.dir, A);
    expect(await readFile(`${p.home}/note`, "utf8")).toBe("home\n");
    expect(await readFile(`${p.tmp}/note`, "utf8")).toBe("tmp\n");
  });

  it("tcpdump -c1 on its interface", async () => {
    const r = await asStudent(
      A,
      labA,
      "h1",
      "(sleep 1; ping -c3 -i0.3 -W1 10.61.0.2 >/dev/null) & timeout 10 tcpdump -c1 -n -i eth0 icmp 2>&1; echo tcpdump=$?",
    );
    expect(r.stdout).toMatch(/tcpdump=0/);
    expect(r.stdout).toMatch(/IP 10\.61\.0\.1 > 10\.61\.0\.2: ICMP echo request/);
  });

  it("python3 -m http.server 80 (a port under 1024) on one node, fetched from another", async () => {
    const server = await startAsStudent(A, labA, "h2", ["/usr/bin/python3", "-m", "http.server", "80"]);
    const r = await asStudent(
      A,
      labA,
      "h1",
      "for i in $(seq 1 50); do code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://10.61.0.2:80/) && [ \"$code\" = 200 ] && break; sleep 0.2; done; echo code=$code",
    );
    expect(r.stdout).toMatch(/code=200/);
    expect(server.exitCode).toBeNull();
    await stop(server);
  });

  it("nc, where installed", async () => {
    const have = await asStudent(A, labA, "h1", "command -v nc || echo none");
    if (have.stdout.trim() === "none") return; // not installed on this machine: nothing to prove
    const server = await startAsStudent(A, labA, "h2", ["/bin/sh", "-c", "echo hello-from-h2 | nc -l -p 7 -q1 || echo hello-from-h2 | nc -l 7"]);
    const r = await asStudent(
      A,
      labA,
      "h1",
      'for i in $(seq 1 30); do out=$(nc -w1 10.61.0.2 7 </dev/null) && [ -n "$out" ] && break; sleep 0.2; done; echo "$out"',
    );
    expect(r.stdout).toMatch(/hello-from-h2/);
    await stop(server);
  });
});
