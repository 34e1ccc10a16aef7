// `topolab serve`: its options, and loading the server. The CLI bundle (dist/cli.cjs) carries
// its npm packages inside; the server's (express, socket.io, node-pty, which is native) stay
// in node_modules, so the server is its own bundle, dist/server.js, imported here at run time
// (rebuilt first when its sources changed, when run from the repository).
//
// Knows: the command's options and environment variables, and where the server bundle is.
// Leaves to others: the server (../main.ts).

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Option, type Command } from "commander";
import { UsageError } from "./load";
import { importAtRunTime } from "./runtime-import";

type ServerModule = typeof import("../main");

async function loadServer(): Promise<ServerModule> {
  const here = import.meta.url;
  // from source (tests, TypeScript runners): the module itself
  if (here.endsWith(".ts")) return importAtRunTime<ServerModule>(new URL("../main.ts", here).href);
  const build = new URL("../../../scripts/build.mjs", here);
  if (existsSync(fileURLToPath(build))) {
    try {
      const { buildIfStale } = await importAtRunTime<{ buildIfStale: (t: string) => Promise<string> }>(build.href);
      await buildIfStale("server");
    } catch (e) {
      process.stderr.write(`topolab: could not rebuild the server bundle (${(e as Error).message}); using the one there is\n`);
    }
  }
  const bundle = new URL("./server.js", here);
  if (!existsSync(fileURLToPath(bundle))) throw new UsageError("the server is not built: run pnpm build");
  return importAtRunTime<ServerModule>(bundle.href);
}

function port(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new UsageError(`--port must be a number from 0 to 65535, not ${text}`);
  return n;
}

interface ServeFlags {
  host?: string;
  port?: string;
  allowOrigin: string[];
  stateDir?: string;
  templates?: string;
  reattachMinutes: string;
  reconcile: boolean;
  reconcileOnly?: string;
}

export function registerServe(p: Command): void {
  p.command("serve")
    .description("start the web server: labs on a canvas, shells in the browser, the REST API; prints the address with its token")
    .option("--host <address>", "address to listen on (TOPOLAB_HOST; default 127.0.0.1)")
    .option("--port <n>", "port to listen on (TOPOLAB_PORT; default 7380; 0 picks a free one)")
    .option(
      "--allow-origin <origin>",
      "also accept this origin, e.g. http://lab.example.org:8080 (repeatable; TOPOLAB_ALLOWED_ORIGINS)",
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option("--state-dir <dir>", "where labs are kept (TOPOLAB_STATE_DIR; default /var/lib/topolab)")
    .option("--templates <dir>", "lab templates directory (TOPOLAB_TEMPLATES_DIR; default the repository's templates/)")
    .option("--reattach-minutes <n>", "how long a terminal no browser holds lives on, for one to come back or join it (fractions allowed: 0.5)", "1")
    .option("--no-reconcile", "leave the kernel alone at start (no repair of saved labs, no removal of leftovers)")
    .addOption(new Option("--reconcile-only <prefix>", "reconcile only labs whose names start with prefix").hideHelp())
    .action(async (o: ServeFlags) => {
      const minutes = Number(o.reattachMinutes);
      if (!(minutes >= 0 && minutes <= 24 * 60)) throw new UsageError("--reattach-minutes must be a number from 0 to 1440");
      const { serve } = await loadServer();
      let server: Awaited<ReturnType<ServerModule["serve"]>>;
      try {
        server = await serve({
          ...(o.host !== undefined ? { host: o.host } : {}),
          ...(o.port !== undefined ? { port: port(o.port) } : {}),
          allowedOrigins: o.allowOrigin,
          ...(o.stateDir ? { stateDir: o.stateDir } : {}),
          ...(o.templates ? { templatesDir: o.templates } : {}),
          reattachMs: minutes * 60_000,
          reconcile: o.reconcile,
          ...(o.reconcileOnly !== undefined ? { reconcileScope: (lab: string) => lab.startsWith(o.reconcileOnly!) } : {}),
        });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === "EADDRINUSE") throw new UsageError(`that port is already in use (another topolab serve?): choose one with --port`);
        if (err.code === "EADDRNOTAVAIL") throw new UsageError(`this machine has no address ${o.host}`);
        if (err.message?.startsWith("TOPOLAB_TOKEN") || err.message?.includes("is not an http(s) origin") || err.code === "ERR_INVALID_URL")
          throw new UsageError(err.message);
        throw e;
      }
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          process.stderr.write(`topolab: ${signal}: ending terminals and stopping; labs keep running\n`);
          process.once(signal, () => process.exit(130)); // a second one: now
          void server.close().then(resolve);
        };
        process.once("SIGINT", () => stop("SIGINT"));
        process.once("SIGTERM", () => stop("SIGTERM"));
      });
    });
}
