// Shells and commands inside a node: the one recipe that both `topolab shell` and the web
// terminals use, so that a browser terminal is exactly the shell a person gets on the CLI.
//
// Knows: `ip netns exec <ns>` (which also binds /etc/netns/<ns>/hosts over /etc/hosts), a
// private UTS namespace so `hostname` says the node's name, and a bash rc file that gives the
// prompt `root@<node>:~#`. `ip`, `unshare` and `bash` are topolab's tools, by absolute path
// (a missing one is a clear error here, not a failed exec in a terminal). Leaves to others:
// spawning (node-pty in the server, stdio in the CLI).

import { mkdir, rename, writeFile } from "node:fs/promises";
import { tool } from "./exec";
import { cgroupLayout, confineSpec, DEFAULT_LIMITS, prepareConfinement, type ConfineLimits } from "./confine";

export const BASHRC = `# topolab: the shell of a lab node (written by topolab; edits are overwritten)
[ -f /etc/bash.bashrc ] && . /etc/bash.bashrc
[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"
if [ -n "\${TOPOLAB_NODE:-}" ]; then
  hostname "$TOPOLAB_NODE" 2>/dev/null
  PS1='\\[\\e[1;32m\\]\\u@'"$TOPOLAB_NODE"'\\[\\e[0m\\]:\\[\\e[1;34m\\]\\w\\[\\e[0m\\]\\$ '
fi
`;

export interface ShellSpec {
  argv: string[];
  env: Record<string, string>;
  /** shells start in root's home, like a login on the node */
  cwd: string;
}

/** Writes the rc file (once per process) and returns how to start a node's shell. */
const written = new Set<string>();

/** Writes the rc file once per process, atomically: a shell starting meanwhile never reads half of it. */
async function ensureRcFile(stateDir: string): Promise<string> {
  const rc = `${stateDir}/bashrc`;
  if (written.has(rc)) return rc;
  await mkdir(stateDir, { recursive: true });
  const tmp = `${rc}.${process.pid}.tmp`;
  await writeFile(tmp, BASHRC);
  await rename(tmp, rc);
  written.add(rc);
  return rc;
}

export async function shellSpec(stateDir: string, lab: string, node: string, ns: string): Promise<ShellSpec> {
  const rc = await ensureRcFile(stateDir);
  return {
    argv: [tool("ip"), "netns", "exec", ns, tool("unshare"), "--uts", "--", tool("bash"), "--rcfile", rc, "-i"],
    env: { TOPOLAB_LAB: lab, TOPOLAB_NODE: node, TERM: process.env["TERM"] || "xterm-256color" },
    cwd: process.env["HOME"] || "/root",
  };
}

/**
 * A student's shell in a node (classroom mode): the same ShellSpec shape, but the shell runs
 * as the student's own unprivileged uid, confined (confine.ts: mount, PID and UTS namespaces,
 * read-only filesystem but their home and /tmp, CAP_NET_ADMIN and CAP_NET_RAW only,
 * no_new_privs, the student's cgroup limits). Prepares the student's places and cgroups
 * first (idempotent). `command` replaces the interactive bash (for a command run through the
 * API). The env is complete: a caller may add TERM-like variables, but the script passes only
 * its own fixed list to the student.
 */
export async function confinedShellSpec(
  stateDir: string,
  lab: string,
  node: string,
  ns: string,
  student: number,
  o: { limits?: Partial<ConfineLimits>; command?: string[] } = {},
): Promise<ShellSpec> {
  const layout = await cgroupLayout();
  const plan = confineSpec({
    student,
    ns,
    lab,
    node,
    stateDir,
    limits: { ...DEFAULT_LIMITS, ...o.limits },
    cgroups: layout,
    ...(o.command ? { command: o.command } : {}),
  });
  await prepareConfinement(plan, BASHRC);
  return { argv: plan.argv, env: plan.env, cwd: plan.cwd };
}
