// Ending a shell and everything it started, by PID: the shell leads its own session (node-pty
// calls setsid), and an interactive bash puts each job in a process group of its own, so the
// session ID, read from /proc, is what finds them all.
//
// Knows: /proc/<pid>/stat and signals. Leaves to others: which shell (the server's terminal.ts).

import { alive, readProcStats, sleep } from "./processes";

/** PIDs whose session ID is `sid` (the shell itself included). */
export async function sessionPids(sid: number): Promise<number[]> {
  return (await readProcStats()).filter((p) => p.session === sid).map((p) => p.pid);
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}

/**
 * SIGHUP to the whole session (as a closed terminal would), then SIGKILL to whatever is left
 * after `graceMs`. Resolves when none of them is alive.
 */
export async function endSession(sid: number, graceMs = 500): Promise<void> {
  let pids = await sessionPids(sid);
  if (!pids.includes(sid)) pids.push(sid);
  signal(pids, "SIGHUP");
  signal(pids, "SIGCONT"); // a stopped job (Ctrl-Z) only sees SIGHUP once it runs
  const deadline = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < deadline) await sleep(10);
  pids = [...new Set([...pids.filter(alive), ...(await sessionPids(sid))])];
  if (pids.length) {
    signal(pids, "SIGKILL");
    const hard = Date.now() + 2000;
    while (pids.some(alive) && Date.now() < hard) await sleep(10);
  }
}
