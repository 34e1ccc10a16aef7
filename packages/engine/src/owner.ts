// Ownership: which topolab made a lab's kernel objects. Lab names are machine-wide (the
// namespaces are `tl.<lab>.<node>`), but each state directory (TOPOLAB_STATE_DIR) is its own
// topolab: one must never adopt, re-address or delete the lab another one made.
//
// Who owns a lab is told by:
//   - the owner id of a state directory: random, made once, kept in `<state dir>/owner`;
//   - marks on the lab's kernel objects: the root-side links' alias `topolab:<lab>@<owner>:…`
//     and the OVS bridges' and ports' external_ids:topolab-owner (names.ts, realize.ts);
//   - a claim file, /run/topolab-owners/<lab>.json {owner, stateDir}, written before the lab's
//     first object is made and removed after its last one is gone. It speaks for what has no
//     mark of its own (a lab's namespaces) and names the owner's state directory for messages.
//     /run is emptied at boot, like /run/netns: after a reboot the OVS marks still tell.
// A lab is another's when a mark or the claim names an owner id other than ours. A claim
// whose state directory no longer knows the lab (its directory was removed) is abandoned: its
// lab is nobody's. Marks without an owner (labs made before owners existed) are nobody's too:
// any topolab may adopt them, as before, and its next `up` marks them as its own.
//
// Knows: the owner id, the claim files, reading marks from a kernel snapshot, and re-marking a
// nobody's lab. Leaves to others: what to do about a lab that is not ours (engine, reconcile).

import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { aliasLab, LAB_NAME, OVS_LAB_KEY, OVS_OWNER_KEY, OWNER_ID, ownerAlias } from "@topolab/topology";
import type { KernelSnapshot } from "./actual";
import { OwnerError } from "./engine";
import { run } from "./exec";
import { alive } from "./processes";
import type { LabStatus } from "./status";

export const CLAIMS_DIR = "/run/topolab-owners";

export interface Claim {
  lab: string;
  owner: string;
  /** absolute path of the owner's state directory */
  stateDir: string;
  since: string;
  pid: number;
}

export interface Ownership {
  /** mine: marked or claimed by this state directory; nobody: unmarked, unclaimed or abandoned */
  state: "mine" | "nobody" | "foreign";
  /** the other owner's id, when foreign */
  owner?: string;
  /** the other owner's state directory, when known */
  stateDir?: string;
  /** objects of the lab with an old-format mark (no owner), to be marked on adoption */
  unmarked: number;
}

/** "lab demo belongs to another topolab (state directory /x, owner id abc)" */
export function foreignWords(lab: string, o: Ownership): string {
  const where = o.stateDir ? `state directory ${o.stateDir}` : "a state directory not known here";
  return `lab ${lab} on this machine belongs to another topolab (${where}, owner id ${o.owner ?? "?"}): change it with that one (TOPOLAB_STATE_DIR=${o.stateDir ?? "…"}), or give this lab another name`;
}

function claimPath(lab: string): string {
  if (!LAB_NAME.test(lab)) throw new Error(`invalid lab name ${JSON.stringify(lab)}`);
  return `${CLAIMS_DIR}/${lab}.json`;
}

/** This state directory's owner id; made (once, atomically) when `create`, otherwise null if it has none yet. */
export async function ownerId(stateDir: string, create: boolean): Promise<string | null> {
  const path = `${stateDir}/owner`;
  const read = async () => {
    try {
      const id = (await readFile(path, "utf8")).trim();
      return OWNER_ID.test(id) ? id : null;
    } catch {
      return null;
    }
  };
  const id = await read();
  if (id || !create) return id;
  await mkdir(stateDir, { recursive: true });
  const fresh = [...randomBytes(10)].map((b) => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36]).join("");
  try {
    const fh = await open(path, "wx");
    await fh.writeFile(`${fresh}\n`);
    await fh.close();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  const made = await read();
  if (!made) throw new Error(`${path} does not hold an owner id; remove it and try again`);
  return made;
}

export async function readClaim(lab: string): Promise<Claim | null> {
  try {
    const c = JSON.parse(await readFile(claimPath(lab), "utf8")) as Claim;
    return c && typeof c.owner === "string" && OWNER_ID.test(c.owner) ? c : null;
  } catch {
    return null;
  }
}

/**
 * A claim is abandoned when its state directory is gone, or no longer knows the lab (removed
 * by hand), unless then it was written a moment ago by a live process (its first `up`, about to
 * write the lab's meta).
 */
function abandoned(c: Claim): boolean {
  if (!existsSync(c.stateDir)) return true;
  if (existsSync(`${c.stateDir}/labs/${c.lab}/meta.json`)) return false;
  const age = Date.now() - Date.parse(c.since);
  return !(alive(c.pid) && age >= 0 && age < 120_000);
}

/** Owner ids in the lab's marks: root-side aliases and OVS external_ids ("" for an old-format mark). */
export function marks(snapshot: KernelSnapshot, lab: string): string[] {
  const out: string[] = [];
  for (const l of snapshot.rootLinks) {
    const a = aliasLab(l.ifalias);
    if (a?.lab === lab) out.push(a.owner ?? "");
  }
  if (snapshot.ovs) {
    for (const b of snapshot.ovs.bridges) if (b.externalIds[OVS_LAB_KEY] === lab) out.push(b.externalIds[OVS_OWNER_KEY] ?? "");
    for (const p of snapshot.ovs.ports.values()) if (p.externalIds[OVS_LAB_KEY] === lab) out.push(p.externalIds[OVS_OWNER_KEY] ?? "");
  }
  return out;
}

/** Whose the lab's kernel objects are, as seen by the state directory whose owner id is `me` (null: it has none yet). */
export async function ownership(snapshot: KernelSnapshot, lab: string, me: string | null): Promise<Ownership> {
  const found = marks(snapshot, lab);
  const claim = await readClaim(lab);
  const gone = claim && claim.owner !== me && abandoned(claim) ? claim.owner : null;
  const unmarked = found.filter((o) => o === "").length;
  const others = new Set(found.filter((o) => o !== "" && o !== me && o !== gone));
  if (claim && claim.owner !== me && claim.owner !== gone) others.add(claim.owner);
  if (others.size) {
    const owner = claim && others.has(claim.owner) ? claim.owner : [...others][0]!;
    return { state: "foreign", owner, ...(claim?.owner === owner ? { stateDir: claim.stateDir } : {}), unmarked };
  }
  return { state: me !== null && (found.includes(me) || claim?.owner === me) ? "mine" : "nobody", unmarked };
}

/**
 * Makes the lab ours before anything of it is made: refuses (OwnerError) when it is another's,
 * writes the claim, and marks with our owner id what carries an old-format mark. Returns our id.
 */
export async function takeLab(stateDir: string, snapshot: KernelSnapshot, lab: string): Promise<string> {
  const me = (await ownerId(stateDir, true))!;
  const own = await ownership(snapshot, lab, me);
  if (own.state === "foreign") throw new OwnerError(lab, own, `cannot bring up lab ${lab}`);
  const mine: Claim = { lab, owner: me, stateDir: resolve(stateDir), since: new Date().toISOString(), pid: process.pid };
  await mkdir(CLAIMS_DIR, { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(claimPath(lab), "wx");
      await fh.writeFile(JSON.stringify(mine, null, 2) + "\n");
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const held = await readClaim(lab);
    if (held?.owner === me) break;
    if (held && !abandoned(held)) {
      throw new OwnerError(lab, { state: "foreign", owner: held.owner, stateDir: held.stateDir, unmarked: 0 }, `cannot bring up lab ${lab}`);
    }
    if (attempt > 3) throw new Error(`cannot claim lab ${lab}: ${claimPath(lab)} keeps changing`);
    // abandoned, or unreadable: replace it (a rename is atomic; the loop re-checks)
    const tmp = `${claimPath(lab)}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(mine, null, 2) + "\n");
    await rename(tmp, claimPath(lab));
    if ((await readClaim(lab))?.owner === me) break;
  }
  if (own.unmarked) await remark(snapshot, lab, me);
  return me;
}

/** Marks the lab's old-format marks (no owner) with `owner`: the aliases of its root-side links, its OVS rows. */
async function remark(snapshot: KernelSnapshot, lab: string, owner: string): Promise<void> {
  const batch: string[] = [];
  for (const l of snapshot.rootLinks) {
    const a = aliasLab(l.ifalias);
    if (a?.lab === lab && a.owner === undefined) batch.push(`link set dev ${l.ifname} alias "${ownerAlias(lab, a.what, owner).replace(/(["\\])/g, "\\$1")}"`);
  }
  if (batch.length) {
    const r = await run(["ip", "-batch", "-"], { input: batch.join("\n") + "\n" });
    if (r.code !== 0) throw new Error(`marking lab ${lab}'s interfaces as this topolab's failed: ${r.stderr.trim()}`);
  }
  const args: string[] = [];
  if (snapshot.ovs) {
    for (const b of snapshot.ovs.bridges) {
      if (b.externalIds[OVS_LAB_KEY] === lab && !b.externalIds[OVS_OWNER_KEY])
        args.push("--", "set", "Bridge", b.name, `external_ids:${OVS_OWNER_KEY}=${owner}`);
    }
    for (const p of snapshot.ovs.ports.values()) {
      if (p.externalIds[OVS_LAB_KEY] === lab && !p.externalIds[OVS_OWNER_KEY]) args.push("--", "set", "Port", p.name, `external_ids:${OVS_OWNER_KEY}=${owner}`);
    }
  }
  if (args.length) {
    const r = await run(["ovs-vsctl", "--timeout=30", ...args]);
    if (r.code !== 0) throw new Error(`marking lab ${lab}'s OVS bridges and ports as this topolab's failed: ${r.stderr.trim()}`);
  }
}

/** Removes the lab's claim when it is ours (or abandoned): after its last kernel object is gone. */
export async function releaseLab(stateDir: string, lab: string): Promise<void> {
  const held = await readClaim(lab);
  if (!held) {
    await rm(claimPath(lab), { force: true }); // unreadable
    return;
  }
  const me = await ownerId(stateDir, false);
  if (held.owner === me || abandoned(held)) await rm(claimPath(lab), { force: true });
}

/** A lab's status as this state directory sees it: another owner's lab is "foreign", with who owns it. */
export function ownedStatus(s: LabStatus, lab: string, own: Ownership): LabStatus {
  if (own.state !== "foreign") return s;
  const words = foreignWords(lab, own);
  return {
    ...s,
    state: "foreign",
    running: false,
    owner: { id: own.owner!, ...(own.stateDir ? { stateDir: own.stateDir } : {}) },
    nodes: s.nodes.map((n) => ({ ...n, problems: [words] })),
  };
}

/** `topolab clean`: every claim goes with every lab. */
export async function releaseAll(): Promise<string[]> {
  const out: string[] = [];
  try {
    for (const f of await readdir(CLAIMS_DIR)) {
      await rm(`${CLAIMS_DIR}/${f}`, { force: true });
      out.push(`${CLAIMS_DIR}/${f}`);
    }
  } catch {
    /* none */
  }
  return out;
}
