import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

// unit: pure code, no root needed. integration: real namespaces, veths, OVS, as root; each
// test makes its own uniquely named lab and proves it is gone afterwards. clean: `topolab
// clean` removes every topolab object on the machine, so it runs alone, after the others.
const ignore = ["**/node_modules/**", "**/dist/**", "e2e/**"];
// the lab shells the tests open source $HOME/.bashrc: an empty home of the tests' own, so that
// the machine's personal shell set-up (a pyenv whose rehash lock a killed shell left behind
// made every later shell wait 60 s) is no part of a test; one per run (the shells' history
// stays in it), removed when the run ends
// (by the run's process number: the config is read several times in one run)
const home = join(tmpdir(), `topolab-test-home-${process.pid}`);
mkdirSync(home, { recursive: true });
process.once("exit", () => rmSync(home, { recursive: true, force: true }));
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["**/*.test.ts"], exclude: [...ignore, "**/*.integration.test.ts", "**/*.clean.test.ts"] },
      },
      {
        extends: true,
        test: {
          name: "integration",
          env: { HOME: home },
          include: ["**/*.integration.test.ts"],
          exclude: ignore,
          testTimeout: 60_000,
          hookTimeout: 60_000,
          maxWorkers: 2,
        },
      },
      {
        extends: true,
        test: { name: "clean", include: ["**/*.clean.test.ts"], exclude: ignore, testTimeout: 60_000, fileParallelism: false },
      },
    ],
  },
});
