// Test support for integration tests that touch the kernel (not part of the product).
//
// Knows: how to give each test its own lab name and state directory, and how to prove that
// nothing of a lab is left behind: namespaces, root-side interfaces, OVS bridges and ports,
// /etc/netns files, processes in its namespaces, batch files a killed topolab left.

import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { aliasLab, natTableName, nsName, OVS_LAB_KEY, parseNsName } from "@topolab/topology";
import { readSnapshot } from "./actual";
import { run } from "./exec";
import { BATCH_DIR } from "./executor";
import { alive, sleep } from "./processes";

/** A lab name no other test uses: `t<prefix><random>`, short enough for a readable tag. */
export function uniqueLabName(prefix: string): string {
  return `t${prefix}${Math.random().toString(36).slice(2, 7)}`.toLowerCase().replace(/[^a-z0-9-]/g, "");
}

export async function tempStateDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "topolab-test-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Everything of a lab still present on the machine, in words; empty when it is all gone. */
export async function leftovers(lab: string): Promise<string[]> {
  const left: string[] = [];
  const snapshot = await readSnapshot({ ovs: true });
  for (const n of snapshot.namespaces) if (parseNsName(n)?.lab === lab) left.push(`namespace ${n}`);
  for (const l of snapshot.rootLinks) if (aliasLab(l.ifalias)?.lab === lab) left.push(`interface ${l.ifname}`);
  for (const b of snapshot.ovs?.bridges ?? []) if (b.externalIds[OVS_LAB_KEY] === lab) left.push(`OVS bridge ${b.name}`);
  for (const p of snapshot.ovs?.ports.values() ?? []) if (p.externalIds[OVS_LAB_KEY] === lab) left.push(`OVS port ${p.name}`);
  try {
    for (const d of await readdir("/etc/netns")) if (parseNsName(d)?.lab === lab) left.push(`/etc/netns/${d}`);
  } catch {
    /* no /etc/netns */
  }
  for (const pid of await labProcesses(lab)) left.push(`process ${pid}`);
  // batch files of its namespaces that a killed topolab left (executor.ts: swept by the next one)
  for (const dir of new Set(["/dev/shm", tmpdir()])) {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!BATCH_DIR.test(name)) continue;
      const files = await readdir(join(dir, name)).catch(() => [] as string[]);
      if (files.some((f) => parseNsName(f)?.lab === lab)) left.push(`batch files ${join(dir, name)}`);
    }
  }
  const nat = await run(["nft", "list", "tables"]);
  for (const line of nat.stdout.split("\n")) if (line.includes(`table ip ${natTableName(lab, "")}`)) left.push(line.trim());
  return left;
}

/** Processes started for a lab (services and shells carry TOPOLAB_LAB in their environment). */
export async function labProcesses(lab: string): Promise<number[]> {
  const wanted = `TOPOLAB_LAB=${lab}\u0000`;
  const out: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if ((await readFile(`/proc/${entry}/environ`, "utf8")).includes(wanted) && alive(Number(entry))) out.push(Number(entry));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

/** Waits briefly for the kernel's background cleanup, then returns what is left. */
export async function leftoversAfterSettling(lab: string, timeoutMs = 5000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let left = await leftovers(lab);
  while (left.length && Date.now() < deadline) {
    await sleep(50);
    left = await leftovers(lab);
  }
  return left;
}

/** Runs a command inside a lab node's namespace. */
export function inNode(lab: string, node: string, argv: string[], timeoutMs = 30_000) {
  return run(["ip", "netns", "exec", nsName(lab, node), ...argv], { timeoutMs });
}

/**
 * Pings from a node until a reply comes back or `wait` seconds pass. One ping at a time,
 * again and again: a neighbour entry left FAILED by an earlier unreachable probe answers the
 * first echo with "Destination Host Unreachable", which must not count as the verdict.
 */
export async function pings(lab: string, node: string, target: string, options: { wait?: number } = {}): Promise<boolean> {
  const deadline = Date.now() + (options.wait ?? 3) * 1000;
  do {
    const r = await inNode(lab, node, ["ping", "-c", "1", "-W", "1", "-q", target]);
    if (r.code === 0) return true;
    if (r.code !== 1) throw new Error(`ping failed to run: ${r.stderr.trim()}`);
    await sleep(100);
  } while (Date.now() < deadline);
  return false;
}

/**
 * A TCP exchange between two nodes, both ends in Node.js: the server sends `bytes` bytes,
 * the client counts them. Proves TCP (checksums, segmentation) works, not only ping.
 */
export async function tcpTransfer(lab: string, server: string, client: string, address: string, bytes = 1_000_000): Promise<number> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const serverCode = `const s=require('net').createServer(c=>{c.end(Buffer.alloc(${bytes},120));s.close();});s.listen(${port},${JSON.stringify(address)},()=>console.log('ready'));setTimeout(()=>process.exit(3),20000);`;
  const { spawn } = await import("node:child_process");
  const child = spawn("ip", ["netns", "exec", nsName(lab, server), process.execPath, "-e", serverCode], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.once("data", () => resolve());
      child.once("exit", (code) => reject(new Error(`TCP server exited early (${code})`)));
      child.once("error", reject);
    });
    const clientCode = `let n=0;const c=require('net').connect(${port},${JSON.stringify(address)});c.on('data',d=>n+=d.length);c.on('end',()=>{console.log(n);process.exit(0)});c.on('error',e=>{console.error(e.message);process.exit(2)});setTimeout(()=>{console.log(n);process.exit(1)},10000);`;
    const r = await inNode(lab, client, [process.execPath, "-e", clientCode]);
    return Number(r.stdout.trim().split("\n").pop());
  } finally {
    child.kill("SIGKILL");
  }
}
