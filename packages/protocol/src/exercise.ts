// Exercises in the protocol: the checks a browser shows, and their results as the server
// last saw them in the kernel, the same for every browser on the lab (the teacher's too).
//
// Knows: the shapes of a check as shown, a result, and the state of a lab's exercise.
// Leaves to others: the checks' own rules (topology's exercise.ts), running them (engine).

import { z } from "zod";

export const CheckStatusSchema = z.enum(["pending", "pass", "fail", "error"]);

/** One check as a student sees it: what it asks, and the nodes it names (to highlight). */
export const CheckViewSchema = z.object({
  id: z.string(),
  kind: z.string(),
  description: z.string(),
  hint: z.string().optional(),
  /** the nodes the check names, e.g. [ns0, ns1] for "ns0 reaches ns1" */
  nodes: z.array(z.string()),
});

export const CheckResultSchema = z.object({
  id: z.string(),
  status: CheckStatusSchema,
  /** what was seen, or why the check could not run */
  seen: z.string(),
  ms: z.number(),
});

export const ExerciseStateSchema = z.object({
  lab: z.string(),
  title: z.string(),
  /** Markdown */
  task: z.string(),
  checks: z.array(CheckViewSchema),
  /** empty until the first run ends */
  results: z.array(CheckResultSchema),
  /** counts the runs whose results changed something */
  revision: z.number(),
  /** when the results were taken (ISO time), or null before the first run */
  at: z.string().nullable(),
});

export type CheckView = z.infer<typeof CheckViewSchema>;
export type CheckResultView = z.infer<typeof CheckResultSchema>;
export type ExerciseState = z.infer<typeof ExerciseStateSchema>;
