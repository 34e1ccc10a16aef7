// Gestures and watchers the canvas and journey tests share beyond helpers.ts: linking by
// dropping onto a node's body (not its handle), collecting every page error and console
// error of a page, boxes that must not overlap, and screenshots kept as artefacts (and, with
// TOPOLAB_DOCS_SHOTS=1, written to docs/screenshots for the documentation).

import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page, TestInfo } from "@playwright/test";
import { expect } from "./helpers";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/**
 * Draws a link from one node's handle and drops it on another node's body, near its top-left corner:
 * far (more than xyflow's connection radius) from that node's handle dot.
 */
export async function linkOntoBody(page: Page, from: string, to: string): Promise<void> {
  const a = await page.getByTestId(`handle-${from}`).boundingBox();
  const b = await page.getByTestId(`node-${to}`).boundingBox();
  if (!a || !b) throw new Error(`no handle on ${from} or no node ${to}`);
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + 10, b.y + 8, { steps: 14 });
  await page.mouse.up();
}

/** Every uncaught page error and console error from now on; check with `expectNone`. */
export function watchErrors(page: Page): { errors: string[]; expectNone: (when: string) => void } {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console.error: ${m.text()}`);
  });
  return {
    errors,
    expectNone: (when) => expect(errors, `no page or console error ${when}`).toEqual([]),
  };
}

/** A screenshot kept with the test's results; with TOPOLAB_DOCS_SHOTS=1 also docs/screenshots/<docs>.png. */
export async function shot(page: Page, testInfo: TestInfo, name: string, docs?: string): Promise<void> {
  const path = testInfo.outputPath(`${String(testInfo.attachments.length + 1).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path });
  await testInfo.attach(name, { path, contentType: "image/png" });
  if (docs && process.env["TOPOLAB_DOCS_SHOTS"] === "1") {
    const dir = join(root, "docs/screenshots");
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, `${docs}.png`) });
  }
}
