// Before the tests: the web app must be built (the server serves apps/web/dist). Built here
// when missing or older than its sources, so that `playwright test` alone works after an edit.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "node_modules" || e.name === "dist") continue;
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export default function globalSetup(): void {
  const index = join(root, "apps/web/dist/index.html");
  const sources = Math.max(newest(join(root, "apps/web/src")), newest(join(root, "packages/protocol/src")), newest(join(root, "packages/topology/src")));
  if (!existsSync(index) || statSync(index).mtimeMs < sources) {
    execFileSync("pnpm", ["--filter", "@topolab/web", "build"], { cwd: root, stdio: "inherit" });
  }
}
