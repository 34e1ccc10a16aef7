// A class in the browser (issue 15): the teacher opens a class from the router exercise on
// the home page; two students join in two browser contexts of their own (no token: the join
// link, a display name, their class cookie), each lands on their own lab and mends their
// router in their own terminal; the teacher's grid shows one green, then both. The teacher
// sends a message (the students see it), resets one student, ends the class: the students
// hear it and nothing of their labs is left in the kernel. Any page error fails the walk.

import type { Page } from "@playwright/test";
import { leftoversAfterSettling } from "@topolab/engine/testing";
import { test, expect, openTerminal, typeIn, snap, api } from "./helpers";

function watchErrors(page: Page, errors: string[], who: string): void {
  page.on("pageerror", (e) => errors.push(`${who}: ${e.message}`));
  page.on("console", (m) => {
    // a refused request is logged by Chromium as a console error: the lab page's first lab:open may race the lab
    if (m.type() === "error" && !/Failed to load resource/.test(m.text())) errors.push(`${who}: ${m.text()}`);
  });
}

test("a teacher runs a class of two: each student mends their own router, the grid lights up, reset, end", async ({ page, browser }, testInfo) => {
  test.setTimeout(240_000);
  const errors: string[] = [];
  watchErrors(page, errors, "teacher");

  // whatever happens, the class ends with the test (its labs go down)
  let code = "";
  test.info().annotations.push({ type: "class", description: "ended at the end" });
  const endClass = async () => {
    if (code) await api("DELETE", `/classes/${code}`);
  };
  try {
    await walk();
  } finally {
    await endClass();
  }

  async function walk() {
    // the teacher opens the class from the home page
    await page.goto("/");
    const form = page.getByTestId("classes");
    await expect(form).toBeVisible();
    await page.getByTestId("class-name").fill("Routing 101");
    await page.getByTestId("class-size").fill("5");
    await page.getByTestId("class-source").selectOption("template:exercise-router-forwarding");
    await page.getByTestId("class-create").click();
    await expect(page.getByTestId("class-grid")).toBeVisible();
    code = (await page.getByTestId("class-code").textContent())!.trim();
    expect(code).toMatch(/^[a-z2-9]{6}$/);
    const link = (await page.getByTestId("class-link").textContent())!.trim();
    expect(link).toContain(`/join/${code}`);

    // two students, each in a browser of their own, with the join link
    const students: { page: Page; name: string; lab: string }[] = [];
    for (const name of ["Ada", "Bob"]) {
      const context = await browser.newContext();
      const p = await context.newPage();
      watchErrors(p, errors, name);
      await p.goto(link);
      await p.getByTestId("join-name").fill(name);
      await p.getByTestId("join-submit").click();
      await expect(p).toHaveURL(/\/labs\/c[a-z2-9]{6}-\d+$/, { timeout: 60_000 });
      await expect(p.getByTestId("lab-title")).toBeVisible();
      const lab = new URL(p.url()).pathname.split("/").pop()!;
      await expect(p.getByTestId("class-banner")).toContainText("Routing 101");
      students.push({ page: p, name, lab });
    }
    expect(students[0]!.lab).not.toBe(students[1]!.lab);
    await expect(page.getByTestId("student-Ada")).toHaveAttribute("data-state", "up");
    await expect(page.getByTestId("student-Bob")).toHaveAttribute("data-state", "up");
    await expect(page.getByTestId("student-Ada").locator("[data-online]")).toHaveAttribute("data-online", "yes");
    await expect(page.getByTestId("student-Ada").getByTestId("lights")).toHaveAttribute("data-all-pass", "no", { timeout: 30_000 });
    await snap(page, testInfo, "class-grid-red");

    // the teacher opens Bob's lab from the grid, sees whose it is, and goes back
    await page.getByTestId("student-Bob").getByTestId("student-open").click();
    await expect(page.getByTestId("lab-title")).toHaveText(/^c[a-z2-9]{6}-2$/);
    await expect(page.getByTestId("class-watching")).toContainText("Bob");
    await page.getByTestId("class-watching").getByRole("link").click();
    await expect(page.getByTestId("class-grid")).toBeVisible();

    // a student's home is their lab; another's lab is not found
    const [ada, bob] = students as [(typeof students)[0], (typeof students)[0]];
    const other = await ada.page.request.get(`/api/labs/${bob.lab}`);
    expect(other.status()).toBe(404);

    // Ada mends her router in her own terminal: one green, Bob still red
    await openTerminal(ada.page, "r");
    await typeIn(ada.page, "r", "sysctl -w net.ipv4.ip_forward=1");
    await expect(ada.page.getByTestId("terminal-r")).toContainText("net.ipv4.ip_forward = 1");
    await expect(page.getByTestId("student-Ada").getByTestId("lights")).toHaveAttribute("data-all-pass", "yes", { timeout: 30_000 });
    await expect(page.getByTestId("student-Bob").getByTestId("lights")).toHaveAttribute("data-all-pass", "no");
    await snap(page, testInfo, "class-grid-one-green");

    // then Bob: both green
    await openTerminal(bob.page, "r");
    await typeIn(bob.page, "r", "sysctl -w net.ipv4.ip_forward=1");
    await expect(page.getByTestId("student-Bob").getByTestId("lights")).toHaveAttribute("data-all-pass", "yes", { timeout: 30_000 });
    await expect(page.getByTestId("student-Ada").getByTestId("lights")).toHaveAttribute("data-all-pass", "yes");
    await snap(page, testInfo, "class-grid-green");

    // a message to the class
    await page.getByTestId("class-message-input").fill("Ten minutes left");
    await page.getByTestId("class-message-send").click();
    await expect(bob.page.getByTestId("class-message")).toContainText("Ten minutes left");
    await snap(bob.page, testInfo, "student-message");

    // the teacher resets Ada: her lights go red again, Bob's stay green
    await page.getByTestId("student-Ada").getByTestId("student-reset").click();
    await expect(page.getByTestId("student-Ada").getByTestId("lights")).toHaveAttribute("data-all-pass", "no", { timeout: 30_000 });
    await expect(page.getByTestId("student-Bob").getByTestId("lights")).toHaveAttribute("data-all-pass", "yes");

    // the end of the class: the students hear it, nothing of their labs is left
    page.once("dialog", (d) => void d.accept());
    await page.getByTestId("class-end").click();
    await expect(page).toHaveURL(/\/$/, { timeout: 60_000 });
    await expect(ada.page.getByTestId("class-ended")).toBeVisible();
    for (const s of students) {
      expect((await api("GET", `/labs/${s.lab}`)).status).toBe(404);
      expect(await leftoversAfterSettling(s.lab)).toEqual([]);
      await s.page.context().close();
    }
    expect((await api("GET", `/classes/${code}`)).status).toBe(404);
    code = "";
    expect(errors).toEqual([]);
  }
});
