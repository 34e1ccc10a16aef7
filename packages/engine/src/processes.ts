// Processes inside a lab's namespaces: found by PID, stopped by PID.
//
// Knows: which processes live in a network namespace (their /proc/<pid>/ns/net is the
// namespace's inode), and how to stop them politely, then firmly. A namespace whose processes
// are gone releases its interfaces when it is removed. Leaves to others: which namespaces.

import { readdir, readlink, stat } from "node:fs/promises";

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
      if (ns) out.get(ns)!.push(pid);
    } catch {
      /* gone, or a kernel thread */
    }
  }
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
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

/** Stops every process inside the namespaces; returns their PIDs. */
export async function killNetnsProcesses(namespaces: string[]): Promise<number[]> {
  const pids = [...(await pidsInNetns(namespaces)).values()].flat();
  if (pids.length) await stopPids(pids);
  return pids;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
