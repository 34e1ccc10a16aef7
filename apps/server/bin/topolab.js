#!/usr/bin/env node
// The topolab command. Rebuilds the CLI bundle when a source file changed, then runs it.
import { buildIfStale } from "../../../scripts/build.mjs";
import { pathToFileURL } from "node:url";

const bundle = await buildIfStale("cli");
const { main } = await import(pathToFileURL(bundle).href);
process.exitCode = await main(process.argv.slice(2));
