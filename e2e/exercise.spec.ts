// Exercises in the browser: a student starts the router exercise from the home page, sees its
// checks red, turns forwarding on in the router's terminal and sees them turn green without
// reloading; a teacher adds a check in the editor (a bad one is refused in place), and "start
// over" brings the red lights back. Any page error fails the walk.

import { test, expect, openTerminal, typeIn, snap, api } from "./helpers";

test("a student mends the router exercise and watches the checks turn green; a teacher edits it; start over", async ({ page, labName }, testInfo) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  const lab = labName("exr");

  await page.goto("/");
  const card = page.getByTestId("template-exercise-router-forwarding");
  await expect(card).toBeVisible();
  await expect(page.getByTestId("exercises")).toContainText("The router that does not route");
  // the exercise under the test's own name, so that it is cleaned up with the test
  const r = await api("POST", "/labs", { name: lab, source: { type: "template", id: "exercise-router-forwarding" } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await page.goto(`/labs/${lab}`);

  const panel = page.getByTestId("exercise-panel");
  await expect(panel).toBeVisible();
  await expect(page.getByTestId("exercise-title")).toHaveText("The router that does not route");
  await expect(page.getByTestId("exercise-task")).toContainText("ns0");
  await expect(page.getByTestId("check-forwarding")).toHaveAttribute("data-status", "fail", { timeout: 15_000 });
  await expect(page.getByTestId("check-ns0-ns1")).toHaveAttribute("data-status", "fail");
  await expect(page.getByTestId("check-hosts-route")).toHaveAttribute("data-status", "pass");
  await expect(page.getByTestId("exercise-score")).toHaveText("1/4");

  // hovering a check lights its nodes; a hint on request
  await page.getByTestId("check-ns0-ns1").hover();
  await expect(page.locator('.react-flow__node[data-id="ns0"]')).toHaveClass(/exercise-highlight/);
  await page.getByTestId("show-hint-forwarding").click();
  await expect(page.getByTestId("hint-forwarding")).toContainText("sysctl");
  await snap(page, testInfo, "exercise-red");

  // the student's fix, in the router's terminal
  await openTerminal(page, "r");
  await typeIn(page, "r", "sysctl -w net.ipv4.ip_forward=1");
  await expect(page.getByTestId("check-ns0-ns1")).toHaveAttribute("data-status", "pass", { timeout: 15_000 });
  await expect(page.getByTestId("check-forwarding")).toHaveAttribute("data-status", "pass");
  await expect(page.getByTestId("exercise-done")).toBeVisible();
  await expect(page.getByTestId("exercise-score")).toHaveText("4/4");
  await snap(page, testInfo, "exercise-green");

  // the teacher: a check with a node that does not exist is refused in place, then a good one is saved
  await page.getByTestId("exercise-edit").click();
  await expect(page.getByTestId("exercise-editor")).toBeVisible();
  await page.getByTestId("exercise-new-kind").selectOption("listen");
  await page.getByTestId("exercise-add-check").click();
  await page.getByTestId("edit-check-4-description").fill("nothing listens on port 22 in ns1");
  await page.getByTestId("edit-check-4-port").fill("22");
  await page.getByTestId("exercise-save").click();
  await expect(page.getByTestId("exercise-field-issue").first()).toContainText("is required");
  // pick the node from the canvas
  await page.locator('.react-flow__node[data-id="ns1"]').click();
  await page.getByTestId("edit-check-4-node-pick").click();
  await expect(page.getByTestId("edit-check-4-node")).toHaveValue("ns1");
  await page.getByTestId("edit-check-4-expect").selectOption("failure");
  await page.getByTestId("exercise-save").click();
  await expect(page.getByTestId("exercise-editor")).toHaveCount(0);
  await expect(page.getByTestId("check-c5")).toHaveAttribute("data-status", "pass", { timeout: 15_000 });
  await expect(page.getByTestId("exercise-score")).toHaveText("5/5");

  // hide and show the panel
  await page.getByTestId("exercise-close").click();
  await expect(page.getByTestId("exercise-open")).toContainText("5/5");
  await page.getByTestId("exercise-open").click();

  // start over: red again, the teacher's check kept
  page.once("dialog", (d) => void d.accept());
  await page.getByTestId("exercise-reset").click();
  await expect(page.getByTestId("check-forwarding")).toHaveAttribute("data-status", "fail", { timeout: 30_000 });
  await expect(page.getByTestId("check-c5")).toBeVisible();
  await snap(page, testInfo, "exercise-reset");

  // and back home and in again, nothing broken
  await page.getByTestId("nav-home").click();
  await page.goto(`/labs/${lab}`);
  await expect(page.getByTestId("check-forwarding")).toHaveAttribute("data-status", "fail", { timeout: 15_000 });
  expect(errors).toEqual([]);
  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});
