// Builds the server-side bundles with esbuild: the CLI (apps/server/dist/cli.cjs) and the
// server (apps/server/dist/server.js). Workspace packages are bundled from their TypeScript
// source; npm packages stay external for the server (node-pty is native), and are bundled
// into the CLI so that it starts fast.
//
// The CLI is two bundles: dist/cli.cjs (cli/fast.ts: `status` and `exec` answer from there)
// and dist/cli-full.cjs (cli/main.ts: every command), which cli.cjs loads at run time for
// anything else; so zod, yaml and commander cost nothing to those two. In cli.cjs the
// workspace's modules are taken as free of side effects, so that only what is used is kept.
// Each target's inputs are listed beside it (OUT.inputs.json): checking whether it is stale
// stats those files instead of walking the tree.
//
// The CLI's bundles are CommonJS so that loadBundle() can hand V8 the code it compiled the
// last time (a code cache beside the bundle, named by the bundle's hash): parsing and
// compiling 1.3 MB of JavaScript is a third of a short command's time, and Node 20 keeps no
// code cache of its own.
//
//   node scripts/build.mjs            build both
//   import { buildIfStale, loadBundle } from ...  used by apps/server/bin/topolab.js
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const SOURCES = ["packages", "apps/server/src"];

export const TARGETS = {
  // dist/cli.cjs (fast.ts, what bin/topolab.js loads) loads dist/cli-full.cjs (main.ts) at run time
  cli: {
    entry: "apps/server/src/cli/fast.ts",
    out: "apps/server/dist/cli.cjs",
    bundleDeps: true,
    pure: true,
    format: "cjs",
    also: { entry: "apps/server/src/cli/main.ts", out: "apps/server/dist/cli-full.cjs" },
  },
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

/** The workspace's own modules have no side effects on import: esbuild keeps only what is used. */
const workspacePure = {
  name: "workspace-pure",
  setup(b) {
    b.onResolve({ filter: /^(@topolab\/|\.{1,2}\/)/ }, async (args) => {
      if (args.pluginData === "workspace-pure") return undefined;
      const r = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: "workspace-pure" });
      if (r.errors.length || r.external || !/\/(packages|apps\/server)\/[^/]+\/src\/|\/apps\/server\/src\//.test(r.path)) return r;
      return { ...r, sideEffects: false };
    });
  },
};

/**
 * zod re-exports all of its ~60 message locales (`z.locales`), and esbuild keeps them all
 * (about a quarter of the CLI bundle, parsed at every start) though topolab only ever speaks
 * English, which zod registers itself from locales/en.js. Its locales index is replaced by
 * English alone.
 */
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]zod[\\/]v4[\\/](classic|core)$/.test(args.resolveDir)) return undefined;
      return { path: join(args.resolveDir, "../locales/index.js"), namespace: "zod-english-only" };
    });
    b.onLoad({ filter: /.*/, namespace: "zod-english-only" }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), "en.js"))};\n`,
      resolveDir: dirname(args.path),
      loader: "js",
    }));
  },
};

export async function buildTarget(name) {
  const t = TARGETS[name];
  const { build } = await import("esbuild");
  const one = (entry, out, pure) =>
    build({
      absWorkingDir: root,
      metafile: true,
      entryPoints: [entry],
      outfile: out,
      bundle: true,
      platform: "node",
      target: "node20",
      format: t.format ?? "esm",
      sourcemap: true,
      logLevel: "warning",
      external: ["node-pty"],
      plugins: t.bundleDeps ? [zodEnglishOnly, ...(pure ? [workspacePure] : [])] : [externalizeNpm],
      ...(t.format === "cjs"
        ? {
            // the sources are ES modules: where they ask for their own place, the bundle's
            define: { "import.meta.url": "__topolabUrl", "import.meta.dirname": "__dirname" },
            banner: { js: 'var __topolabUrl = require("node:url").pathToFileURL(__filename).href;' },
          }
        : { banner: { js: "import { createRequire as __topolabRequire } from 'node:module'; const require = __topolabRequire(import.meta.url);" } }),
    });
  const results = await Promise.all([one(t.entry, t.out, !!t.pure), ...(t.also ? [one(t.also.entry, t.also.out, false)] : [])]);
  const inputs = new Set(results.flatMap((r) => Object.keys(r.metafile.inputs)).filter((p) => !p.includes("node_modules/")));
  writeFileSync(join(root, `${t.out}.inputs.json`), JSON.stringify([...inputs]));
}

/**
 * A CommonJS bundle, run as Node runs a module, with V8's code cache: the cache beside it
 * (BUNDLE.HASH.v8cache) is used when it was made from this very text (V8 itself checks only
 * the text's length), and written when there was none, as the process exits, so that it holds
 * the functions this run compiled. A cache that cannot be written is only a slower start.
 */
export function loadBundle(path) {
  const source = readFileSync(path, "utf8");
  const cacheFile = `${path}.${createHash("sha256").update(source).digest("hex").slice(0, 16)}.v8cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  // no import() in it (Node 20 loses the callback for cached code): apps/server/src/cli/runtime-import.ts
  const script = new Script(wrapped, { filename: path, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(path), module, path, dirname(path));
  // The cache is made once per bundle text: by the first command run after a build (or after a
  // cache V8 refused), at its exit, and it holds the functions that command compiled (V8
  // compiles a function when it is first called). Later runs take it as it is and never add to
  // it, so the functions of other commands (the first was `status`, this one `up`) are compiled
  // again on every run of them.
  if (!cachedData || script.cachedDataRejected) {
    process.once("exit", () => {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
        // the caches of the bundle's earlier texts
        for (const e of readdirSync(dirname(path))) {
          if (e.startsWith(`${basename(path)}.`) && e.endsWith(".v8cache") && join(dirname(path), e) !== cacheFile)
            rmSync(join(dirname(path), e), { force: true });
        }
      } catch {
        // a read-only install or a full disk: no cache, the same result, and no half-written file left
        rmSync(tmp, { force: true });
      }
    });
  }
  return module.exports;
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

/** The newest modification time of the bundle's own inputs, or null when they are not known (or one is gone). */
function newestInput(out) {
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(`${out}.inputs.json`, "utf8"));
  } catch {
    return null;
  }
  let newest = 0;
  for (const p of [...inputs, "package.json", "pnpm-lock.yaml"]) {
    try {
      newest = Math.max(newest, statSync(join(root, p)).mtimeMs);
    } catch {
      return null;
    }
  }
  return newest;
}

/** Rebuilds a bundle when any of its sources is newer than it. */
export async function buildIfStale(name) {
  const out = join(root, TARGETS[name].out);
  const also = TARGETS[name].also && join(root, TARGETS[name].also.out);
  const built = existsSync(out) && (!also || existsSync(also)) ? Math.min(statSync(out).mtimeMs, also ? statSync(also).mtimeMs : Infinity) : 0;
  // a new file matters only once an input imports it, and then that input is newer
  const newest = newestInput(out) ?? Math.max(...SOURCES.map((s) => (existsSync(join(root, s)) ? newestSource(join(root, s)) : 0)));
  if (newest > built) await buildTarget(name);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(TARGETS);
  for (const n of names) if (existsSync(join(root, TARGETS[n].entry))) await buildTarget(n);
}
