// The state directory: each lab's last good document, its tag, and locks.
//
// Layout (default /var/lib/topolab, or $TOPOLAB_STATE_DIR):
//   registry.lock          held while a lab's tag is chosen
//   capabilities.json      qdisc probe results for this boot
//   labs/<lab>/lab.json    the last document applied whole (what a rollback returns to)
//   labs/<lab>/meta.json   tag, times, where it came from
//   labs/<lab>/lock        held by whoever changes the lab (pid inside; stale if that pid is gone)
// Knows: files and locks. Leaves to others: the kernel.

import { link, mkdir, readFile, readdir, rename, rm, stat, writeFile, unlink } from "node:fs/promises";
import { labTagCandidates, LAB_NAME, type Lab } from "@topolab/topology";
import { alive, sleep } from "./processes";

export const DEFAULT_STATE_DIR = "/var/lib/topolab";

export function defaultStateDir(): string {
  return process.env["TOPOLAB_STATE_DIR"] || DEFAULT_STATE_DIR;
}

export interface LabMeta {
  name: string;
  tag: string;
  createdAt: string;
  updatedAt: string;
  /** file or template it came from, when there was one */
  source?: string;
  /** whether its kernel objects should exist (false after down with keep) */
  running: boolean;
}

export class LockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LockError";
  }
}

async function writeAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}

export class StateStore {
  constructor(readonly dir: string = defaultStateDir()) {}

  labDir(lab: string): string {
    if (!LAB_NAME.test(lab)) throw new Error(`invalid lab name ${JSON.stringify(lab)}`);
    return `${this.dir}/labs/${lab}`;
  }

  async labNames(): Promise<string[]> {
    try {
      return (await readdir(`${this.dir}/labs`)).filter((n) => LAB_NAME.test(n)).sort();
    } catch {
      return [];
    }
  }

  async readMeta(lab: string): Promise<LabMeta | null> {
    try {
      return JSON.parse(await readFile(`${this.labDir(lab)}/meta.json`, "utf8")) as LabMeta;
    } catch {
      return null;
    }
  }

  async writeMeta(meta: LabMeta): Promise<void> {
    await mkdir(this.labDir(meta.name), { recursive: true });
    await writeAtomic(`${this.labDir(meta.name)}/meta.json`, JSON.stringify(meta, null, 2) + "\n");
  }

  /** The last document applied whole, or null. */
  async readLab(lab: string): Promise<Lab | null> {
    try {
      return JSON.parse(await readFile(`${this.labDir(lab)}/lab.json`, "utf8")) as Lab;
    } catch {
      return null;
    }
  }

  async writeLab(lab: Lab): Promise<void> {
    await mkdir(this.labDir(lab.name), { recursive: true });
    await writeAtomic(`${this.labDir(lab.name)}/lab.json`, JSON.stringify(lab, null, 2) + "\n");
  }

  /** The document an exercise shipped as (what `reset` brings back), or null. */
  async readOrigin(lab: string): Promise<Lab | null> {
    try {
      return JSON.parse(await readFile(`${this.labDir(lab)}/origin.json`, "utf8")) as Lab;
    } catch {
      return null;
    }
  }

  async writeOrigin(lab: Lab): Promise<void> {
    await mkdir(this.labDir(lab.name), { recursive: true });
    await writeAtomic(`${this.labDir(lab.name)}/origin.json`, JSON.stringify(lab, null, 2) + "\n");
  }

  async removeLab(lab: string): Promise<void> {
    await rm(this.labDir(lab), { recursive: true, force: true });
  }

  /**
   * The lab's tag: kept if it has one, otherwise the first candidate no other lab holds and
   * no interface of someone else's starts with. Chosen under the registry lock.
   */
  async ensureMeta(lab: string, rootNames: Set<string>, source?: string): Promise<LabMeta> {
    const existing = await this.readMeta(lab);
    if (existing) return existing;
    return this.withLock(`${this.dir}/registry.lock`, "choose a lab tag", async () => {
      const again = await this.readMeta(lab);
      if (again) return again;
      const taken = new Set<string>();
      for (const other of await this.labNames()) {
        const m = await this.readMeta(other);
        if (m && other !== lab) taken.add(m.tag);
      }
      const names = [...rootNames];
      const tag = labTagCandidates(lab).find((t) => !taken.has(t) && !names.some((n) => n.startsWith(`${t}-`) || n.startsWith(`${t}_`) || n === t));
      if (!tag) throw new Error(`no free tag for lab ${lab}`);
      const now = new Date().toISOString();
      const meta: LabMeta = { name: lab, tag, createdAt: now, updatedAt: now, running: false, ...(source ? { source } : {}) };
      await this.writeMeta(meta);
      return meta;
    });
  }

  /** Runs fn holding the lab's lock; waits up to timeoutMs for another holder. */
  withLabLock<T>(lab: string, what: string, fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
    return this.withLock(`${this.labDir(lab)}/lock`, what, fn, timeoutMs, `lab ${lab}`);
  }

  async withLock<T>(path: string, what: string, fn: () => Promise<T>, timeoutMs = 60_000, label = path): Promise<T> {
    await mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    const deadline = Date.now() + timeoutMs;
    const mine = JSON.stringify({ pid: process.pid, what, since: new Date().toISOString() });
    // the lock appears whole or not at all: written under a name of its own, then linked into
    // place (a process killed between creating a lock and writing its holder left an empty
    // lock that nobody could ever tell was dead)
    const draft = `${path}.new.${process.pid}.${Math.random().toString(36).slice(2, 8)}`;
    await writeFile(draft, mine);
    try {
      for (;;) {
        try {
          await link(draft, path);
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        }
        let holder: { pid: number; what: string } | null = null;
        let unreadableFor = 0;
        try {
          holder = JSON.parse(await readFile(path, "utf8")) as { pid: number; what: string };
        } catch {
          // being removed right now, or an empty lock of an older topolab killed while making it
          unreadableFor = await stat(path).then(
            (st) => Date.now() - st.mtimeMs,
            () => 0,
          );
        }
        if (unreadableFor > 5000) {
          // moved aside first: if what was moved is someone's whole lock by now, it goes back
          const aside = `${path}.stale.${process.pid}`;
          try {
            await rename(path, aside);
            const text = await readFile(aside, "utf8");
            if (text.trim() && JSON.parse(text)) await rename(aside, path);
            else await unlink(aside);
          } catch {
            await unlink(aside).catch(() => undefined);
          }
          continue;
        }
        if (holder && !alive(holder.pid)) {
          // the holder died: move its lock aside, and remove it only if it still is that one
          const aside = `${path}.stale.${process.pid}`;
          try {
            await rename(path, aside);
            const moved = JSON.parse(await readFile(aside, "utf8")) as { pid: number };
            if (moved.pid === holder.pid) await unlink(aside);
            else await rename(aside, path);
          } catch {
            /* someone else got there first */
          }
          continue;
        }
        if (Date.now() > deadline) {
          throw new LockError(`${label} is busy: process ${holder?.pid ?? "?"} is doing "${holder?.what ?? "?"}"; try again when it is done`);
        }
        await sleep(50);
      }
    } finally {
      await unlink(draft).catch(() => undefined);
    }
    try {
      return await fn();
    } finally {
      await unlink(path).catch(() => undefined);
    }
  }
}
