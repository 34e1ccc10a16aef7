// Templates: lab files in a directory (the repository's templates/ by default), each opening
// with comment lines that describe it: the first is its title, the others its description.
//
// Knows: finding, describing and reading them; template ids are file names and nothing else.
// Leaves to others: parsing and validating the lab inside (topology's parseLabText).

import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { TemplateInfo } from "@topolab/protocol";
import { RequestError } from "./errors";

const FILE = /^([a-z0-9][a-z0-9_-]{0,63})\.ya?ml$/;

/** Title and description from the leading `#` lines; the lab name from a top-level `name:`. */
export function describeTemplate(id: string, text: string): TemplateInfo {
  const comments: string[] = [];
  for (const line of text.split("\n")) {
    if (/^\s*#/.test(line)) comments.push(line.replace(/^\s*#\s?/, "").trimEnd());
    else if (line.trim() === "" && comments.length === 0) continue;
    else break;
  }
  const [title, ...rest] = comments.filter((l, i) => i > 0 || l.trim() !== "");
  const lab = /^name:\s*["']?([a-z0-9][a-z0-9_-]*)["']?\s*$/m.exec(text)?.[1];
  return {
    id,
    title: title?.trim() || id,
    description: rest.join("\n").trim(),
    ...(lab ? { lab } : {}),
  };
}

export class Templates {
  constructor(readonly dir: string) {}

  private async files(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    let names: string[] = [];
    try {
      names = await readdir(this.dir);
    } catch {
      return out; // no templates directory: no templates
    }
    for (const n of names.sort()) {
      const m = FILE.exec(n);
      if (m && !out.has(m[1]!)) out.set(m[1]!, n);
    }
    return out;
  }

  async list(): Promise<TemplateInfo[]> {
    const out: TemplateInfo[] = [];
    for (const [id, file] of await this.files()) out.push(describeTemplate(id, await readFile(join(this.dir, file), "utf8")));
    return out;
  }

  async read(id: string): Promise<string> {
    const file = (await this.files()).get(id);
    if (!file) throw new RequestError("not_found", `there is no template named ${id}`);
    return readFile(join(this.dir, file), "utf8");
  }
}
