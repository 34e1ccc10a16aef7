// Builds the server-side bundles with esbuild: the CLI (apps/server/dist/cli.js) and the
// server (apps/server/dist/server.js). Workspace packages are bundled from their TypeScript
// source; npm packages stay external for the server (node-pty is native), and are bundled
// into the CLI so that it starts fast.
//
//   node scripts/build.mjs            build both
//   import { buildIfStale } from ...  used by apps/server/bin/topolab.js
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const SOURCES = ["packages", "apps/server/src"];

export const TARGETS = {
  cli: { entry: "apps/server/src/cli/main.ts", out: "apps/server/dist/cli.js", bundleDeps: true },
  server: { entry: "apps/server/src/main.ts", out: "apps/server/dist/server.js", bundleDeps: false },
};

const externalizeNpm = {
  name: "externalize-npm",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind === "entry-point" || args.path.startsWith("@topolab/")) return undefined;
      return { path: args.path, external: true };
    });
  },
};

export async function buildTarget(name) {
  const t = TARGETS[name];
  const { build } = await import("esbuild");
  await build({
    absWorkingDir: root,
    entryPoints: [t.entry],
    outfile: t.out,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    sourcemap: true,
    logLevel: "warning",
    external: ["node-pty"],
    plugins: t.bundleDeps ? [] : [externalizeNpm],
    banner: { js: "import { createRequire as __topolabRequire } from 'node:module'; const require = __topolabRequire(import.meta.url);" },
  });
}

function newestSource(dir) {
  let newest = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === "node_modules" || e.name === "dist" || e.name.startsWith(".")) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|tsx|json)$/.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(dir);
  return newest;
}

/** Rebuilds a bundle when any source is newer than it. */
export async function buildIfStale(name) {
  const out = join(root, TARGETS[name].out);
  const built = existsSync(out) ? statSync(out).mtimeMs : 0;
  const newest = Math.max(...SOURCES.map((s) => (existsSync(join(root, s)) ? newestSource(join(root, s)) : 0)));
  if (newest > built) await buildTarget(name);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(TARGETS);
  for (const n of names) if (existsSync(join(root, TARGETS[n].entry))) await buildTarget(n);
}
