// The kernel live on the canvas (issue 11): a student takes a link down from the canvas's
// context menu, the edge is drawn broken and the terminal's ping fails; brings it up and the
// ping passes; an address added by hand in a terminal shows in the Live panel's node tab
// within a second, is listed as drift, and put back; ping all draws the matrix.
import type { Page } from "@playwright/test";
import { api, createLab, expect, openLab, openTerminal, snap, test, typeIn } from "./helpers";

/** The live stylesheet's text (a <style> has no rendered text for toContainText). */
const liveCss = (page: Page) => expect.poll(() => page.getByTestId("live-style").evaluate((e) => e.textContent ?? ""), { timeout: 10_000 });

test("break and mend a link from the canvas, see a hand-made address live, ping all", async ({ page, labName }, testInfo) => {
  const lab = labName("live");
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await createLab(lab, { type: "template", id: "ovs-pair" });
  await openLab(page, lab);
  await expect(page.getByTestId("node-red")).toHaveAttribute("data-state", "up");
  await openTerminal(page, "red");

  // take red's link down from its context menu: the edge is drawn broken
  const id = "ovs1:eth1|red:eth0";
  const edge = page.locator(".react-flow__edge").filter({ has: page.getByTestId(`edge-${id}`) });
  await edge.locator("path").first().click({ button: "right", force: true });
  await page.getByTestId("context-menu-item-link-down").click();
  await liveCss(page).toContain(`[data-id="${id}"] .lab-edge { stroke: var(--live-broken`);
  await expect(edge.locator("path.lab-edge")).toHaveCSS("stroke-dasharray", "6px, 5px");
  await page.getByTestId("live-toggle").click();
  await expect(page.getByTestId(`live-link-${id}`)).toHaveAttribute("data-broken", "true");
  await expect(page.getByTestId(`live-link-${id}`)).toContainText("red:eth0 has no carrier");
  await expect(page.getByTestId(`live-link-${id}`)).toContainText("ovs1:eth1 is administratively down");
  await snap(page, testInfo, "link-down");
  await typeIn(page, "red", "ping -c 2 -W 1 10.0.0.2; echo PING1=$?");
  await expect(page.getByTestId("terminal-red")).toContainText("PING1=1", { timeout: 20_000 });

  // bring it up: drawn whole again, and the ping passes
  await edge.locator("path").first().click({ button: "right", force: true });
  await page.getByTestId("context-menu-item-link-up").click();
  await expect(page.getByTestId(`live-link-${id}`))
    .toHaveAttribute("data-broken", "false", { timeout: 10_000 })
    .catch(async (e: unknown) => {
      const toasts = await page.getByTestId("toast").allInnerTexts();
      throw new Error(`${(e as Error).message}\nlive panel: ${await page.getByTestId("live-panel").innerText()}\ntoasts: ${toasts.join(" | ")}`);
    });
  await liveCss(page).not.toContain(`[data-id="${id}"] .lab-edge { stroke: var(--live-broken`);
  await typeIn(page, "red", "for i in 1 2 3 4 5; do ping -c 1 -W 1 10.0.0.2 >/dev/null && break; done; ping -c 1 -W 2 10.0.0.2; echo PING2=$?");
  await expect(page.getByTestId("terminal-red")).toContainText("PING2=0", { timeout: 30_000 });

  // a hand-made address: in the node tab within a second, then drift, then put back
  await page.getByTestId("live-tab-node").click();
  await page.getByTestId("live-node-select").selectOption("red");
  await expect(page.getByTestId("live-iface-state-eth0")).toHaveText("UP");
  await typeIn(page, "red", "ip addr add 10.9.9.9/24 dev eth0; echo ADDED");
  await expect(page.getByTestId("terminal-red")).toContainText("ADDED");
  await expect(page.getByTestId("live-iface-addresses-eth0")).toContainText("10.9.9.9/24", { timeout: 1500 });
  await page.getByTestId("live-tab-drift").click();
  await expect(page.getByTestId("live-drift-item-address:red:eth0:10.9.9.9/24")).toContainText("made by hand");
  await snap(page, testInfo, "drift");
  await page.getByTestId("live-restore").click();
  await expect(page.getByTestId("live-drift-none")).toBeVisible({ timeout: 15_000 });

  // ping all: the matrix, every pair answered
  await page.getByTestId("live-tab-ping").click();
  await page.getByTestId("live-pingall").click();
  await expect(page.getByTestId("live-matrix")).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId("live-cell-red-green")).toHaveText("✓");
  await expect(page.getByTestId("live-cell-green-red")).toHaveText("✓");
  await page.getByTestId("live-cell-red-green").click();
  await expect(page.getByTestId("live-cell-detail")).toContainText("red → green: ping 10.0.0.2 answered");
  await liveCss(page).toContain("reaches 1/1");
  await snap(page, testInfo, "pingall");

  expect(errors).toEqual([]);
  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});
