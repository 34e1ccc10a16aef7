// Reconcile at start: make the kernel match the state directory after whatever happened while
// no server ran (a crash in the middle of an apply, a reboot, hand edits): running labs are
// applied again (the engine adopts what matches and repairs what drifted), stopped labs lose
// leftovers, and topolab objects of labs without a document are removed. A lab whose kernel
// objects another state directory made (engine/owner.ts) is left alone, and said so: its name
// may be in this state directory too, but its objects are not this server's to touch.
//
// Knows: the cases and their order. Leaves to others: all kernel work (engine), and the lab
// queue it runs through (so no edit interleaves with it).

import { readFile } from "node:fs/promises";
import { alive, NotFoundError, OwnerError, type Engine } from "@topolab/engine";
import type { KeyedQueue } from "./limits";

export interface ReconcileReport {
  /** running labs the kernel already matched */
  adopted: string[];
  /** labs that needed changes to match their document */
  repaired: string[];
  /** labs whose objects were removed: no document, or a creation that never finished */
  removed: string[];
  failed: { lab: string; message: string }[];
  /** labs another process (the CLI) was changing: theirs to finish */
  busy: string[];
  /** labs whose kernel objects another state directory made: left alone */
  foreign: { lab: string; message: string }[];
}

/** The live process other than this one that holds the lab's lock (the engine's lock file), if any. */
async function otherHolder(engine: Engine, lab: string): Promise<number | null> {
  try {
    const { pid } = JSON.parse(await readFile(`${engine.state.labDir(lab)}/lock`, "utf8")) as { pid: number };
    return pid !== process.pid && alive(pid) ? pid : null;
  } catch {
    return null;
  }
}

export async function reconcile(engine: Engine, queue: KeyedQueue, inScope: (lab: string) => boolean): Promise<ReconcileReport> {
  const report: ReconcileReport = { adopted: [], repaired: [], removed: [], failed: [], busy: [], foreign: [] };
  const one = (name: string, work: () => Promise<void>) =>
    queue.run(name, async () => {
      try {
        await work();
      } catch (e) {
        if (e instanceof OwnerError) report.foreign.push({ lab: name, message: e.message });
        else report.failed.push({ lab: name, message: (e as Error).message });
      }
    });

  for (const name of (await engine.state.labNames()).filter(inScope)) {
    await one(name, async () => {
      if (await otherHolder(engine, name)) {
        report.busy.push(name); // a lab the CLI is bringing up has no document yet either
        return;
      }
      const [meta, doc] = await Promise.all([engine.state.readMeta(name), engine.state.readLab(name)]);
      const own = await engine.ownership(name);
      if (own.state === "foreign") {
        // the same name, another state directory's objects: not adopted, not repaired, not removed
        throw new OwnerError(name, own, `lab ${name} was not reconciled`);
      }
      if (!doc) {
        // its first apply never finished: nothing of it is meant to exist
        try {
          await engine.down(name);
        } catch (e) {
          if (!(e instanceof NotFoundError)) throw e;
          await engine.state.removeLab(name);
        }
        report.removed.push(name);
      } else if (meta?.running) {
        const r = await engine.up(doc);
        (r.unchanged ? report.adopted : report.repaired).push(name);
      } else {
        const [status] = await engine.status(name);
        if (status!.nodes.some((n) => n.state !== "down")) {
          await engine.down(name, { keep: true });
          report.repaired.push(name);
        }
      }
    });
  }

  // objects in the kernel that name a lab the state directory does not know
  for (const s of await engine.status(inScope)) {
    if (s.state === "foreign" && !report.foreign.some((f) => f.lab === s.name)) {
      report.foreign.push({ lab: s.name, message: s.nodes[0]?.problems[0] ?? `lab ${s.name} belongs to another topolab` });
    }
    if (s.state !== "orphan") continue;
    await one(s.name, async () => {
      if ((await engine.state.readMeta(s.name)) || (await otherHolder(engine, s.name))) return; // made meanwhile
      await engine.down(s.name); // refuses (OwnerError) if another state directory took it meanwhile
      report.removed.push(s.name);
    });
  }
  return report;
}

export function reportLine(r: ReconcileReport): string {
  const parts = [
    `${r.adopted.length + r.repaired.length} running ${r.adopted.length + r.repaired.length === 1 ? "lab" : "labs"} (${r.repaired.length} repaired)`,
    `${r.removed.length} removed`,
    ...(r.busy.length ? [`${r.busy.length} left to the process changing them`] : []),
    ...(r.foreign.length ? [`${r.foreign.length} left alone (another state directory's)`] : []),
  ];
  const failed = r.failed.map((f) => `\n  lab ${f.lab} could not be brought back: ${f.message}`).join("");
  const foreign = r.foreign.map((f) => `\n  ${f.message}`).join("");
  return `topolab: reconciled the kernel with the saved labs: ${parts.join(", ")}${r.failed.length ? `; ${r.failed.length} failed:${failed}` : ""}${foreign}`;
}
