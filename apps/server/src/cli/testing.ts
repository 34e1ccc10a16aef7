// Test support for the CLI's integration tests (not part of the product): the real bin script
// run as a person runs it, against a state directory of the test's own, and the labs the
// test made, taken down and proven gone.

import { join } from "node:path";
import { expect } from "vitest";
import { run } from "@topolab/engine";
import { leftoversAfterSettling, tempStateDir } from "@topolab/engine/testing";

export const repoRoot = join(import.meta.dirname, "../../../..");
const bin = join(repoRoot, "apps/server/bin/topolab.js");

export interface CliSession {
  /** runs `topolab ARGS…` with the session's state directory */
  topolab: (...args: string[]) => ReturnType<typeof run>;
  /** labs to take down and check at the end */
  labs: Set<string>;
  stateDir(): string;
  start(): Promise<void>;
  /** downs every lab in `labs` and expects nothing of them left */
  downAll(): Promise<void>;
  stop(): Promise<void>;
}

export function cliSession(): CliSession {
  let state: { dir: string; remove: () => Promise<void> } | null = null;
  const labs = new Set<string>();
  const session: CliSession = {
    labs,
    stateDir: () => state!.dir,
    topolab: (...args) => run([process.execPath, bin, ...args], { env: { ...process.env, TOPOLAB_STATE_DIR: state!.dir }, timeoutMs: 60_000 }),
    async start() {
      state = await tempStateDir();
    },
    async downAll() {
      for (const name of labs) {
        await session.topolab("down", name);
        expect(await leftoversAfterSettling(name)).toEqual([]);
      }
      labs.clear();
    },
    async stop() {
      await session.downAll();
      await state?.remove();
    },
  };
  return session;
}
