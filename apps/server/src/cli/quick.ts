// The commands a person runs many times a minute, `status` and `exec`, and running a program
// with the terminal attached.
//
// Knows: what these commands print and their exit codes. Loads only the engine's reading side
// and the terminal tables: no commander, no zod, no yaml (fast.ts runs them without the rest
// of the command line; main.ts registers them for --help and the odd forms).
// Leaves to others: the work (engine) and the other commands (main.ts).

import { spawn } from "node:child_process";
import { Engine, inNetns } from "@topolab/engine";
import { UsageError } from "./errors";
import { labsTable, nodesTable } from "./format";

const out = (text: string) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);

/** Runs a program with the terminal attached; resolves with its exit code. */
export function attach(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: "inherit", env, ...(cwd ? { cwd } : {}) });
    child.on("error", (e) => {
      process.stderr.write(`topolab: cannot start ${argv[0]}: ${e.message}\n`);
      resolve(127);
    });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 + 15 : 1)));
  });
}

/** `topolab status [LAB] [--json]` */
export async function statusCommand(lab: string | undefined, o: { json?: boolean }): Promise<void> {
  const labs = await new Engine().status(lab);
  if (o.json) out(JSON.stringify(lab ? labs[0] : labs, null, 2));
  else out(lab ? nodesTable(labs[0]!) : labsTable(labs));
}

/** `topolab exec LAB NODE -- COMMAND...`: resolves with the command's exit code. */
export async function execCommand(lab: string, node: string, command: string[]): Promise<number> {
  const ns = await new Engine().nodeNamespace(lab, node);
  const argv = command[0] === "--" ? command.slice(1) : command;
  if (argv.length === 0) throw new UsageError("give the command to run after --");
  return attach(inNetns(ns, argv));
}
