// Confined shells: a student's shell in a lab node, as an unprivileged user of its own, for a
// classroom where thirty people share one server and none of them is root on it.
//
// Knows: the student's identity → uid/gid (STUDENT_UID_BASE + index, one per student:
// 200000..265535 is above the uids Debian hands its users (UID_MAX 60000); useradd's subuid
// ranges start at 100000 and could cover it, so preparing refuses a uid that /etc/passwd,
// /etc/group, /etc/subuid or /etc/subgid already give to someone); the private places of a student under
// the state directory (<state>/confine/student-<N>/{home,tmp}); the cgroups a student's shells
// run in (v1 pids/memory/cpu hierarchies, or one cgroup2 tree, under a `topolab` group named
// `student-<N>`: on cgroup2 the controllers are handed down first, the root's
// cgroup.subtree_control and then our own `topolab` group's, as cgroup2 requires; the writes
// are planned by pure functions and applied by setUpCgroups, which a test runs over a fake
// tree in a temporary directory); and the one fixed script (CONFINE_SCRIPT) that turns a root process into the
// student's shell:
//   1. as root: join the student's cgroups (everything started after is counted);
//   2. nsenter the node's network namespace; unshare a mount, PID, UTS and IPC namespace
//      (--fork --kill-child, then a /proc of its own: the shell is PID 1 of its own PID namespace
//      and sees only its own processes; when it ends, everything it started ends);
//   3. still root, inside: net.ipv4.ip_unprivileged_port_start=0 for the node; the node's
//      /etc/netns/<ns>/* files over /etc (as `ip netns exec` does); a sysfs of the node; every
//      nsfs mount (the /run/netns handles of every lab) unmounted and /run/netns hidden; the
//      state directory hidden; a tmpfs /home holding only the student's home; the student's
//      /tmp; a passwd/group naming the student; then every mount read-only except the home,
//      /tmp, /dev/shm (a small private tmpfs) and /dev/pts;
//   4. setpriv to the student's uid/gid, no supplementary groups, no_new_privs, bounding set
//      = inheritable = ambient = {CAP_NET_ADMIN, CAP_NET_RAW}, then `env -i` with a fixed
//      environment (nothing of the server's, its token included, reaches the student).
// The script is a constant; every value reaches it as an environment variable or an argument,
// validated here, never spliced into shell text.
// Leaves to others: who is a student and which lab is theirs (the server); spawning the spec
// (node-pty or stdio); what the lab itself lets through (a lab with a NAT gateway reaches the
// machine's network by design). docs/security.md says what this protects against and what not.

import { existsSync } from "node:fs";
import { chown, chmod, mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { CHILD_PATH, tool } from "./exec";
import { sleep } from "./processes";

/** uid = gid = STUDENT_UID_BASE + student index. */
export const STUDENT_UID_BASE = 200_000;
/** student indexes run 0..MAX_STUDENT_INDEX */
export const MAX_STUDENT_INDEX = 65_535;
/** the parent cgroup of every student's cgroup, in each hierarchy */
export const CGROUP_PARENT = "topolab";
/** where cgroup hierarchies are mounted */
export const CGROUP_ROOT = "/sys/fs/cgroup";
/** the controllers a student's limits need */
export const CGROUP_CONTROLLERS = ["pids", "memory", "cpu"] as const;

export interface ConfineLimits {
  /** most processes (and threads) the student may have at once, all their shells together */
  pids: number;
  /** most memory (bytes) of all their processes together; beyond it the kernel's OOM killer ends one of them */
  memoryBytes: number;
  /** relative CPU weight under contention, 1..10000 (cgroup2 cpu.weight; 100 = an ordinary process group) */
  cpuWeight: number;
  /** at most this many CPUs' worth of time (0.5 = half of one core); null = no cap */
  cpuMax: number | null;
}

export const DEFAULT_LIMITS: ConfineLimits = { pids: 256, memoryBytes: 512 * 1024 * 1024, cpuWeight: 100, cpuMax: 1 };

export type CgroupLayout =
  /** one hierarchy per controller: /sys/fs/cgroup/{pids,memory,cpu} */
  | { kind: "v1"; pids: string; memory: string; cpu: string }
  /** the unified hierarchy at /sys/fs/cgroup */
  | { kind: "v2"; root: string };

export interface ConfineInput {
  /** the student's index, 0..MAX_STUDENT_INDEX: their uid is STUDENT_UID_BASE + index */
  student: number;
  /** the node's network namespace (its name under /run/netns) */
  ns: string;
  lab: string;
  node: string;
  /** topolab's state directory (absolute) */
  stateDir: string;
  limits: ConfineLimits;
  cgroups: CgroupLayout;
  /** what to run as the student; default an interactive bash with topolab's rc file */
  command?: string[];
  /** TERM for the shell (default xterm-256color) */
  term?: string;
}

export interface ConfinePaths {
  /** <state>/confine/student-<N>: everything of the student's on disk */
  dir: string;
  /** their home on disk (mounted at `homeMount` inside) */
  home: string;
  /** their /tmp on disk */
  tmp: string;
  passwd: string;
  group: string;
  /** topolab's rc file for the student's bash (root-owned, read-only to them) */
  rc: string;
  /** where the home appears inside the shell */
  homeMount: string;
}

export interface ConfinePlan {
  uid: number;
  gid: number;
  /** the login name inside the shell */
  user: string;
  paths: ConfinePaths;
  /** the student's cgroup directories (one per v1 controller, or one in cgroup2) */
  cgroupDirs: string[];
  cgroupKind: "v1" | "v2";
  /** the `topolab` groups above them */
  cgroupParents: string[];
  /** files and values to write into the cgroups when preparing */
  cgroupWrites: Array<{ path: string; value: string }>;
  /** cgroup2: the groups whose cgroup.subtree_control must enable these controllers, top down (v1: none) */
  cgroupEnable: Array<{ dir: string; controllers: string[] }>;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

export class ConfineInputError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`confinement: ${field}: ${reason}`);
    this.name = "ConfineInputError";
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function studentUid(student: number): number {
  return STUDENT_UID_BASE + student;
}

export function studentName(student: number): string {
  return `student-${student}`;
}

/** The student index of a cgroup or directory name `student-<N>`, or null. */
export function parseStudentName(name: string): number | null {
  const m = /^student-(\d{1,5})$/.exec(name);
  if (!m) return null;
  const n = Number(m[1]);
  return n <= MAX_STUDENT_INDEX && String(n) === m[1] ? n : null;
}

function check(input: ConfineInput): void {
  const { student, ns, lab, node, stateDir, limits } = input;
  if (!Number.isInteger(student) || student < 0 || student > MAX_STUDENT_INDEX) {
    throw new ConfineInputError("student", `must be an integer 0..${MAX_STUDENT_INDEX}, got ${String(student)}`);
  }
  if (!NAME.test(ns)) throw new ConfineInputError("ns", `not a namespace name: ${JSON.stringify(ns)}`);
  if (!NAME.test(lab)) throw new ConfineInputError("lab", `not a lab name: ${JSON.stringify(lab)}`);
  if (!NAME.test(node)) throw new ConfineInputError("node", `not a node name: ${JSON.stringify(node)}`);
  if (!stateDir.startsWith("/") || stateDir === "/" || /[\0\n:]|\/\.\.?(\/|$)/.test(stateDir)) {
    throw new ConfineInputError("stateDir", `must be an absolute directory path other than /, got ${JSON.stringify(stateDir)}`);
  }
  if (!Number.isInteger(limits.pids) || limits.pids < 8 || limits.pids > 1_000_000) {
    throw new ConfineInputError("limits.pids", `must be an integer 8..1000000, got ${String(limits.pids)}`);
  }
  if (!Number.isInteger(limits.memoryBytes) || limits.memoryBytes < 16 * 1024 * 1024) {
    throw new ConfineInputError("limits.memoryBytes", `must be an integer of at least 16 MiB, got ${String(limits.memoryBytes)}`);
  }
  if (!Number.isInteger(limits.cpuWeight) || limits.cpuWeight < 1 || limits.cpuWeight > 10_000) {
    throw new ConfineInputError("limits.cpuWeight", `must be an integer 1..10000, got ${String(limits.cpuWeight)}`);
  }
  if (limits.cpuMax !== null && !(typeof limits.cpuMax === "number" && limits.cpuMax >= 0.01 && limits.cpuMax <= 1024)) {
    throw new ConfineInputError("limits.cpuMax", `must be null or a number 0.01..1024 (CPUs), got ${String(limits.cpuMax)}`);
  }
  if (input.command !== undefined && (input.command.length === 0 || input.command.some((a) => typeof a !== "string" || a.includes("\0")))) {
    throw new ConfineInputError("command", "must be a non-empty argument vector of strings without NUL");
  }
  if (input.term !== undefined && !/^[A-Za-z0-9._+-]{1,64}$/.test(input.term)) {
    throw new ConfineInputError("term", `not a terminal type: ${JSON.stringify(input.term)}`);
  }
}

/** The student's paths under the state directory (pure). */
export function confinePaths(stateDir: string, student: number): ConfinePaths {
  const dir = `${stateDir.replace(/\/+$/, "")}/confine/${studentName(student)}`;
  return {
    dir,
    home: `${dir}/home`,
    tmp: `${dir}/tmp`,
    passwd: `${dir}/passwd`,
    group: `${dir}/group`,
    rc: `${dir}/bashrc`,
    homeMount: `/home/${studentName(student)}`,
  };
}

/** The student's cgroup directories and what goes in them (pure). */
export function cgroupPlan(
  layout: CgroupLayout,
  student: number,
  limits: ConfineLimits,
): { dirs: string[]; parents: string[]; writes: Array<{ path: string; value: string }>; enable: Array<{ dir: string; controllers: string[] }> } {
  const name = studentName(student);
  const period = 100_000;
  const quota = limits.cpuMax === null ? null : Math.max(1000, Math.round(limits.cpuMax * period));
  if (layout.kind === "v2") {
    const parent = `${layout.root}/${CGROUP_PARENT}`;
    const dir = `${parent}/${name}`;
    return {
      dirs: [dir],
      parents: [parent],
      // cgroup2 hands a controller to a group only when every group above enables it for its children
      enable: [
        { dir: layout.root, controllers: [...CGROUP_CONTROLLERS] },
        { dir: parent, controllers: [...CGROUP_CONTROLLERS] },
      ],
      writes: [
        { path: `${dir}/pids.max`, value: String(limits.pids) },
        { path: `${dir}/memory.max`, value: String(limits.memoryBytes) },
        { path: `${dir}/memory.swap.max`, value: "0" },
        { path: `${dir}/cpu.weight`, value: String(limits.cpuWeight) },
        { path: `${dir}/cpu.max`, value: quota === null ? `max ${period}` : `${quota} ${period}` },
      ],
    };
  }
  const pids = `${layout.pids}/${CGROUP_PARENT}/${name}`;
  const memory = `${layout.memory}/${CGROUP_PARENT}/${name}`;
  const cpu = `${layout.cpu}/${CGROUP_PARENT}/${name}`;
  return {
    enable: [],
    dirs: [pids, memory, cpu],
    parents: [layout.pids, layout.memory, layout.cpu].map((d) => `${d}/${CGROUP_PARENT}`),
    writes: [
      { path: `${pids}/pids.max`, value: String(limits.pids) },
      { path: `${memory}/memory.limit_in_bytes`, value: String(limits.memoryBytes) },
      // swap counted too where the kernel accounts it (written when the file exists)
      { path: `${memory}/memory.memsw.limit_in_bytes`, value: String(limits.memoryBytes) },
      // v1 shares: 1024 is an ordinary group, as cgroup2's weight 100
      { path: `${cpu}/cpu.shares`, value: String(Math.max(2, Math.round((limits.cpuWeight * 1024) / 100))) },
      { path: `${cpu}/cpu.cfs_period_us`, value: String(period) },
      { path: `${cpu}/cpu.cfs_quota_us`, value: quota === null ? "-1" : String(quota) },
    ],
  };
}

/**
 * The fixed script that makes a root process the student's shell (see the module comment).
 * $1 is "outer" (join cgroups, enter the namespaces) or "inner" (inside them: mounts, then
 * drop to the student); the rest of the arguments are the student's command.
 */
export const CONFINE_SCRIPT = String.raw`set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
fail() { echo "topolab confine: $*" >&2; exit 126; }
stage=$1; shift
if [ "$stage" = outer ]; then
  old_ifs=$IFS; IFS=:
  for f in $TLC_CGROUP_PROCS; do
    echo 0 > "$f" || fail "cannot join cgroup $f"
  done
  IFS=$old_ifs
  [ -e "/run/netns/$TLC_NS" ] || fail "no network namespace $TLC_NS (is the lab up?)"
  exec nsenter "--net=/run/netns/$TLC_NS" -- unshare --mount --pid --uts --ipc --fork --kill-child --propagation private -- sh -c "$TLC_SCRIPT" topolab-confine inner "$@"
fi
[ "$stage" = inner ] || fail "unknown stage $stage"
# first (the fewer mounts, the faster all that follows): no handle on any other network namespace: every nsfs mount goes, and /run/netns is an empty directory
if awk '$5 == "/run/netns" { found = 1 } END { exit !found }' /proc/self/mountinfo; then umount -l /run/netns || fail "cannot detach /run/netns"; fi
awk '$0 ~ / - nsfs / { print $5 }' /proc/self/mountinfo | sort -r | while IFS= read -r m; do
  umount -l "$(printf '%b' "$m")" 2>/dev/null || true
done
if awk '$0 ~ / - nsfs / { found = 1 } END { exit !found }' /proc/self/mountinfo; then fail "an nsfs mount is still there"; fi
if [ -d /run/netns ]; then mount -t tmpfs -o ro,size=4k,mode=755 tmpfs /run/netns || fail "cannot hide /run/netns"; fi
# the node's files over /etc, as ip netns exec does
if [ -d "/etc/netns/$TLC_NS" ]; then
  for f in "/etc/netns/$TLC_NS"/*; do
    [ -e "$f" ] || continue
    b=$(basename "$f")
    [ -e "/etc/$b" ] && mount --bind "$f" "/etc/$b" || true
  done
fi
# a sysfs of the node's network namespace (hides the machine's /sys/class/net and the cgroup tree)
umount -l /sys || fail "cannot detach the machine's /sys"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs /sys || fail "cannot mount sysfs"
# a /proc of this PID namespace only (the machine's, and whatever was mounted under it, detached)
umount -l /proc || fail "cannot detach the machine's /proc"
mount -t proc -o nosuid,nodev,noexec proc /proc || fail "cannot mount proc"
# the node's own settings (a port under 1024 needs no capability in this namespace)
echo 0 > /proc/sys/net/ipv4/ip_unprivileged_port_start || fail "cannot set ip_unprivileged_port_start"
# the node's network sysctls stay writable (CAP_NET_ADMIN counts as their owner: a student turns
# a router's forwarding on); the rest of /proc becomes read-only below
mount --bind /proc/sys/net /proc/sys/net || fail "cannot keep /proc/sys/net writable"
hostname "$TLC_NODE" || fail "cannot set the hostname"
# the student's places, then the state directory hidden
mount -t tmpfs -o size=1m,mode=755,nosuid,nodev tmpfs /home || fail "cannot mount /home"
mkdir -m 755 "$TLC_HOME_MOUNT" /home/.topolab
cp "$TLC_RC" /home/.topolab/bashrc
mount --bind "$TLC_HOME_SRC" "$TLC_HOME_MOUNT" || fail "cannot mount the home"
mount --bind "$TLC_PASSWD" /etc/passwd || fail "cannot mount passwd"
mount --bind "$TLC_GROUP" /etc/group || fail "cannot mount group"
mount --bind "$TLC_TMP_SRC" /tmp || fail "cannot mount /tmp"
# (a state directory under /tmp is already out of sight)
if [ -d "$TLC_STATE_DIR" ]; then mount -t tmpfs -o ro,size=4k,mode=755 tmpfs "$TLC_STATE_DIR" || fail "cannot hide the state directory"; fi
if [ -d /dev/shm ]; then mount -t tmpfs -o size=16m,mode=1777,nosuid,nodev tmpfs /dev/shm || fail "cannot mount /dev/shm"; fi
# everything read-only but the student's places
awk '{ print $5 }' /proc/self/mountinfo | sort -u | while IFS= read -r m; do
  m=$(printf '%b' "$m")
  case "$m" in
    "$TLC_HOME_MOUNT"|/tmp|/dev/shm|/dev/pts|/proc/sys/net) continue ;;
  esac
  mount -o remount,bind,ro "$m" 2>/dev/null || fail "cannot make $m read-only"
done
cd "$TLC_HOME_MOUNT"
exec setpriv "--reuid=$TLC_UID" "--regid=$TLC_UID" --clear-groups --no-new-privs \
  --inh-caps=-all,+net_admin,+net_raw --ambient-caps=-all,+net_admin,+net_raw --bounding-set=-all,+net_admin,+net_raw \
  -- env -i "PATH=$TLC_PATH" "HOME=$TLC_HOME_MOUNT" "USER=$TLC_USER" "LOGNAME=$TLC_USER" SHELL=/bin/bash \
  "TERM=$TLC_TERM" LANG=C.UTF-8 "TOPOLAB_LAB=$TLC_LAB" "TOPOLAB_NODE=$TLC_NODE" TOPOLAB_CONFINED=1 "$@"
`;

/**
 * How to start the student's confined shell (or `command`) in a node: a pure function of
 * its input. The spec only works once `prepareConfinement` made the student's places and
 * cgroups; argv[0] is an absolute path, the environment is complete (the caller adds nothing).
 */
export function confineSpec(input: ConfineInput): ConfinePlan {
  check(input);
  const uid = studentUid(input.student);
  const user = studentName(input.student);
  const paths = confinePaths(input.stateDir, input.student);
  const cg = cgroupPlan(input.cgroups, input.student, input.limits);
  const command = input.command ?? ["/bin/bash", "--rcfile", "/home/.topolab/bashrc", "-i"];
  const env: Record<string, string> = {
    PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
    TLC_SCRIPT: CONFINE_SCRIPT,
    TLC_NS: input.ns,
    TLC_LAB: input.lab,
    TLC_NODE: input.node,
    TLC_UID: String(uid),
    TLC_USER: user,
    TLC_TERM: input.term ?? "xterm-256color",
    TLC_PATH: CHILD_PATH,
    TLC_CGROUP_PROCS: cg.dirs.map((d) => `${d}/cgroup.procs`).join(":"),
    TLC_HOME_SRC: paths.home,
    TLC_HOME_MOUNT: paths.homeMount,
    TLC_TMP_SRC: paths.tmp,
    TLC_PASSWD: paths.passwd,
    TLC_GROUP: paths.group,
    TLC_RC: paths.rc,
    TLC_STATE_DIR: input.stateDir.replace(/\/+$/, ""),
  };
  return {
    uid,
    gid: uid,
    user,
    paths,
    cgroupDirs: cg.dirs,
    cgroupKind: input.cgroups.kind,
    cgroupParents: cg.parents,
    cgroupWrites: cg.writes,
    cgroupEnable: cg.enable,
    argv: [tool("sh"), "-c", CONFINE_SCRIPT, "topolab-confine", "outer", ...command],
    env,
    cwd: "/",
  };
}

/**
 * The machine's cgroup layout: cgroup2 alone at /sys/fs/cgroup (a `cgroup.controllers` file
 * there: a pure v2 machine, or a container's own cgroup2 tree), else v1 pids/memory/cpu
 * hierarchies (a hybrid machine's empty cgroup2 at <root>/unified is not used: its controllers
 * are bound to v1). `root` is a parameter so that a test can lay out a fake tree.
 */
export async function cgroupLayout(root = CGROUP_ROOT): Promise<CgroupLayout> {
  if (existsSync(`${root}/cgroup.controllers`)) {
    let text: string;
    try {
      text = await readFile(`${root}/cgroup.controllers`, "utf8");
    } catch (e) {
      throw new Error(`confinement: cannot read ${root}/cgroup.controllers: ${(e as Error).message}`);
    }
    const controllers = text.trim().split(/\s+/).filter(Boolean);
    const missing = CGROUP_CONTROLLERS.filter((c) => !controllers.includes(c));
    if (missing.length) {
      throw new Error(
        `confinement needs the cgroup2 controllers ${missing.join(", ")}, which ${root} does not offer (it offers: ${controllers.join(" ") || "none"}); ` +
          "in a container, run it with a cgroup namespace of its own and these controllers delegated",
      );
    }
    return { kind: "v2", root };
  }
  const v1 = { pids: `${root}/pids`, memory: `${root}/memory`, cpu: `${root}/cpu` };
  const probe = { pids: "pids.max", memory: "memory.limit_in_bytes", cpu: "cpu.shares" } as const;
  const missing: string[] = [];
  for (const c of ["pids", "memory", "cpu"] as const) {
    // the controller's own file, in a child of ours or in the root (some files exist only below it)
    const ok = existsSync(`${v1[c]}/cgroup.procs`) && (existsSync(`${v1[c]}/${probe[c]}`) || c === "pids");
    if (!ok) missing.push(c);
  }
  if (missing.length) throw new Error(`confinement needs the cgroup v1 controllers ${missing.join(", ")} mounted under ${root} (or cgroup2 at ${root})`);
  return { kind: "v1", ...v1 };
}

/** passwd and group files: the machine's, with the student's line added (pure). */
export function studentAccountFiles(machinePasswd: string, machineGroup: string, student: number, homeMount: string): { passwd: string; group: string } {
  const uid = studentUid(student);
  const user = studentName(student);
  const keep = (text: string) =>
    text
      .split("\n")
      .filter((l) => l && l.split(":")[0] !== user && l.split(":")[2] !== String(uid))
      .join("\n");
  return {
    passwd: `${keep(machinePasswd)}\n${user}:x:${uid}:${uid}:topolab student ${student}:${homeMount}:/bin/bash\n`,
    group: `${keep(machineGroup)}\n${user}:x:${uid}:\n`,
  };
}

/**
 * Why the student's uid/gid cannot be theirs on this machine, or null: a user or group of
 * the machine has it, or a subordinate id range (rootless containers) covers it (pure).
 */
export function uidConflict(uid: number, files: { passwd: string; group: string; subuid: string; subgid: string }): string | null {
  for (const [name, text, field] of [
    ["/etc/passwd", files.passwd, 2],
    ["/etc/group", files.group, 2],
  ] as const) {
    for (const line of text.split("\n")) {
      const f = line.split(":");
      if (f[field] === String(uid) && !/^student-\d+$/.test(f[0] ?? "")) return `${name} already gives id ${uid} to ${f[0]}`;
    }
  }
  for (const [name, text] of [
    ["/etc/subuid", files.subuid],
    ["/etc/subgid", files.subgid],
  ] as const) {
    for (const line of text.split("\n")) {
      const f = line.trim().split(":");
      if (f.length !== 3) continue;
      const start = Number(f[1]);
      const count = Number(f[2]);
      if (Number.isFinite(start) && Number.isFinite(count) && uid >= start && uid < start + count) {
        return `${name} gives ${f[0]} the ids ${start}..${start + count - 1}, which include ${uid}`;
      }
    }
  }
  return null;
}

const readOrEmpty = (path: string) =>
  readFile(path, "utf8").catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return "";
    throw new Error(`confinement: cannot read ${path}: ${e.message}`);
  });

async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  // (two shells of one student prepared at once each write their own temporary file)
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

async function writeCgroup(path: string, value: string, optional: boolean): Promise<void> {
  try {
    await writeFile(path, value);
  } catch (e) {
    if (optional && (e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new Error(`confinement: cannot write ${value} to ${path}: ${(e as Error).message}`);
  }
}

/**
 * Makes what the student's shells need: their home and /tmp (owned by their uid, 0700),
 * passwd/group files naming them, the rc file, and their cgroups with the limits written.
 * Idempotent: a second call updates the limits and keeps the student's files.
 */
export async function prepareConfinement(plan: ConfinePlan, bashrc: string): Promise<void> {
  const { paths, uid, gid } = plan;
  const machine = {
    passwd: await readFile("/etc/passwd", "utf8"),
    group: await readFile("/etc/group", "utf8"),
    subuid: await readOrEmpty("/etc/subuid"),
    subgid: await readOrEmpty("/etc/subgid"),
  };
  const conflict = uidConflict(uid, machine);
  if (conflict) throw new Error(`confinement: student ${uid - STUDENT_UID_BASE} cannot have uid ${uid}: ${conflict}`);
  await mkdir(paths.dir, { recursive: true, mode: 0o755 });
  await chown(paths.dir, 0, 0);
  await chmod(paths.dir, 0o755);
  for (const d of [paths.home, paths.tmp]) {
    await mkdir(d, { recursive: true, mode: 0o700 });
    await chown(d, uid, gid);
    await chmod(d, 0o700);
  }
  const accounts = studentAccountFiles(machine.passwd, machine.group, uid - STUDENT_UID_BASE, paths.homeMount);
  await writeAtomic(paths.passwd, accounts.passwd, 0o644);
  await writeAtomic(paths.group, accounts.group, 0o644);
  await writeAtomic(paths.rc, bashrc, 0o644);
  await setUpCgroups(plan);
}

/**
 * What to write into a group's cgroup.subtree_control so that it enables `want` for its
 * children, given what the file says now ("" when nothing is missing) (pure).
 */
export function subtreeControlWrite(current: string, want: readonly string[]): string {
  const on = new Set(current.trim().split(/\s+/).filter(Boolean));
  return want
    .filter((c) => !on.has(c))
    .map((c) => `+${c}`)
    .join(" ");
}

/** Why the kernel refused to enable controllers in a cgroup2 group, in words a person can act on (pure). */
export function explainSubtreeControlError(dir: string, value: string, code: string | undefined, message: string): string {
  const what = `confinement: cannot enable ${value} in ${dir}/cgroup.subtree_control (${code ?? message})`;
  switch (code) {
    case "EBUSY":
      return (
        `${what}: the group has processes of its own, and cgroup2 hands controllers down only from a group without any ` +
        "(in a container whose cgroup namespace root holds its processes: move them into a child group first, as docker-in-docker does)"
      );
    case "ENOENT":
    case "EINVAL":
      return (
        `${what}: a controller is not available to this group (bound to a cgroup v1 hierarchy, or not delegated to it by its parent` +
        `${value.includes("cpu") ? "; for cpu also: realtime processes outside the root group on a kernel with RT group scheduling" : ""})`
      );
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return `${what}: not permitted (the server must run as root with the cgroup tree writable; under systemd, Delegate=yes)`;
    default:
      return `${what}: ${message}`;
  }
}

/**
 * The student's cgroups, made and limited (idempotent): on cgroup2 first every group above
 * them enables pids, memory and cpu for its children (the root's subtree_control, then our
 * `topolab` group's: only what is missing is written), then the limits. `plan` comes from
 * confineSpec or cgroupPlan; over a fake tree (a temporary directory) it runs without root.
 */
export async function setUpCgroups(plan: Pick<ConfinePlan, "cgroupDirs" | "cgroupWrites" | "cgroupEnable">): Promise<void> {
  for (const dir of plan.cgroupDirs) await mkdir(dir, { recursive: true });
  for (const { dir, controllers } of plan.cgroupEnable) {
    const file = `${dir}/cgroup.subtree_control`;
    let current: string;
    try {
      current = await readFile(file, "utf8");
    } catch (e) {
      throw new Error(`confinement: cannot read ${file}: ${(e as Error).message}`);
    }
    const value = subtreeControlWrite(current, controllers);
    if (!value) continue;
    try {
      await writeFile(file, value);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new Error(explainSubtreeControlError(dir, value, err.code, err.message));
    }
  }
  // v1 memory: limit_in_bytes may never exceed memsw.limit_in_bytes, so raising and lowering
  // need opposite orders: what the kernel refuses in the first pass is written in a second
  const refused: Array<{ path: string; value: string }> = [];
  for (const w of plan.cgroupWrites) {
    await writeCgroup(w.path, w.value, /memsw|swap/.test(w.path)).catch(() => refused.push(w));
  }
  for (const w of refused) await writeCgroup(w.path, w.value, false);
}

/** The PIDs in a cgroup directory (one hierarchy), read from its cgroup.procs. */
export async function cgroupPids(dir: string): Promise<number[]> {
  const text = await readFile(`${dir}/cgroup.procs`, "utf8");
  return text
    .split("\n")
    .filter(Boolean)
    .map((s) => Number(s));
}

async function removeCgroup(dir: string): Promise<boolean> {
  if (!existsSync(dir)) return false;
  const deadline = Date.now() + 5000;
  // cgroup2 (Linux 5.14+): the kernel kills every process of the group at once, forks in flight included
  if (existsSync(`${dir}/cgroup.kill`)) await writeFile(`${dir}/cgroup.kill`, "1").catch(() => undefined);
  for (;;) {
    let pids: number[] = [];
    try {
      pids = await cgroupPids(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw e;
    }
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone meanwhile */
      }
    }
    try {
      await rmdir(dir);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return false;
      if (code !== "EBUSY" || Date.now() > deadline) {
        throw new Error(`confinement: cannot remove cgroup ${dir} (${code}); processes in it: ${pids.join(" ") || "none"}`);
      }
      await sleep(20);
    }
  }
}

export interface ReleaseResult {
  cgroups: string[];
  files: string[];
}

/**
 * Ends every process of the student's (by the PIDs their cgroups list) and removes their
 * cgroups; with `files`, their home, /tmp and account files too.
 */
export async function releaseConfinement(stateDir: string, student: number, o?: { files?: boolean; layout?: CgroupLayout }): Promise<ReleaseResult>;
/** (the same, with the layout given first) */
export async function releaseConfinement(stateDir: string, student: number, layout: CgroupLayout, o?: { files?: boolean }): Promise<ReleaseResult>;
export async function releaseConfinement(
  stateDir: string,
  student: number,
  a: CgroupLayout | { files?: boolean; layout?: CgroupLayout } = {},
  b: { files?: boolean } = {},
): Promise<ReleaseResult> {
  const given = "kind" in a ? { ...b, layout: a } : a;
  const o: { files?: boolean; layout?: CgroupLayout } = given;
  const result: ReleaseResult = { cgroups: [], files: [] };
  const { dirs } = cgroupPlan(o.layout ?? (await cgroupLayout()), student, DEFAULT_LIMITS);
  for (const d of dirs) if (await removeCgroup(d)) result.cgroups.push(d);
  if (o.files) {
    const { dir } = confinePaths(stateDir, student);
    if (existsSync(dir)) {
      await rm(dir, { recursive: true, force: true });
      result.files.push(dir);
    }
  }
  return result;
}

/**
 * Everything confinement made on this machine: every student's cgroups (their processes
 * ended first) and the `topolab` parents, and every student's files under the state
 * directory. `topolab clean` calls it.
 */
export async function cleanConfinement(stateDir: string, root = CGROUP_ROOT): Promise<ReleaseResult> {
  const result: ReleaseResult = { cgroups: [], files: [] };
  const parents = existsSync(`${root}/cgroup.controllers`)
    ? [`${root}/${CGROUP_PARENT}`]
    : ["pids", "memory", "cpu"].map((c) => `${root}/${c}/${CGROUP_PARENT}`);
  for (const parent of parents) {
    let names: string[];
    try {
      names = await readdir(parent);
    } catch {
      continue;
    }
    for (const n of names) {
      if (parseStudentName(n) === null) continue;
      const d = `${parent}/${n}`;
      if ((await stat(d)).isDirectory() && (await removeCgroup(d))) result.cgroups.push(d);
    }
    try {
      await rmdir(parent);
      result.cgroups.push(parent);
    } catch {
      /* something else of ours is still in it, or it is gone */
    }
  }
  const dir = `${stateDir.replace(/\/+$/, "")}/confine`;
  if (existsSync(dir)) {
    for (const n of await readdir(dir)) {
      if (parseStudentName(n) === null) continue;
      await rm(`${dir}/${n}`, { recursive: true, force: true });
      result.files.push(`${dir}/${n}`);
    }
    await rmdir(dir).catch(() => undefined);
  }
  return result;
}
