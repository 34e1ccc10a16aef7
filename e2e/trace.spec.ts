// Trace on the canvas (issue 11): two hosts selected (click, shift-click), the toolbar's Trace:
// the path is drawn along the links it crossed, through both switches and the router, each link
// with its hop's number, and the panel lists the hops; r1's forwarding turned off in its
// terminal, the same trace again stops at r1, marked with the reason, the link it should have
// crossed dashed; Esc clears it; the node menu's "Trace to…" and a click on the second host
// trace again; forwarding back on, the trace passes. No page error along the way.
import type { Page } from "@playwright/test";
import { api, expect, openLab, openTerminal, snap, test, typeIn } from "./helpers";

const LAB = (name: string) => `
version: 1
name: ${name}
nodes:
  - { name: h1, kind: host, interfaces: { eth0: { addresses: [10.1.10.2/24] } }, routes: [{ to: default, via: 10.1.10.1 }], position: { x: 40, y: 200 } }
  - { name: s1, kind: switch, position: { x: 220, y: 60 } }
  - { name: r1, kind: router, interfaces: { eth0: { addresses: [10.1.10.1/24] }, eth1: { addresses: [10.1.20.1/24] } }, position: { x: 420, y: 200 } }
  - { name: s2, kind: switch, position: { x: 620, y: 60 } }
  - { name: h2, kind: host, interfaces: { eth0: { addresses: [10.1.20.2/24] } }, routes: [{ to: default, via: 10.1.20.1 }], position: { x: 800, y: 200 } }
links:
  - endpoints: [h1:eth0, s1:eth1]
  - endpoints: [s1:eth2, r1:eth0]
  - endpoints: [r1:eth1, s2:eth1]
  - endpoints: [s2:eth2, h2:eth0]
`;

const PATH = ["h1:eth0|s1:eth1", "r1:eth0|s1:eth2", "r1:eth1|s2:eth1", "h2:eth0|s2:eth2"];

/** The trace's stylesheet text (a <style> has no rendered text for toContainText). */
const traceCss = (page: Page) => expect.poll(() => page.getByTestId("trace-style").evaluate((e) => e.textContent ?? ""), { timeout: 10_000 });
const edgePath = (page: Page, id: string) => page.locator(`.react-flow__edge[data-id="${id}"] path.lab-edge`);

async function clickNode(page: Page, node: string, shift = false): Promise<void> {
  await page
    .getByTestId(`node-${node}`)
    .locator(".lab-node-name")
    .click(shift ? { modifiers: ["Shift"] } : {});
}

test("select two hosts and trace: the path drawn on the links; forwarding off in a terminal: the stop marked", async ({ page, labName }, testInfo) => {
  test.setTimeout(180_000);
  const lab = labName("tr");
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const made = await api("POST", "/labs", { name: lab, source: { type: "file", text: LAB(lab) } });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  await openLab(page, lab);
  for (const n of ["h1", "r1", "h2"]) await expect(page.getByTestId(`node-${n}`)).toHaveAttribute("data-state", "up", { timeout: 30_000 });

  // nothing or one host selected: Trace waits for two
  await expect(page.getByTestId("trace-button")).toBeDisabled();
  await clickNode(page, "h1");
  await expect(page.getByTestId("trace-button")).toBeDisabled();
  await clickNode(page, "h2", true);
  await expect(page.getByTestId("trace-button")).toHaveText("Trace h1 → h2");
  await page.getByTestId("trace-button").click();

  // reached: through s1, r1 and s2, each link highlighted with its hop's number
  await expect(page.getByTestId("trace-summary")).toHaveText("h1 → h2 (10.1.20.2): reached in 2 hops", { timeout: 30_000 });
  await expect(page.getByTestId("trace-hop-1")).toContainText("r1:eth0");
  await expect(page.getByTestId("trace-hop-1")).toContainText("10.1.10.1");
  await expect(page.getByTestId("trace-hop-1")).toContainText("s1");
  await expect(page.getByTestId("trace-hop-2")).toContainText("h2:eth0");
  for (const id of PATH) await traceCss(page).toContain(`[data-id="${id}"] .lab-edge { stroke: var(--trace, #7b3fe4)`);
  await expect(edgePath(page, PATH[0]!)).toHaveCSS("stroke", "rgb(123, 63, 228)");
  await expect(edgePath(page, PATH[3]!)).toHaveCSS("stroke-width", "4px");
  await expect(page.getByTestId(`trace-badge-${PATH[0]}`)).toHaveText("1");
  await expect(page.getByTestId(`trace-badge-${PATH[1]}`)).toHaveText("1");
  await expect(page.getByTestId(`trace-badge-${PATH[2]}`)).toHaveText("2");
  await expect(page.getByTestId(`trace-badge-${PATH[3]}`)).toHaveText("2");
  await expect(page.getByTestId(`trace-badge-${PATH[0]}`)).toHaveAttribute("title", /hop 1: h1:eth0 → s1 → r1:eth0, .* ms, by the switches' MAC tables/);
  await expect(page.locator('[data-testid^="trace-stop-"]')).toHaveCount(0);
  await snap(page, testInfo, "trace-reached");

  // break forwarding in r1's terminal, trace again: it stops at r1 and says why
  await openTerminal(page, "r1");
  await typeIn(page, "r1", "sysctl -w net.ipv4.ip_forward=0");
  await expect(page.getByTestId("terminal-r1")).toContainText("net.ipv4.ip_forward = 0");
  await page.getByTestId("trace-again").click();
  await expect(page.getByTestId("trace-summary")).toHaveText("h1 → h2 (10.1.20.2): stopped at r1", { timeout: 30_000 });
  await expect(page.getByTestId("trace-reason")).toHaveAttribute("data-code", "forwarding-off");
  await expect(page.getByTestId("trace-stop-r1")).toContainText("r1 does not forward IPv4 (net.ipv4.ip_forward = 0)");
  // the silent hops as one row
  await expect(page.getByTestId("trace-hop-1")).toContainText("1–8");
  await expect(page.getByTestId("trace-hop-1")).toContainText("no answer");
  await expect(page.getByTestId("trace-hop-2")).toHaveCount(0);
  // the links it should have crossed: dashed red, no longer the path's colour; the far side not drawn
  await traceCss(page).toContain(`[data-id="${PATH[0]}"] .lab-edge { stroke: var(--trace-stop, #d33)`);
  await expect(edgePath(page, PATH[1]!)).toHaveCSS("stroke-dasharray", "4px, 5px");
  await expect(page.getByTestId(`trace-badge-${PATH[1]}`)).toHaveText("?");
  await expect(page.getByTestId(`trace-badge-${PATH[2]}`)).toHaveCount(0);
  await expect(edgePath(page, PATH[3]!)).not.toHaveCSS("stroke", "rgb(123, 63, 228)");
  await snap(page, testInfo, "trace-stopped");

  // Esc clears the trace: no rule, no badge, no panel
  await page.locator(".react-flow__pane").click({ position: { x: 8, y: 8 } });
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("trace-panel")).toHaveCount(0);
  await traceCss(page).toBe("");
  await expect(page.locator('[data-testid^="trace-badge-"]')).toHaveCount(0);

  // the node menu: Trace to…, then a click on h2
  await page.getByTestId("node-h1").locator(".lab-node-name").click({ button: "right" });
  await page.getByTestId("context-menu-item-trace-to").click();
  await expect(page.getByTestId("trace-pick")).toContainText("Trace from h1");
  await clickNode(page, "h2");
  await expect(page.getByTestId("trace-pick")).toHaveCount(0);
  await expect(page.getByTestId("trace-summary")).toHaveText("h1 → h2 (10.1.20.2): stopped at r1", { timeout: 30_000 });

  // forwarding on again: the same trace passes, the stop mark goes
  await typeIn(page, "r1", "sysctl -w net.ipv4.ip_forward=1");
  await expect(page.getByTestId("terminal-r1")).toContainText("net.ipv4.ip_forward = 1");
  await page.getByTestId("trace-again").click();
  await expect(page.getByTestId("trace-summary")).toHaveText("h1 → h2 (10.1.20.2): reached in 2 hops", { timeout: 30_000 });
  await expect(page.locator('[data-testid^="trace-stop-"]')).toHaveCount(0);
  // the way back, from the panel
  await page.getByTestId("trace-back").click();
  await expect(page.getByTestId("trace-summary")).toHaveText("h2 → h1 (10.1.10.2): reached in 2 hops", { timeout: 30_000 });
  await expect(page.getByTestId(`trace-badge-${PATH[3]}`)).toHaveText("1");
  await page.getByTestId("trace-close").click();
  await expect(page.getByTestId("trace-panel")).toHaveCount(0);

  expect(errors).toEqual([]);
  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});
