import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { labJsonSchema } from "./jsonschema";

it("docs/lab.schema.json is the schema generated from the zod schema (regenerate: pnpm topolab schema > docs/lab.schema.json)", () => {
  const published = JSON.parse(readFileSync(join(import.meta.dirname, "../../../docs/lab.schema.json"), "utf8"));
  expect(published).toEqual(labJsonSchema());
});

it("describes nodes by kind and constrains names and VLANs", () => {
  const schema = JSON.stringify(labJsonSchema());
  expect(schema).toContain('"const":"router"');
  expect(schema).toContain('"maximum":4094');
  expect(schema).toContain("interface name: at most 15 bytes");
});
