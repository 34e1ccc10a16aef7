// The class model without a kernel: the one access rule, and the class cookie (signed with
// the state directory's secret: a forged, altered or foreign cookie names nobody; the same
// secret read again after a restart still knows the student).

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Engine } from "@topolab/engine";
import { accessLab, Classes, INSTRUCTOR, instructorOnly, notForStudents, type Role } from "./classes";
import type { Labs } from "./labs";
import { Templates } from "./templates";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const student: Role = { kind: "student", code: "abcdef", id: "s-12345678", lab: "cabcdef-1", index: 7 };

describe("accessLab", () => {
  it("lets the instructor reach every lab, a student their own only; everything else is not found", () => {
    expect(() => accessLab(INSTRUCTOR, "anything")).not.toThrow();
    expect(() => accessLab(student, "cabcdef-1")).not.toThrow();
    for (const lab of ["cabcdef-2", "cabcdef-10", "cabcdef", "mine"]) {
      expect(() => accessLab(student, lab)).toThrow(expect.objectContaining({ code: "not_found", message: `there is no lab named ${lab}` }));
    }
    expect(() => instructorOnly(student, "class")).toThrow(expect.objectContaining({ code: "not_found" }));
    expect(() => instructorOnly(INSTRUCTOR, "class")).not.toThrow();
    expect(() => notForStudents(student, "delete")).toThrow(expect.objectContaining({ status: 403 }));
  });
});

describe("the class cookie", () => {
  async function classes(dir: string) {
    // only the state directory is read before a student joins (no kernel, no labs)
    const engine = { state: { dir } } as unknown as Engine;
    const c = new Classes({ engine, labs: {} as Labs, templates: new Templates(dir), port: 7380, log: () => undefined });
    await c.ready();
    return c;
  }

  it("is signed: only what this server's secret signed, for a class and student it knows, names a student", async () => {
    const dir = await mkdtemp(join(tmpdir(), "topolab-classes-"));
    dirs.push(dir);
    const c = await classes(dir);
    // a class and a student on disk, as join would leave them (no lab is made here)
    const records = (c as unknown as { records: Map<string, unknown> }).records;
    records.set("abcdef", {
      code: "abcdef",
      name: "x",
      size: 2,
      source: "t",
      createdAt: "",
      document: {},
      students: [{ id: "s-12345678", name: "Ada", n: 1, index: 7, lab: "cabcdef-1", joinedAt: "" }],
      messages: [],
    });
    const cookie = c.cookieFor("abcdef", "s-12345678");
    expect(cookie).toMatch(/^topolab-class-7380=abcdef\.s-12345678\.[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict/);
    const value = cookie.split(";")[0]!;
    expect(c.studentFrom({ cookie: value })).toEqual(student);
    expect(c.studentFrom({ cookie: `other=1; ${value}` })).toEqual(student);

    // altered: another student's id or class with the same signature, a changed signature
    const [, sig] = /\.([A-Za-z0-9_-]{43})$/.exec(value)!;
    expect(c.studentFrom({ cookie: `topolab-class-7380=abcdef.s-87654321.${sig}` })).toBeNull();
    expect(c.studentFrom({ cookie: `topolab-class-7380=bcdefg.s-12345678.${sig}` })).toBeNull();
    expect(c.studentFrom({ cookie: value.replace(/.$/, (x) => (x === "A" ? "B" : "A")) })).toBeNull();
    expect(c.studentFrom({ cookie: "topolab-class-7380=" })).toBeNull();
    expect(c.studentFrom({})).toBeNull();
    // another port's cookie is another server's
    expect(c.studentFrom({ cookie: value.replace("7380", "7381") })).toBeNull();

    // another server (another secret) does not know it
    const otherDir = await mkdtemp(join(tmpdir(), "topolab-classes-"));
    dirs.push(otherDir);
    const other = await classes(otherDir);
    (other as unknown as { records: Map<string, unknown> }).records.set("abcdef", records.get("abcdef"));
    expect(other.studentFrom({ cookie: value })).toBeNull();

    // the same state directory read again (a restart): the same secret
    const again = await classes(dir);
    (again as unknown as { records: Map<string, unknown> }).records.set("abcdef", records.get("abcdef"));
    expect(again.studentFrom({ cookie: value })).toEqual(student);
    // and a class that ended names nobody
    records.delete("abcdef");
    expect(c.studentFrom({ cookie: value })).toBeNull();
  });
});
