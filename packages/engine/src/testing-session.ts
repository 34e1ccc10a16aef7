// Test support (not part of the product): an engine on a state directory of the test file's
// own, as root with Open vSwitch running, and the labs a test made taken down and proven gone
// after each test. Kept apart from testing.ts, which benchmarks import too: this one registers
// vitest hooks.

import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { Engine } from "./engine";
import { ensureOvsRunning } from "./ovs";
import { leftoversAfterSettling, tempStateDir } from "./testing";

export interface EngineSession {
  readonly engine: Engine;
  readonly stateDir: string;
  /** labs to take down (if still there) and prove gone after each test */
  readonly labs: Set<string>;
}

/** Call at the top of a test file. */
export function engineSession(o: { afterEachTimeoutMs?: number } = {}): EngineSession {
  let state: { dir: string; remove: () => Promise<void> } | null = null;
  let engine: Engine | null = null;
  const labs = new Set<string>();
  beforeAll(async () => {
    expect(process.getuid?.()).toBe(0);
    await ensureOvsRunning();
    state = await tempStateDir();
    engine = new Engine({ stateDir: state.dir });
  });
  afterEach(async () => {
    for (const name of labs) {
      if (await engine!.state.readMeta(name)) await engine!.down(name);
      expect(await leftoversAfterSettling(name)).toEqual([]);
    }
    labs.clear();
  }, o.afterEachTimeoutMs);
  afterAll(async () => {
    await state?.remove();
  });
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
