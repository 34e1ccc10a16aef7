// After the tests: every lab the tests made is gone from the kernel (namespaces, interfaces,
// OVS bridges and ports), whatever happened to the tests, and the state directory is removed.
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { leftoversAfterSettling } from "@topolab/engine/testing";
import { cli } from "./helpers";

export default async function globalTeardown(): Promise<void> {
  const dir = process.env["TOPOLAB_E2E_STATE_DIR"];
  if (!dir) return;
  const problems: string[] = [];
  let labs: string[] = [];
  try {
    labs = readdirSync(join(dir, "labs"));
  } catch {
    /* no lab was ever made */
  }
  for (const lab of labs) {
    problems.push(`lab ${lab} was left in the state directory (a test did not remove it)`);
    cli(["down", lab]);
    problems.push(...(await leftoversAfterSettling(lab)).map((l) => `${lab}: ${l}`));
  }
  rmSync(dir, { recursive: true, force: true });
  if (problems.length) throw new Error(`e2e left things behind:\n${problems.join("\n")}`);
}
