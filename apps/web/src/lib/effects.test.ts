import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { expressionBodiedEffects } from "./effects";

const src = join(dirname(fileURLToPath(import.meta.url)), "..");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [p] : [];
  });
}

describe("expressionBodiedEffects", () => {
  it("finds effects whose arrow returns an expression", () => {
    const code = [
      "useEffect(() => end.current?.scrollIntoView({ block: 'end' }), [n]);",
      "useLayoutEffect(\n  () => localStorage.setItem(k, v),\n  [v],\n);",
      "React.useEffect(async () => { await x(); }, []);",
      "useEffect(() => {\n  el.focus();\n}, []);",
      "useEffect(() => { const t = setTimeout(f); return () => clearTimeout(t); }, []);",
      "useEffect(() => () => live.close(), [live]);",
      "useEffect(() => registerLiveMenu(), []);",
      "useEffect(() => store.state.on(update), []);",
      "useEffect(() => el.focus(), []);",
    ].join("\n");
    const found = expressionBodiedEffects(code);
    expect(found.map((f) => f.line)).toEqual([1, 2, 6, 14]);
    expect(found[0]!.text).toContain("scrollIntoView");
  });

  it("finds none in the web app's sources", () => {
    const problems = sources(src).flatMap((f) => expressionBodiedEffects(readFileSync(f, "utf8")).map((p) => `${relative(src, f)}:${p.line}: ${p.text}`));
    expect(problems, "effects that do not clean up need a block body: React calls what an arrow returns as its cleanup").toEqual([]);
  });
});
