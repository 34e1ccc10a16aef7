import { defineConfig } from "vitest/config";

// unit: pure code, no root needed. integration: real namespaces, veths, OVS, as root; each
// test makes its own uniquely named lab and proves it is gone afterwards. clean: `topolab
// clean` removes every topolab object on the machine, so it runs alone, after the others.
const ignore = ["**/node_modules/**", "**/dist/**", "e2e/**"];
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
