// Classes (issue 15): a teacher's class of students, each with their own copy of one lab, as
// the server sends it (the instructor's grid, a student's own view) and the requests that make
// and run one.
//
// Knows: shapes and bounds. Leaves to others: what the server does (apps/server classes.ts).

import { z } from "zod";
import { LabNameSchema } from "@topolab/topology";

/** A class's join code: six lower-case letters and digits (no 0/o, 1/l/i). */
export const ClassCodeSchema = z.string().regex(/^[a-hj-km-np-z2-9]{6}$/, "a class code is 6 letters and digits");
export const StudentIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,32}$/);
/** what a student calls themself: shown to the teacher */
export const DisplayNameSchema = z
  .string()
  .transform((s) => s.replace(/[^\x20-\x7e\u00a0-\uffff]/g, "").trim())
  .pipe(z.string().min(1, "a display name is needed").max(40, "at most 40 characters"));

export const CLASS_LIMITS = { maxStudents: 100, maxMessage: 500, maxName: 60 } as const;

export const ClassSourceSchema = z.discriminatedUnion("type", [
  /** a template or exercise of the server's templates directory, by id */
  z.strictObject({ type: z.literal("template"), id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/) }),
  /** a lab that exists: its document as it is now */
  z.strictObject({ type: z.literal("lab"), lab: LabNameSchema }),
]);

export const ClassCreateSchema = z.strictObject({
  name: z.string().trim().min(1, "a class needs a name").max(CLASS_LIMITS.maxName),
  /** students at most */
  size: z.number().int().min(1).max(CLASS_LIMITS.maxStudents),
  source: ClassSourceSchema,
});

export const CheckLightSchema = z.object({ id: z.string(), title: z.string(), status: z.string() });

export const StudentCardSchema = z.object({
  id: z.string(),
  name: z.string(),
  lab: z.string(),
  online: z.boolean(),
  /** starting: the lab is being made; up: running; down: stopped; failed: see error */
  state: z.enum(["starting", "up", "down", "failed"]),
  error: z.string().optional(),
  /** the exercise's checks (null: the lab has no exercise) */
  checks: z.array(CheckLightSchema).nullable(),
  joinedAt: z.string(),
});
export type StudentCard = z.infer<typeof StudentCardSchema>;

export const ClassViewSchema = z.object({
  code: z.string(),
  name: z.string(),
  size: z.number(),
  /** the path a student opens to join (the server's address before it) */
  joinPath: z.string(),
  source: z.string(),
  exercise: z.boolean(),
  createdAt: z.string(),
  students: z.array(StudentCardSchema),
});
export type ClassView = z.infer<typeof ClassViewSchema>;

/** What a student sees of their class. */
export const StudentViewSchema = z.object({
  code: z.string(),
  className: z.string(),
  id: z.string(),
  name: z.string(),
  lab: z.string(),
  state: z.enum(["starting", "up", "down", "failed"]),
  error: z.string().optional(),
  messages: z.array(z.object({ text: z.string(), at: z.string() })),
});
export type StudentView = z.infer<typeof StudentViewSchema>;

export const ClassJoinSchema = z.strictObject({ code: ClassCodeSchema, name: DisplayNameSchema });
export const ClassRef = z.strictObject({ code: ClassCodeSchema });
export const ClassMessageSchema = z.strictObject({ code: ClassCodeSchema, text: z.string().trim().min(1).max(CLASS_LIMITS.maxMessage) });
export const ClassStudentRef = z.strictObject({ code: ClassCodeSchema, student: StudentIdSchema });
