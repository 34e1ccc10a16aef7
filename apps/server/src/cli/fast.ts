// The command line's entry: `status` and `exec` in their plain forms answer from here, without
// loading the rest of topolab (commander, the lab model's zod schemas, yaml); everything else
// goes to main.ts, loaded on demand from its own bundle.
//
// Knows: which argument lists are the plain forms (anything else, --help included, is
// main.ts's, so the two cannot answer differently). Leaves the commands to quick.ts and the
// error messages to main.ts.

import { fileURLToPath } from "node:url";
import { LockError, NotFoundError } from "@topolab/engine";
import { UsageError } from "./errors";
import { execCommand, statusCommand } from "./quick";
import { importAtRunTime } from "./runtime-import";

type Main = typeof import("./main");

/**
 * main.ts: the bundle beside this one (dist/cli-full.cjs, built with it by scripts/build.mjs,
 * loaded with V8's code cache by its loadBundle), or the module itself when run from source.
 * Named at run time, so that esbuild leaves it out of this bundle.
 */
async function loadMain(): Promise<Main> {
  const here = import.meta.url;
  if (here.endsWith(".ts")) return importAtRunTime<Main>(new URL("./main.ts", here).href);
  const build = await importAtRunTime<{ loadBundle: (path: string) => Main }>(new URL("../../../scripts/build.mjs", here).href);
  return build.loadBundle(fileURLToPath(new URL("./cli-full.cjs", here)));
}

/** main.ts's words for the errors these two commands meet (its classes are its bundle's own). */
function exitCodeFor(e: unknown): number {
  if (e instanceof UsageError) {
    process.stderr.write(`topolab: ${e.message}\n`);
    return 2;
  }
  if (e instanceof NotFoundError || e instanceof LockError) {
    process.stderr.write(`topolab: ${e.message}\n`);
    return 1;
  }
  process.stderr.write(`topolab: ${(e as Error).stack ?? String(e)}\n`);
  return 1;
}

type Quick = () => Promise<number>;

/** The work for a plain `status`/`exec` argument list, or null when main.ts must parse it. */
export function quickCommand(argv: string[]): Quick | null {
  const [command, ...rest] = argv;
  if (command === "status") {
    const json = rest.filter((a) => a === "--json").length;
    const words = rest.filter((a) => a !== "--json");
    if (json > 1 || words.length > 1 || words.some((w) => w.startsWith("-") || w === "")) return null;
    return async () => {
      await statusCommand(words[0], { json: json === 1 });
      return 0;
    };
  }
  if (command === "exec") {
    const [lab, node, ...cmd] = rest;
    if (!lab || !node || lab.startsWith("-") || node.startsWith("-")) return null;
    if (cmd.length === 0 || (cmd.length === 1 && cmd[0] === "--")) return null;
    return () => execCommand(lab, node, cmd);
  }
  return null;
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const quick = quickCommand(argv);
  if (!quick) return (await loadMain()).main(argv);
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
  });
  try {
    return await quick();
  } catch (e) {
    return exitCodeFor(e);
  }
}
