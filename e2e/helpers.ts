// What the end-to-end tests share: a browser context that carries the server's access token
// (its cookie), lab names of their own, the labs each test made removed after it and proved
// gone from the kernel, the REST API and the CLI on the server's state directory, and the
// gestures (drag from the palette, link two nodes, type in a terminal).

import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test as base, type Browser, type BrowserContext, type Locator, type Page, type TestInfo } from "@playwright/test";
import { leftoversAfterSettling } from "@topolab/engine/testing";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const port = process.env["TOPOLAB_E2E_PORT"]!;
export const token = process.env["TOPOLAB_E2E_TOKEN"]!;
export const stateDir = process.env["TOPOLAB_E2E_STATE_DIR"]!;
export const origin = `http://127.0.0.1:${port}`;

/** `topolab ARGS` on the tests' state directory: its stdout. */
export function cli(args: string[]): string {
  return execFileSync(process.execPath, [join(root, "apps/server/bin/topolab.js"), ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, TOPOLAB_STATE_DIR: stateDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export interface LabStatus {
  name: string;
  running: boolean;
  nodes: { name: string; state: string; namespace?: string; interfaces: { name: string; addresses: string[]; state: string }[] }[];
}

/** `topolab status LAB --json`: the kernel's view, read by the CLI (not through the server). */
export function kernelStatus(lab: string): LabStatus {
  return JSON.parse(cli(["status", lab, "--json"])) as LabStatus;
}

export async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${origin}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
}

/** A context whose requests carry the access token as the server's cookie. */
export async function authedContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  await addToken(context);
  return context;
}

async function addToken(context: BrowserContext): Promise<void> {
  await context.addCookies([{ name: `topolab-${port}`, value: token, domain: "127.0.0.1", path: "/", httpOnly: true, sameSite: "Strict" }]);
}

interface Fixtures {
  /** a new lab name for this test; every lab named through it is removed after the test */
  labName: (what: string) => string;
}

export const test = base.extend<Fixtures>({
  context: async ({ context }, use) => {
    await addToken(context);
    await use(context);
  },
  // oxlint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern
  labName: async ({}, use, testInfo) => {
    const made: string[] = [];
    await use((what) => {
      const name = `e2e-${what}-${Math.random().toString(36).slice(2, 6)}`.slice(0, 32);
      made.push(name);
      return name;
    });
    // the test removed its labs through the UI or the API; whatever is left goes now, and
    // then nothing of them may be left in the kernel
    const left: string[] = [];
    for (const lab of made) {
      const r = await api("DELETE", `/labs/${lab}`);
      if (r.status === 204 && testInfo.status === "passed") left.push(`lab ${lab} was still there after the test`);
      left.push(...(await leftoversAfterSettling(lab)).map((l) => `${lab}: ${l}`));
    }
    expect(left, "nothing of the test's labs is left in the kernel").toEqual([]);
  },
});
export { expect };

/** Makes a lab through the API (blank, or from a template) and waits until it is up. */
export async function createLab(name: string, source: { type: "blank" } | { type: "template"; id: string }): Promise<void> {
  const r = await api("POST", "/labs", { name, source });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
}

export async function openLab(page: Page, lab: string): Promise<void> {
  await page.goto(`/labs/${lab}`);
  await expect(page.getByTestId("lab-title")).toHaveText(lab);
}

/** Drags a palette item onto the canvas, at a point of the canvas. */
export async function dropFromPalette(page: Page, kind: string, at: { x: number; y: number }): Promise<void> {
  await page.getByTestId(`palette-${kind}`).dragTo(page.getByTestId("canvas"), { targetPosition: at });
}

/** Draws a link from one node's handle to another's, as a person does with the mouse. */
export async function link(page: Page, from: string, to: string): Promise<void> {
  // a press that missed the handle (the node grew after it was measured, as a neighbour's
  // addresses arrived) starts no connection line, and so no link: let go and press again
  for (let attempt = 1; ; attempt++) {
    const a = await steadyBox(page, `handle-${from}`);
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move(a.x + a.width / 2 + 4, a.y + a.height / 2 + 4);
    if ((await page.locator(".react-flow__connectionline").count()) > 0) break;
    await page.mouse.up();
    if (attempt === 3) throw new Error(`pressing ${from}'s handle started no link, ${attempt} times`);
  }
  const b = await steadyBox(page, `handle-${to}`);
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
  // the target may have moved during the drag: end on where it is now
  const end = await steadyBox(page, `handle-${to}`);
  if (end.x !== b.x || end.y !== b.y) await page.mouse.move(end.x + end.width / 2, end.y + end.height / 2, { steps: 4 });
  await page.mouse.up();
}

/**
 * Opens a link's context menu with a right-click on its line, as a person does, and waits for
 * `item` in it. The line moves while its nodes grow (the kernel's addresses arriving on their
 * labels), and a click where it was lands on the canvas and opens the canvas's menu: so the
 * line is clicked once it stands still, and again (after Escape) if the item did not come.
 */
export async function openLinkMenu(page: Page, id: string, item: string): Promise<void> {
  const path = page
    .locator(".react-flow__edge")
    .filter({ has: page.getByTestId(`edge-${id}`) })
    .locator("path")
    .first();
  for (let attempt = 1; ; attempt++) {
    await steadyBox(page, path);
    await path.click({ button: "right", force: true });
    try {
      await expect(page.getByTestId(`context-menu-item-${item}`)).toBeVisible({ timeout: 3000 });
      return;
    } catch (e) {
      if (attempt === 3) throw e;
      await page.keyboard.press("Escape");
    }
  }
}

/**
 * A test id's box once it stands still (two reads 100 ms apart agree): a node grows as the
 * kernel's addresses arrive on its labels, and a press where its handle was pans the canvas.
 */
async function steadyBox(page: Page, testId: string | Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  const locator = typeof testId === "string" ? page.getByTestId(testId) : testId;
  let last = await locator.boundingBox();
  for (let i = 0; i < 50; i++) {
    await page.waitForTimeout(100);
    const now = await locator.boundingBox();
    if (now && last && now.x === last.x && now.y === last.y && now.width === last.width && now.height === last.height) return now;
    last = now;
  }
  throw new Error(`${typeof testId === "string" ? testId : String(locator)} did not stand still (or is not there) for 5 s`);
}

/** Types a command line into a node's terminal. */
export async function typeIn(page: Page, node: string, line: string): Promise<void> {
  await page.getByTestId(`terminal-${node}`).click();
  await page.keyboard.type(line);
  await page.keyboard.press("Enter");
}

/** Opens a terminal on a node with its Terminal button and waits for its shell's prompt. */
export async function openTerminal(page: Page, node: string): Promise<void> {
  await page.getByTestId(`node-terminal-${node}`).click();
  await expect(page.getByTestId(`terminal-tab-${node}`)).toBeVisible();
  await expect(page.getByTestId(`terminal-${node}`)).toContainText(/[#$]/);
}

/** A screenshot kept with the test's results (e2e/test-results), and attached to its report. */
export async function snap(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path });
  await testInfo.attach(name, { path, contentType: "image/png" });
}
