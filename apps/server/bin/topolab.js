#!/usr/bin/env node
// The topolab command. Rebuilds the CLI bundle when a source file changed, then runs it.
import { buildIfStale, loadBundle } from "../../../scripts/build.mjs";

// the bundles run from V8's code cache, where import() is not available: they borrow this one
globalThis[Symbol.for("topolab.import")] = (url) => import(url);
const { main } = loadBundle(await buildIfStale("cli"));
process.exitCode = await main(process.argv.slice(2));
