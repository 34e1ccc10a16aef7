// The instructor's watch in the browser (issue 15, item 3): a class of the ovs-pair lab, a
// student (Ada, a browser context of her own with her class cookie) joins; the teacher opens
// "Watch" from the grid: the lab page is read-only (banner, no palette, editing off) and Ada's
// edits appear live on it. Ada opens a shell and types: the teacher sees the output live; the
// teacher's typing has no effect. The teacher takes the shell over (Ada is told and her keys do
// nothing), types, gives it back (Ada types again, the teacher watches). Then the teacher takes
// over the lab itself and adds a node, which appears on Ada's canvas, and goes back to
// watching. The class ends; nothing of it is left in the kernel. Any page error fails the walk.

import type { Page } from "@playwright/test";
import { leftoversAfterSettling } from "@topolab/engine/testing";
import { test, expect, api, dropFromPalette, snap, typeIn } from "./helpers";

function watchErrors(page: Page, errors: string[], who: string): void {
  page.on("pageerror", (e) => errors.push(`${who}: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !/Failed to load resource/.test(m.text())) errors.push(`${who}: ${m.text()}`);
  });
}

/** The lab's node names, as the server has them. */
async function nodesOf(lab: string): Promise<string[]> {
  const r = await api("GET", `/labs/${lab}`);
  expect(r.status).toBe(200);
  return ((r.body as { document: { nodes: { name: string }[] } }).document.nodes ?? []).map((n) => n.name);
}

test("the teacher watches a student's lab live, read-only, takes a shell over, gives it back, and takes over the lab", async ({ page, browser }, testInfo) => {
  test.setTimeout(240_000);
  const errors: string[] = [];
  watchErrors(page, errors, "teacher");
  let code = "";
  let lab = "";
  try {
    await walk();
  } finally {
    // whatever happened, the class ends and its lab goes (a class that ended with a problem leaves its lab: removed here)
    if (code) {
      const r = await api("DELETE", `/classes/${code}`);
      if (r.status !== 204) console.log(`ending class ${code}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    if (lab && (await api("GET", `/labs/${lab}`)).status === 200) await api("DELETE", `/labs/${lab}`);
  }

  async function walk() {
    const created = await api("POST", "/classes", { name: "Watch 101", size: 3, source: { type: "template", id: "ovs-pair" } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    code = (created.body as { code: string }).code;

    // Ada joins in a browser of her own
    const context = await browser.newContext();
    const ada = await context.newPage();
    watchErrors(ada, errors, "Ada");
    await ada.goto(`/join/${code}`);
    await ada.getByTestId("join-name").fill("Ada");
    await ada.getByTestId("join-submit").click();
    await expect(ada).toHaveURL(/\/labs\/c[a-z2-9]{6}-\d+$/, { timeout: 60_000 });
    lab = new URL(ada.url()).pathname.split("/").pop()!;
    await expect(ada.getByTestId("node-red")).toBeVisible({ timeout: 60_000 });

    // the teacher watches her lab from the grid
    await page.goto(`/class/${code}`);
    await expect(page.getByTestId("student-Ada")).toHaveAttribute("data-state", "up", { timeout: 60_000 });
    await page.getByTestId("student-Ada").getByTestId("student-watch").click();
    await expect(page).toHaveURL(new RegExp(`/labs/${lab}/watch$`));
    const banner = page.getByTestId("watch-banner");
    await expect(banner).toContainText("watching Ada — read-only");
    await expect(page.getByTestId("lab-page")).toHaveAttribute("data-mode", "watch");
    await expect(page.getByTestId("palette")).toHaveCount(0);
    await expect(page.getByTestId("auto-layout")).toBeDisabled();
    await expect(page.getByTestId("exercise-add")).toHaveCount(0);
    await expect(page.getByTestId("node-red")).toBeVisible();

    // Ada's edit appears on the teacher's canvas, live
    const before = await nodesOf(lab);
    await dropFromPalette(ada, "host", { x: 650, y: 350 });
    await expect.poll(async () => (await nodesOf(lab)).length, { timeout: 30_000 }).toBe(before.length + 1);
    const added = (await nodesOf(lab)).find((n) => !before.includes(n))!;
    await expect(page.getByTestId(`node-${added}`)).toBeVisible({ timeout: 15_000 });
    // the inspector is readable but its fields are off
    await page.getByTestId("node-red").click();
    const zone = page.getByTestId("inspector-zone");
    await expect(zone).toHaveAttribute("data-read-only", "yes");
    await expect(zone.locator("input").first()).toBeDisabled();
    // a capture only reads: it stays
    await expect(zone.getByTestId("inspector-capture")).toBeEnabled();
    await expect(zone.locator('[data-testid^="inspector-if-"][data-testid$="-capture"]').first()).toBeEnabled();
    // a button not marked readOnlyOk is off like the fields
    await expect(zone.getByTestId("inspector-terminal")).toBeDisabled();
    await expect(zone.getByTestId("inspector-node-stop")).toBeDisabled();
    // its views stay readable: a tab other than the first opens
    const tabs = zone.getByRole("tab");
    if ((await tabs.count()) > 1) {
      await expect(tabs.nth(1)).toBeEnabled();
      await tabs.nth(1).click();
      await expect(tabs.nth(1)).toHaveAttribute("aria-selected", "true");
      await tabs.first().click();
    }
    await snap(page, testInfo, "teacher-watch-page");
    // the context menu offers only what reads: a shell shown, captures, the kernel's views
    await page.getByTestId("node-green").click({ button: "right" });
    await expect(page.getByTestId("context-menu-item-terminal")).toBeVisible();
    await expect(page.getByTestId("context-menu-item-duplicate")).toHaveCount(0);
    await expect(page.getByTestId("context-menu-item-delete")).toHaveCount(0);
    await expect(page.getByTestId("context-menu-item-capture-node")).toBeVisible();
    await expect(page.getByTestId("context-menu-item-edit")).toHaveCount(0);
    await expect(page.getByTestId("context-menu-item-node-stop")).toHaveCount(0);
    await page.keyboard.press("Escape");
    await expect(page.getByTestId("context-menu-item-terminal")).toHaveCount(0);
    // the keyboard: what looks works (the menu with what reads, help, Escape), what edits does
    // nothing (Delete on the selection, undo)
    await page.getByTestId("node-green").click();
    await page.keyboard.press("Delete");
    await page.keyboard.press("Control+z");
    await page.keyboard.press("Shift+F10");
    await expect(page.getByTestId("context-menu-item-terminal")).toBeFocused();
    await expect(page.getByTestId("context-menu-item-delete")).toHaveCount(0);
    await page.keyboard.press("Escape");
    await expect(page.getByTestId("context-menu")).toHaveCount(0);
    await page.keyboard.press("?");
    await expect(page.getByTestId("help")).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(page.getByTestId("help")).toHaveCount(0);
    await expect(page.getByTestId("node-green")).toBeVisible();
    expect(await nodesOf(lab)).toContain("green");

    // Ada opens a shell on red and types: the teacher sees it live, read-only
    await ada.getByTestId("node-terminal-red").click();
    await expect(ada.getByTestId("terminal-red")).toContainText(/[#$]/, { timeout: 30_000 });
    await typeIn(ada, "red", "echo hello-$((6*7))");
    await expect(ada.getByTestId("terminal-red")).toContainText("hello-42");
    await expect(page.getByTestId("terminal-tab-red")).toBeVisible({ timeout: 15_000 });
    await expect(page.getByTestId("terminal-red")).toContainText("hello-42", { timeout: 15_000 });
    await expect(page.getByTestId("terminal-watching-red")).toContainText("read-only");
    // Ada's tab says her shell is watched, and by whom
    await expect(ada.getByTestId("terminal-watched-red")).toHaveAttribute("title", /watched read-only by /);
    await typeIn(ada, "red", "echo more-$((7*7))");
    await expect(page.getByTestId("terminal-red")).toContainText("more-49");

    // the teacher's typing has no effect
    await typeIn(page, "red", "echo teacher-$((8*8))");
    await typeIn(ada, "red", "echo marker-$((9*9))");
    await expect(ada.getByTestId("terminal-red")).toContainText("marker-81");
    await expect(page.getByTestId("terminal-red")).toContainText("marker-81");
    await expect(ada.getByTestId("terminal-red")).not.toContainText("teacher-64");
    await expect(page.getByTestId("terminal-red")).not.toContainText("teacher-64");
    await snap(page, testInfo, "teacher-watching");

    // take over: Ada is told and watches; the teacher's keys reach the shell
    await page.getByTestId("terminal-takeover-red").click();
    await expect(page.getByTestId("terminal-taken-red")).toBeVisible();
    await expect(ada.getByTestId("terminal-watching-red")).toContainText("the instructor has taken over this terminal");
    await typeIn(page, "red", "echo took-$((2*3))");
    await expect(page.getByTestId("terminal-red")).toContainText("took-6");
    await expect(ada.getByTestId("terminal-red")).toContainText("took-6");
    await typeIn(ada, "red", "echo ada-$((5*11))");
    await typeIn(page, "red", "echo done-$((3*4))");
    await expect(ada.getByTestId("terminal-red")).toContainText("done-12");
    await expect(page.getByTestId("terminal-red")).not.toContainText("ada-55");
    await snap(ada, testInfo, "student-taken-over");
    // Ada reloads meanwhile: her page finds the shell again, still taken over, read-only
    await ada.reload();
    await expect(ada.getByTestId("terminal-watching-red")).toContainText("the instructor has taken over this terminal", { timeout: 30_000 });
    await expect(ada.getByTestId("terminal-red")).toContainText("done-12");

    // give back: Ada types again, the teacher watches
    await page.getByTestId("terminal-giveback-red").click();
    await expect(page.getByTestId("terminal-watching-red")).toBeVisible();
    await expect(ada.getByTestId("terminal-watching-red")).toHaveCount(0);
    await typeIn(ada, "red", "echo back-$((3*3))");
    await expect(ada.getByTestId("terminal-red")).toContainText("back-9");
    await expect(page.getByTestId("terminal-red")).toContainText("back-9");

    // take over the lab: the teacher edits, Ada sees it; back to watching
    await page.getByTestId("watch-takeover").click();
    await expect(banner).toHaveAttribute("data-mode", "edit");
    await expect(page.getByTestId("palette")).toBeVisible();
    const before2 = await nodesOf(lab);
    await dropFromPalette(page, "host", { x: 700, y: 150 });
    await expect.poll(async () => (await nodesOf(lab)).length, { timeout: 30_000 }).toBe(before2.length + 1);
    const byTeacher = (await nodesOf(lab)).find((n) => !before2.includes(n))!;
    await expect(ada.getByTestId(`node-${byTeacher}`)).toBeVisible({ timeout: 15_000 });
    await page.getByTestId("watch-release").click();
    await expect(banner).toHaveAttribute("data-mode", "watch");
    await expect(page.getByTestId("palette")).toHaveCount(0);
    await snap(page, testInfo, "teacher-back-to-watching");

    // "open normally": the ordinary lab page of the same lab, which still follows it (Ada's next edit shows)
    await page.getByRole("link", { name: "open normally" }).click();
    await expect(page).toHaveURL(new RegExp(`/labs/${lab}$`));
    await expect(page.getByTestId("watch-banner")).toHaveCount(0);
    await expect(page.getByTestId("palette")).toBeVisible();
    const before3 = await nodesOf(lab);
    await dropFromPalette(ada, "host", { x: 500, y: 120 });
    await expect.poll(async () => (await nodesOf(lab)).length, { timeout: 30_000 }).toBe(before3.length + 1);
    const third = (await nodesOf(lab)).find((n) => !before3.includes(n))!;
    await expect(page.getByTestId(`node-${third}`)).toBeVisible({ timeout: 15_000 });

    // the end: the class goes, nothing of Ada's lab is left
    const ended = await api("DELETE", `/classes/${code}`);
    expect(ended.status).toBe(204);
    code = "";
    expect((await api("GET", `/labs/${lab}`)).status).toBe(404);
    expect(await leftoversAfterSettling(lab)).toEqual([]);
    await context.close();
    expect(errors).toEqual([]);
  }
});
