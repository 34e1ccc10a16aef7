// Runs a TypeScript entry (a benchmark, a one-off script) with the workspace's packages:
// esbuild bundles it, npm packages included, to a temporary file, then Node runs it. Native
// modules (node-pty) stay external, resolved to their absolute path in the workspace.
//   node scripts/run-ts.mjs benchmarks/up.ts [args...]
import { build } from "esbuild";
import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error("usage: node scripts/run-ts.mjs FILE.ts [args...]");
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), "topolab-run-"));
const out = join(dir, "entry.mjs");
await build({
  absWorkingDir: root,
  entryPoints: [resolve(entry)],
  outfile: out,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  logLevel: "warning",
  plugins: [
    {
      name: "native-external",
      setup(b) {
        b.onResolve({ filter: /^node-pty$/ }, () => {
          const req = createRequire(join(root, "apps/server/package.json"));
          return { path: pathToFileURL(req.resolve("node-pty")).href, external: true };
        });
      },
    },
  ],
  banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
});
process.argv = [process.argv[0], resolve(entry), ...args];
try {
  await import(pathToFileURL(out).href);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
