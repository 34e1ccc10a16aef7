// Templates: lab files in a directory (the repository's templates/ by default), each opening
// with comment lines that describe it: the first is its title, the others its description.
//
// Exercises (labs that carry checks) live in its exercises/ folder, with ids "exercise-<file>".
//
// Knows: finding, describing and reading them; template ids are file names and nothing else.
// Leaves to others: parsing and validating the lab inside (topology's parseLabText).

import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { TemplateInfo } from "@topolab/protocol";
import { RequestError } from "./errors";

const FILE = /^([a-z0-9][a-z0-9_-]{0,63})\.ya?ml$/;
/** the folder of exercises (labs with checks), beside the templates */
const EXERCISES = "exercises";
const EXERCISE_PREFIX = "exercise-";

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

  /** id -> file: the directory's lab files, then its exercises/ folder's, whose ids start with "exercise-". */
  private async files(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const add = async (sub: string, prefix: string) => {
      let names: string[] = [];
      try {
        names = await readdir(join(this.dir, sub));
      } catch {
        return; // no such directory: no templates there
      }
      for (const n of names.sort()) {
        const m = FILE.exec(n);
        const id = m ? `${prefix}${m[1]!}` : null;
        if (id && id.length <= 64 && !out.has(id)) out.set(id, sub ? `${sub}/${n}` : n);
      }
    };
    await add("", "");
    await add(EXERCISES, EXERCISE_PREFIX);
    return out;
  }

  async list(): Promise<TemplateInfo[]> {
    const out: TemplateInfo[] = [];
    for (const [id, file] of await this.files()) {
      const info = describeTemplate(id, await readFile(join(this.dir, file), "utf8"));
      out.push(file.startsWith(`${EXERCISES}/`) ? { ...info, exercise: true } : info);
    }
    return out;
  }

  async read(id: string): Promise<string> {
    const file = (await this.files()).get(id);
    if (!file) throw new RequestError("not_found", `there is no template named ${id}`);
    return readFile(join(this.dir, file), "utf8");
  }
}
