// The lab file's JSON Schema, generated from the zod schema, so that editors can check and
// complete lab files (docs/lab.schema.json; `topolab schema` prints it).
//
// Knows: how the pieces of schema.ts compose into one document schema. The rules that need
// the whole lab (links to existing nodes, unique names…) are beyond JSON Schema: validate.ts.

import { z } from "zod";
import { CheckSchema, ExerciseSchema } from "./exercise";
import { LabInputSchema, LabNameSchema, LinkSchema, NodeSchema } from "./schema";

export const LabFileSchema = LabInputSchema.extend({
  name: LabNameSchema.optional(),
  nodes: z.array(NodeSchema),
  links: z.array(LinkSchema).optional(),
  exercise: ExerciseSchema.extend({ checks: z.array(CheckSchema).optional() })
    .optional()
    .describe("a task and the checks that prove it solved (see docs/exercises.md)"),
});

export function labJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(LabFileSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return {
    $schema: schema["$schema"],
    title: "topolab lab file",
    description: "A network lab: hosts, routers and switches (OVS or Linux bridge) joined by links. See docs/lab-format.md.",
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== "$schema")),
  };
}
