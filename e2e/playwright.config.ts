// The end-to-end tests: Playwright drives Debian's Chromium (/usr/bin/chromium; no browser is
// ever downloaded) against the REAL server (`topolab serve`) on the real kernel, as root.
// The server gets a free port, its own state directory and a fixed token, passed to the test
// workers through the environment (the config is loaded again in each worker).
//
//   pnpm exec playwright test -c e2e/playwright.config.ts
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "@playwright/test";
import { BROWSER_ARGS } from "./chromium";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");

if (!process.env["TOPOLAB_E2E_PORT"]) {
  const code = "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})";
  process.env["TOPOLAB_E2E_PORT"] = execFileSync(process.execPath, ["-e", code], { encoding: "utf8" }).trim();
  process.env["TOPOLAB_E2E_STATE_DIR"] = mkdtempSync(join(tmpdir(), "topolab-e2e-"));
  process.env["TOPOLAB_E2E_TOKEN"] = `e2e-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}
const port = process.env["TOPOLAB_E2E_PORT"];
const home = join(process.env["TOPOLAB_E2E_STATE_DIR"]!, "home");
mkdirSync(home, { recursive: true });
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: here,
  testMatch: "*.spec.ts",
  outputDir: join(here, "test-results"),
  globalSetup: join(here, "global-setup.ts"),
  globalTeardown: join(here, "global-teardown.ts"),
  timeout: 90_000,
  expect: { timeout: 15_000 },
  fullyParallel: true,
  workers: 2,
  retries: process.env["CI"] ? 1 : 0,
  reporter: [["list"]],
  use: {
    baseURL,
    headless: true,
    viewport: { width: 1440, height: 900 },
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: { executablePath: "/usr/bin/chromium", args: BROWSER_ARGS },
  },
  webServer: {
    command: `node apps/server/bin/topolab.js serve --port ${port} --reconcile-only e2e`,
    cwd: root,
    url: `${baseURL}/api/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      TOPOLAB_TOKEN: process.env["TOPOLAB_E2E_TOKEN"]!,
      TOPOLAB_STATE_DIR: process.env["TOPOLAB_E2E_STATE_DIR"]!,
      // shells start in $HOME and source its .bashrc: an empty one inside the run's state
      // directory, so the machine's personal shell set-up is no part of the walk
      HOME: home,
    },
  },
});
