// Test support (not part of the product): an engine on a state directory of the test file's
// own, as root with Open vSwitch running, and the labs a test made taken down and proven gone
// after each test; or one lab for the whole file, made before its first test and taken down
// and proven gone after its last. Kept apart from testing.ts, which benchmarks import too: this
// one registers vitest hooks.

import { afterAll, afterEach, beforeAll, expect } from "vitest";
import type { Lab } from "@topolab/topology";
import { Engine, type EngineOptions } from "./engine";
import { ensureOvsRunning } from "./ovs";
import { leftoversAfterSettling, tempStateDir } from "./testing";

export interface EngineSession {
  readonly engine: Engine;
  readonly stateDir: string;
  /** labs to take down (if still there) and prove gone after each test */
  readonly labs: Set<string>;
}

export interface EngineSessionOptions {
  afterEachTimeoutMs?: number;
  /** the engine's command log (EngineOptions.log) */
  log?: EngineOptions["log"];
  /** the file's lab: up before the first test, taken down and proven gone after the last (60 s each way) */
  lab?: () => Lab;
}

/** Call at the top of a test file. */
export function engineSession(o: EngineSessionOptions = {}): EngineSession {
  let state: { dir: string; remove: () => Promise<void> } | null = null;
  let engine: Engine | null = null;
  const labs = new Set<string>();
  let fileLab: string | null = null;
  beforeAll(async () => {
    expect(process.getuid?.()).toBe(0);
    await ensureOvsRunning();
    state = await tempStateDir();
    engine = new Engine({ stateDir: state.dir, ...(o.log ? { log: o.log } : {}) });
    if (o.lab) {
      const lab = o.lab();
      fileLab = lab.name;
      await engine.up(lab);
    }
  }, 60_000);
  afterEach(async () => {
    for (const name of labs) {
      if (await engine!.state.readMeta(name)) await engine!.down(name);
      expect(await leftoversAfterSettling(name)).toEqual([]);
    }
    labs.clear();
  }, o.afterEachTimeoutMs);
  afterAll(async () => {
    if (fileLab) {
      if (await engine!.state.readMeta(fileLab)) await engine!.down(fileLab);
      expect(await leftoversAfterSettling(fileLab)).toEqual([]);
    }
    await state?.remove();
  }, 60_000);
  return {
    get engine() {
      return engine!;
    },
    get stateDir() {
      return state!.dir;
    },
    labs,
  };
}
