// Where a lab document comes from on the command line: a lab file, or a Mininet topology.
//
// Knows: reading a file, `--topo single,3`, `--name`, and turning problems into lines that
// point at file and line. Leaves to others: the rules (topology's validate).

import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { UsageError } from "./errors";
import { formatFileIssue, LabValidationError, labWarnings, parseLabText, parseTopoSpec, topoLab, validateLab, type Lab } from "@topolab/topology";

// in errors.ts, which the quick commands load without the lab model
export { UsageError };

/** A problem report that already says where: printed as is. */
export class FileProblems extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join("\n"));
    this.name = "FileProblems";
  }
}

export interface Loaded {
  lab: Lab;
  source: string;
}

export async function loadLab(file: string | undefined, options: { topo?: string; name?: string }): Promise<Loaded> {
  if (file && options.topo) throw new UsageError("give either a lab file or --topo, not both");
  if (options.topo) {
    const spec = parseTopoSpec(options.topo);
    if (typeof spec === "string") throw new UsageError(`--topo ${spec}`);
    const name = options.name ?? options.topo.replace(/[^a-z0-9]+/gi, "-").toLowerCase();
    const result = validateLab(topoLab(spec, name));
    if (!result.ok) throw new LabValidationError(result.issues);
    return { lab: result.lab, source: `--topo ${options.topo}` };
  }
  if (!file) throw new UsageError("give a lab file (topolab up lab.yaml) or a topology (--topo single,3)");
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
  const parsed = parseLabText(text, options.name !== undefined ? { name: options.name } : {});
  if (!parsed.ok) throw new FileProblems(parsed.issues.map((i) => formatFileIssue(i, file)));
  // valid, but not what the person means (two interfaces of a node in one subnet): said, not refused
  for (const w of labWarnings(parsed.lab)) process.stderr.write(`${file}: warning: ${w.path}: ${w.message}\n`);
  return { lab: parsed.lab, source: path };
}
