// Classes (issue 15): the token holder is the instructor; a class is a lab (a template, an
// exercise or an existing lab's document) copied once per student. Students join with a short
// code and a display name, no account: a signed session cookie (HMAC with a secret kept in the
// state directory) names their class and themselves, across reloads and restarts. Each
// student's lab is `<prefix><code>-<n>`: the same nodes and addresses as everyone's, in
// namespaces of its own (separate labs: no path between them).
//
// Authorization is one function, `accessLab(role, lab)`: the instructor reaches every lab; a
// student only their own, and everything else answers "not found" (a student never learns
// what else exists). Limits per student: edits per second, terminals, captures, nodes.
//
// Knows: classes and students on disk (<state>/classes/<code>.json, written whole, atomically),
// the cookie, the grid (cards with the exercise's lights from the ExerciseHub), joining,
// reset, messages and ending. Leaves to others: labs (labs.ts), checks (exercises.ts), the
// shells (the engine's shellSpec/confinedShellSpec, chosen by shellForRole), transport
// (rest.ts, sockets.ts).

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import type { IncomingHttpHeaders } from "node:http";
import { join } from "node:path";
import { confinedShellSpec, releaseConfinement, shellSpec, MAX_STUDENT_INDEX, type Engine, type ShellSpec } from "@topolab/engine";
import { labToDocument, parseLabText, type Lab } from "@topolab/topology";
import { applyChanges, type Change, type ClassView, type ExerciseState, type StudentCard, type StudentView } from "@topolab/protocol";
import { RequestError } from "./errors";
import { exercisesOf } from "./exercises";
import type { Labs } from "./labs";
import { TokenBucket } from "./limits";
import { parseCookies } from "./security";
import type { Templates } from "./templates";

// ---- roles and the one access rule ----

export type Role = { kind: "instructor" } | { kind: "student"; code: string; id: string; lab: string; index: number };

export const INSTRUCTOR: Role = { kind: "instructor" };

/** The one rule every lab request passes: a student reaches only their own lab; others are "not found". */
export function accessLab(role: Role, lab: string): void {
  if (role.kind === "instructor") return;
  if (role.lab !== lab) throw new RequestError("not_found", `there is no lab named ${lab}`);
}

/** What only the instructor may do (classes, templates, creating labs): "not found" to a student. */
export function instructorOnly(role: Role, what: string): void {
  if (role.kind !== "instructor") throw new RequestError("not_found", `there is no ${what}`);
}

/** Acts on the student's own lab that they may not take (rename, delete): refused, saying why. */
export function notForStudents(role: Role, what: string): void {
  if (role.kind === "student") throw new RequestError("invalid", `a student cannot ${what} their class lab`, undefined, 403);
}

/**
 * The shell a session gets in a node: the instructor (and single-user mode) a root shell, as
 * always; a student a confined one (engine confine.ts) under their own uid and limits.
 */
export async function shellForRole(role: Role, stateDir: string, lab: string, node: string, ns: string, command?: string[]): Promise<ShellSpec> {
  if (role.kind === "instructor") return shellSpec(stateDir, lab, node, ns);
  return confinedShellSpec(stateDir, lab, node, ns, role.index, command ? { command } : {});
}

// ---- limits ----

export interface StudentLimits {
  /** lab edits per second (burst three times that: a drag sends moves in bursts) */
  editsPerSecond: number;
  terminals: number;
  captures: number;
  nodes: number;
}

export const DEFAULT_STUDENT_LIMITS: StudentLimits = { editsPerSecond: 10, terminals: 6, captures: 2, nodes: 12 };

// ---- records on disk ----

interface StudentRecord {
  id: string;
  name: string;
  /** 1.. within the class */
  n: number;
  /** for the confined shells' uid and cgroup (unique on the server) */
  index: number;
  lab: string;
  joinedAt: string;
}

interface ClassRecord {
  code: string;
  name: string;
  size: number;
  source: string;
  createdAt: string;
  document: Record<string, unknown>;
  students: StudentRecord[];
  messages: { text: string; at: string }[];
}

const CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";
const CODE = /^[a-hj-km-np-z2-9]{6}$/;

function newCode(): string {
  const bytes = randomBytes(6);
  return [...bytes].map((b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join("");
}

export interface ClassesDeps {
  engine: Engine;
  labs: Labs;
  templates: Templates;
  /** the cookie's name carries the port, as the token's does */
  port: number;
  log: (line: string) => void;
  /** student lab names start with it (default "c"; tests "cl") */
  labPrefix?: string;
  limits?: Partial<StudentLimits>;
  /** labs made at once when many students join together */
  parallelUps?: number;
}

/** Where grid changes and messages go (sockets.ts). */
export interface ClassSink {
  grid(code: string, view: ClassView): void;
  toStudents(code: string, event: "class:message" | "class:ended", payload: { code: string; text?: string; at?: string; reason?: string }): void;
}

type LabState = { state: StudentCard["state"]; error?: string };

export class Classes {
  readonly limits: StudentLimits;
  private records = new Map<string, ClassRecord>();
  private secret!: Buffer;
  private loaded: Promise<void> | null = null;
  private starting = new Map<string, LabState>();
  private online = new Map<string, number>();
  private lights = new Map<string, StudentCard["checks"]>();
  private watched = new Set<string>();
  private gridSoon = new Map<string, NodeJS.Timeout>();
  private editBuckets = new Map<string, TokenBucket>();
  private ups = 0;
  private waitingUps: (() => void)[] = [];
  private writing = Promise.resolve();
  private joinQueue: Promise<void> = Promise.resolve();
  sink: ClassSink | null = null;
  readonly cookieName: string;

  constructor(private readonly d: ClassesDeps) {
    this.limits = { ...DEFAULT_STUDENT_LIMITS, ...d.limits };
    this.cookieName = `topolab-class-${d.port}`;
  }

  private get dir(): string {
    return join(this.d.engine.state.dir, "classes");
  }

  /** Reads the secret (made once) and the classes; every method waits for it. */
  ready(): Promise<void> {
    return (this.loaded ??= (async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const file = join(this.dir, "secret");
      try {
        this.secret = Buffer.from((await readFile(file, "utf8")).trim(), "base64url");
        if (this.secret.length < 32) throw new Error("short");
      } catch {
        this.secret = randomBytes(32);
        await writeFile(file, this.secret.toString("base64url"), { mode: 0o600 });
      }
      for (const f of await readdir(this.dir)) {
        const m = /^([a-z0-9]{6})\.json$/.exec(f);
        if (!m) continue;
        try {
          const r = JSON.parse(await readFile(join(this.dir, f), "utf8")) as ClassRecord;
          if (r.code === m[1]) this.records.set(r.code, r);
        } catch (e) {
          this.d.log(`topolab: class file ${f} cannot be read: ${(e as Error).message}`);
        }
      }
    })());
  }

  private async save(r: ClassRecord): Promise<void> {
    const p = (this.writing = this.writing.then(async () => {
      const file = join(this.dir, `${r.code}.json`);
      await writeFile(`${file}.tmp`, JSON.stringify(r), { mode: 0o600 });
      await rename(`${file}.tmp`, file);
    }));
    await p;
  }

  // ---- the cookie ----

  private sign(text: string): string {
    return createHmac("sha256", this.secret).update(text).digest("base64url");
  }

  cookieFor(code: string, id: string): string {
    const value = `${code}.${id}.${this.sign(`${code}.${id}`)}`;
    return `${this.cookieName}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${14 * 24 * 3600}`;
  }

  clearCookie(): string {
    return `${this.cookieName}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
  }

  /** The student a request's cookie names, when it is signed by this server and the class goes on. */
  studentFrom(headers: IncomingHttpHeaders): Role | null {
    if (!this.secret) return null;
    const value = parseCookies(headers.cookie).get(this.cookieName);
    if (!value || value.length > 200) return null;
    const m = /^([a-z0-9]{6})\.([A-Za-z0-9_-]{8,32})\.([A-Za-z0-9_-]{43})$/.exec(value);
    if (!m) return null;
    const expected = Buffer.from(this.sign(`${m[1]}.${m[2]}`));
    const given = Buffer.from(m[3]!);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    const s = this.records.get(m[1]!)?.students.find((x) => x.id === m[2]);
    return s ? { kind: "student", code: m[1]!, id: s.id, lab: s.lab, index: s.index } : null;
  }

  // ---- the instructor's side ----

  private get(code: string): ClassRecord {
    const r = this.records.get(code);
    if (!r) throw new RequestError("not_found", `there is no class ${code}`);
    return r;
  }

  async create(args: { name: string; size: number; source: { type: "template"; id: string } | { type: "lab"; lab: string } }): Promise<ClassView> {
    await this.ready();
    let doc: Lab;
    let source: string;
    if (args.source.type === "template") {
      const text = await this.d.templates.read(args.source.id);
      const parsed = parseLabText(text, { name: "class" });
      if (!parsed.ok) throw new RequestError("invalid", `template ${args.source.id} is not a valid lab`, parsed.issues);
      doc = parsed.lab;
      source = `template:${args.source.id}`;
    } else {
      const found = await this.d.engine.state.readLab(args.source.lab);
      if (!found) throw new RequestError("not_found", `there is no lab named ${args.source.lab}`);
      doc = found;
      source = `lab:${args.source.lab}`;
    }
    if (doc.nodes.length > this.limits.nodes) {
      throw new RequestError("limit", `the lab has ${doc.nodes.length} nodes; a student's lab has at most ${this.limits.nodes}`);
    }
    let code = newCode();
    while (this.records.has(code)) code = newCode();
    const r: ClassRecord = {
      code,
      name: args.name,
      size: args.size,
      source,
      createdAt: new Date().toISOString(),
      document: labToDocument(doc),
      students: [],
      messages: [],
    };
    this.records.set(code, r);
    await this.save(r);
    return this.view(r);
  }

  async list(): Promise<ClassView[]> {
    await this.ready();
    return Promise.all([...this.records.values()].map((r) => this.view(r)));
  }

  async grid(code: string): Promise<ClassView> {
    await this.ready();
    return this.view(this.get(code));
  }

  private async labState(s: StudentRecord): Promise<LabState> {
    const s0 = this.starting.get(s.lab);
    if (s0) return s0;
    const meta = await this.d.engine.state.readMeta(s.lab);
    if (!meta) return { state: "failed", error: "the lab is gone" };
    return { state: meta.running ? "up" : "down" };
  }

  private async view(r: ClassRecord): Promise<ClassView> {
    const students = await Promise.all(
      r.students.map(async (s): Promise<StudentCard> => {
        const st = await this.labState(s);
        return {
          id: s.id,
          name: s.name,
          lab: s.lab,
          online: (this.online.get(s.id) ?? 0) > 0,
          state: st.state,
          ...(st.error ? { error: st.error } : {}),
          checks: this.lights.get(s.lab) ?? (r.document["exercise"] ? [] : null),
          joinedAt: s.joinedAt,
        };
      }),
    );
    return {
      code: r.code,
      name: r.name,
      size: r.size,
      joinPath: `/join/${r.code}`,
      source: r.source,
      exercise: !!r.document["exercise"],
      createdAt: r.createdAt,
      students,
    };
  }

  /** The grid changed: sent to the class's watchers a moment later (changes in a burst share one). */
  changed(code: string): void {
    if (!this.watched.has(code) || this.gridSoon.has(code)) return;
    this.gridSoon.set(
      code,
      setTimeout(() => {
        this.gridSoon.delete(code);
        const r = this.records.get(code);
        if (r) void this.view(r).then((v) => this.sink?.grid(code, v));
      }, 150),
    );
  }

  /**
   * A socket watches the class's grid: every student lab's exercise is followed, for the
   * lights, while at least one does (the checks run twice a second per followed lab).
   */
  async watch(code: string, socketId: string): Promise<ClassView> {
    await this.ready();
    const r = this.get(code);
    let watchers = this.watchers.get(code);
    if (!watchers) this.watchers.set(code, (watchers = new Set()));
    watchers.add(socketId);
    this.watched.add(code);
    if (r.document["exercise"]) for (const s of r.students) void this.follow(r, s);
    return this.view(r);
  }

  /** The socket stops watching (or is gone): the last one out stops following the labs' exercises. */
  async unwatch(code: string, socketId: string): Promise<void> {
    const watchers = this.watchers.get(code);
    if (!watchers?.delete(socketId) || watchers.size > 0) return;
    this.watchers.delete(code);
    this.watched.delete(code);
    const r = this.records.get(code);
    for (const s of r?.students ?? []) {
      await this.unfollow(code, s.lab).catch(() => undefined);
      this.lights.delete(s.lab);
    }
  }

  private watchers = new Map<string, Set<string>>();

  private following = new Set<string>();
  private async follow(r: ClassRecord, s: StudentRecord): Promise<void> {
    if (this.following.has(s.lab) || this.starting.get(s.lab)?.state === "starting") return;
    this.following.add(s.lab);
    const light = (x: ExerciseState) => {
      this.lights.set(
        s.lab,
        x.checks.map((c) => ({ id: c.id, title: c.description, status: x.results.find((res) => res.id === c.id)?.status ?? "pending" })),
      );
      this.changed(r.code);
    };
    try {
      light(await exercisesOf(this.d.engine).watch(s.lab, { socketId: `class:${r.code}`, send: light }));
    } catch (e) {
      this.following.delete(s.lab);
      this.d.log(`topolab: class ${r.code}: cannot follow ${s.lab}'s exercise: ${(e as Error).message}`);
    }
  }

  private async unfollow(code: string, lab: string): Promise<void> {
    if (!this.following.delete(lab)) return;
    await exercisesOf(this.d.engine).unwatch(lab, `class:${code}`);
  }

  async reset(code: string, id: string): Promise<void> {
    await this.ready();
    const r = this.get(code);
    const s = r.students.find((x) => x.id === id);
    if (!s) throw new RequestError("not_found", `there is no student ${id} in class ${code}`);
    if (r.document["exercise"] && (await this.d.engine.state.readOrigin(s.lab))) {
      await this.d.labs.reset(s.lab);
    } else {
      await this.d.labs.remove(s.lab).catch(() => undefined);
      await this.bringUp(r, s);
    }
    this.changed(code);
  }

  async message(code: string, text: string): Promise<void> {
    await this.ready();
    const r = this.get(code);
    const m = { text, at: new Date().toISOString() };
    r.messages = [...r.messages, m].slice(-20);
    await this.save(r);
    this.sink?.toStudents(code, "class:message", { code, ...m });
  }

  /** Every lab of the class down, the students' confinement released, the class forgotten. */
  async end(code: string): Promise<void> {
    await this.ready();
    const r = this.get(code);
    this.records.delete(code);
    this.watched.delete(code);
    this.watchers.delete(code);
    this.sink?.toStudents(code, "class:ended", { code, reason: `the class ${r.name} has ended` });
    const problems: string[] = [];
    for (const s of r.students) {
      await this.unfollow(code, s.lab).catch(() => undefined);
      this.lights.delete(s.lab);
      try {
        if (await this.d.engine.state.readMeta(s.lab)) await this.d.labs.remove(s.lab);
      } catch (e) {
        problems.push(`${s.lab}: ${(e as Error).message}`);
      }
      await releaseConfinement(this.d.engine.state.dir, s.index, { files: true }).catch((e: Error) => problems.push(`student ${s.index}: ${e.message}`));
      this.editBuckets.delete(s.id);
      this.online.delete(s.id);
    }
    await rm(join(this.dir, `${code}.json`), { force: true });
    if (problems.length) throw new RequestError("apply_failed", `the class ended, but: ${problems.join("; ")}`);
  }

  // ---- the students' side ----

  /** A student joins: recorded, their lab brought up (in the background: the card says how it goes). */
  async join(code: string, name: string): Promise<{ role: Role & { kind: "student" }; cookie: string }> {
    await this.ready();
    // one join at a time: numbers, indexes and the file are decided in order
    const joined = this.joinQueue.then(async () => {
      const r = this.records.get(code);
      if (!r) throw new RequestError("not_found", `there is no class with the code ${code}`);
      if (r.students.length >= r.size) throw new RequestError("limit", `class ${r.name} is full (${r.size} students)`);
      const n = Math.max(0, ...r.students.map((s) => s.n)) + 1;
      const lab = `${this.d.labPrefix ?? "c"}${code}-${n}`;
      const s: StudentRecord = { id: randomBytes(12).toString("base64url"), name, n, index: await this.nextIndex(), lab, joinedAt: new Date().toISOString() };
      r.students.push(s);
      await this.save(r);
      return { r, s };
    });
    this.joinQueue = joined.then(
      () => undefined,
      () => undefined,
    );
    const { r, s } = await joined;
    const lab = s.lab;
    this.starting.set(lab, { state: "starting" });
    this.changed(code);
    void this.bringUp(r, s);
    return { role: { kind: "student", code, id: s.id, lab, index: s.index }, cookie: this.cookieFor(code, s.id) };
  }

  private async nextIndex(): Promise<number> {
    const used = new Set([...this.records.values()].flatMap((r) => r.students.map((s) => s.index)));
    const file = join(this.dir, "next-index");
    // a new state directory starts at a random index: two servers (tests) on one machine seldom share a student's uid and cgroup
    const start = () => String(1000 + (randomBytes(2).readUInt16BE(0) % 60_000));
    let next = Number((await readFile(file, "utf8").catch(start)).trim()) || 0;
    while (used.has(next % (MAX_STUDENT_INDEX + 1))) next++;
    const index = next % (MAX_STUDENT_INDEX + 1);
    await writeFile(file, String(next + 1));
    return index;
  }

  private async slot<T>(work: () => Promise<T>): Promise<T> {
    const max = this.d.parallelUps ?? 4;
    if (this.ups >= max) await new Promise<void>((resolve) => this.waitingUps.push(resolve));
    this.ups++;
    try {
      return await work();
    } finally {
      this.ups--;
      this.waitingUps.shift()?.();
    }
  }

  private async bringUp(r: ClassRecord, s: StudentRecord): Promise<void> {
    this.starting.set(s.lab, { state: "starting" });
    this.changed(r.code);
    try {
      await this.slot(() => this.d.labs.put(s.lab, { ...r.document, name: s.lab }));
      this.starting.delete(s.lab);
      if (this.watched.has(r.code) && r.document["exercise"]) void this.follow(r, s);
    } catch (e) {
      this.starting.set(s.lab, { state: "failed", error: (e as Error).message });
      this.d.log(`topolab: class ${r.code}: ${s.lab} did not come up: ${(e as Error).message}`);
    }
    this.changed(r.code);
  }

  /** Resolves when none of the class's labs is still being made (tests, bench). */
  async settled(code: string): Promise<void> {
    const r = this.get(code);
    while (r.students.some((s) => this.starting.get(s.lab)?.state === "starting")) await new Promise((x) => setTimeout(x, 50));
  }

  async me(role: Role): Promise<StudentView> {
    if (role.kind !== "student") throw new RequestError("not_found", "there is no class: you are not a student of one");
    const r = this.get(role.code);
    const s = r.students.find((x) => x.id === role.id)!;
    const st = await this.labState(s);
    return {
      code: r.code,
      className: r.name,
      id: s.id,
      name: s.name,
      lab: s.lab,
      state: st.state,
      ...(st.error ? { error: st.error } : {}),
      messages: r.messages,
    };
  }

  /** A student's socket came or went (the card's "online"). */
  presence(role: Role, delta: 1 | -1): void {
    if (role.kind !== "student") return;
    this.online.set(role.id, Math.max(0, (this.online.get(role.id) ?? 0) + delta));
    this.changed(role.code);
  }

  /** A student's lab changed (document, state): their card follows. */
  labChanged(lab: string): void {
    for (const r of this.records.values()) if (r.students.some((s) => s.lab === lab)) this.changed(r.code);
  }

  /** Students' edits per second; the instructor has no class limit. */
  takeEdit(role: Role): void {
    if (role.kind !== "student") return;
    let b = this.editBuckets.get(role.id);
    if (!b) this.editBuckets.set(role.id, (b = new TokenBucket(this.limits.editsPerSecond, this.limits.editsPerSecond * 3)));
    if (!b.take()) throw new RequestError("limit", `at most ${this.limits.editsPerSecond} edits per second; slow down`);
  }

  /** A student's lab may not grow past the node limit. */
  checkNodes(role: Role, nodes: number): void {
    if (role.kind === "student" && nodes > this.limits.nodes) throw new RequestError("limit", `a student's lab has at most ${this.limits.nodes} nodes`);
  }

  /**
   * A student's edit of their lab, before it runs: within the node limit, and the exercise's
   * checks untouched (a student who rewrites the checks would turn their own lights green).
   */
  async checkStudentEdit(role: Role, lab: string, changes: Change[]): Promise<void> {
    if (role.kind !== "student") return;
    const doc = await this.d.engine.state.readLab(lab);
    const next = doc ? applyChanges(doc, changes) : null;
    if (!doc || !next?.ok) return; // the edit itself says what is wrong
    const after = next.document as { nodes?: unknown[]; exercise?: unknown };
    this.checkNodes(role, after.nodes?.length ?? 0);
    if (JSON.stringify(after.exercise ?? null) !== JSON.stringify(labToDocument(doc).exercise ?? null)) {
      throw new RequestError("invalid", "a student cannot change the exercise of their class lab", undefined, 403);
    }
  }

  /** Stops following the exercises (the server closes). */
  async close(): Promise<void> {
    for (const t of this.gridSoon.values()) clearTimeout(t);
    this.gridSoon.clear();
    for (const r of this.records.values()) for (const s of r.students) await this.unfollow(r.code, s.lab).catch(() => undefined);
  }
}

export const isClassCode = (s: string): boolean => CODE.test(s);
