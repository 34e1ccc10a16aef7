// Processes inside a lab's namespaces: found by PID, stopped by PID.
//
// Knows: which processes live in a network namespace (their /proc/<pid>/ns/net is the
// namespace's inode), and how to stop them politely, then firmly. A namespace whose processes
// are gone releases its interfaces when it is removed. Leaves to others: which namespaces.

import { readdirSync, readFileSync } from "node:fs";
import { readdir, readFile, readlink, stat } from "node:fs/promises";
import { parseProcStat, type ProcStat } from "./parse/procstat";

export const NETNS_DIR = "/run/netns";

/** PIDs of the processes living in each of the namespaces /run/netns/<ns>, in one pass over /proc. */
export async function pidsInNetns(namespaces: string[]): Promise<Map<string, number[]>> {
  const byInode = new Map<string, string>();
  const out = new Map<string, number[]>();
  for (const ns of namespaces) {
    try {
      byInode.set(`net:[${(await stat(`${NETNS_DIR}/${ns}`)).ino}]`, ns);
      out.set(ns, []);
    } catch {
      /* already gone */
    }
  }
  if (byInode.size === 0) return out;
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const ns = byInode.get(await readlink(`/proc/${entry}/ns/net`));
      if (ns && alive(pid)) out.get(ns)!.push(pid);
    } catch {
      /* gone, or a kernel thread */
    }
  }
  return out;
}

/**
 * Whether a process still runs. A zombie does not: it has ended and only waits for its parent
 * to collect it (in a container whose PID 1 does not reap, that may be never).
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8")).state !== "Z";
  } catch {
    return false;
  }
}

/** A process that ended between listing /proc and reading its file. */
const gone = (e: unknown) => ["ENOENT", "ESRCH"].includes((e as NodeJS.ErrnoException).code ?? "");

/** Every process's /proc/PID/stat, in one pass over /proc; a process that ends meanwhile is left out. */
export async function readProcStats(): Promise<ProcStat[]> {
  const out: ProcStat[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = await readFile(`/proc/${entry}/stat`, "utf8");
    } catch (e) {
      if (gone(e)) continue;
      throw new Error(`reading /proc/${entry}/stat failed: ${(e as Error).message}`);
    }
    out.push(parseProcStat(text));
  }
  return out;
}

/** readProcStats at once, for a snapshot that must not wait (a process about to be killed). */
export function readProcStatsSync(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch (e) {
      if (gone(e)) continue;
      throw new Error(`reading /proc/${entry}/stat failed: ${(e as Error).message}`);
    }
    out.push(parseProcStat(text));
  }
  return out;
}

/** SIGTERM, then SIGKILL after `graceMs` for those still there. Resolves when all are gone. */
export async function stopPids(pids: number[], graceMs = 1500): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < deadline) await sleep(20);
  if (pids.some(alive)) {
    signal("SIGKILL");
    const hard = Date.now() + 2000;
    while (pids.some(alive) && Date.now() < hard) await sleep(20);
  }
}

/**
 * Stops every process inside namespaces about to be removed; returns their PIDs. They get a
 * short grace (dnsmasq, for one, takes two seconds over a SIGTERM), since their network is
 * going away with the namespace anyway.
 */
export async function killNetnsProcesses(namespaces: string[], graceMs = 300): Promise<number[]> {
  const pids = [...(await pidsInNetns(namespaces)).values()].flat();
  if (pids.length) await stopPids(pids, graceMs);
  return pids;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
