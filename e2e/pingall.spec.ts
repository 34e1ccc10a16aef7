// Ping all's matrix, cell by cell (issue 11 item 6): three hosts on an OVS switch, c made by hand
// to ignore echoes (its namespace's net.ipv4.icmp_echo_ignore_all, through `topolab exec`).
// Ping all; a click on an answered cell opens its detail (source → target, the address, what
// fping saw with its round trip, fping's raw line); "Ping again" runs a real ping -c 3 whose
// output is shown verbatim; Escape closes it and gives the focus back to the cell. The failed
// pair, reached with the arrow keys and opened with Enter, shows 100 % loss both in ping all and pinged
// again; Close shuts it. No page error on the way.
import type { Page } from "@playwright/test";
import { api, cli, expect, openLab, snap, test } from "./helpers";

async function tab(page: Page, name: string): Promise<void> {
  await page.getByTestId(`inspector-tab-${name}`).click();
  await expect(page.getByTestId(`inspector-tab-${name}`)).toHaveAttribute("aria-selected", "true");
}

test("ping all: a cell's output, ping again, a failed pair with 100 % loss", async ({ page, labName }, testInfo) => {
  test.setTimeout(240_000);
  const lab = labName("pc");
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const text = [
    `name: ${lab}`,
    "nodes:",
    "  - { name: s1, kind: switch, position: { x: 250, y: 40 } }",
    "  - { name: a, kind: host, interfaces: { eth0: { addresses: [10.73.0.1/24] } }, position: { x: 100, y: 220 } }",
    "  - { name: b, kind: host, interfaces: { eth0: { addresses: [10.73.0.2/24] } }, position: { x: 250, y: 220 } }",
    "  - { name: c, kind: host, interfaces: { eth0: { addresses: [10.73.0.3/24] } }, position: { x: 400, y: 220 } }",
    "links:",
    "  - endpoints: [a:eth0, s1:eth1]",
    "  - endpoints: [b:eth0, s1:eth2]",
    "  - endpoints: [c:eth0, s1:eth3]",
  ].join("\n");
  const made = await api("POST", "/labs", { name: lab, source: { type: "file", text } });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  try {
    // c ignores every echo, by hand: a → c and b → c get no answer
    cli(["exec", lab, "c", "--", "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1"]);
    await openLab(page, lab);
    await expect(page.getByTestId("node-c")).toHaveAttribute("data-state", "up", { timeout: 30_000 });
    await page.locator(".react-flow__pane").click({ position: { x: 8, y: 8 } });
    await expect(page.getByTestId("inspector-lab")).toBeVisible();
    await tab(page, "ping");
    await page.getByTestId("live-pingall").click();
    await expect(page.getByTestId("live-matrix")).toBeVisible({ timeout: 90_000 });
    await expect(page.getByTestId("live-cell-a-b")).toHaveText("✓");
    await expect(page.getByTestId("live-cell-a-c")).toHaveText("✗");
    await expect(page.getByTestId("live-cell-c-a")).toHaveText("✓");
    await expect(page.getByTestId("live-pingall-summary")).toHaveText("4/6 received, 33% dropped");

    // an answered pair: what fping saw, its line, then a real ping again, verbatim
    await page.getByTestId("live-cell-a-b").click();
    const detail = page.getByTestId("live-cell-detail");
    await expect(detail).toBeFocused();
    await expect(page.getByTestId("live-cell-title")).toHaveText("a → b: ping 10.73.0.2 answered");
    await expect(detail).toContainText("b at 10.73.0.2");
    await expect(page.getByTestId("live-cell-summary")).toHaveText(/^1 reply to at most 2 echoes \(1 round\), rtt [\d.]+ ms$/);
    await expect(page.getByTestId("live-cell-lines")).toContainText(
      /\[round 1: fping -e -r 1 -t 1000 -i 1 10\.73\.0\.2\]\n10\.73\.0\.2 is alive \([\d.]+ ms\)/,
    );
    await page.getByTestId("live-cell-ping").click();
    const out = page.getByTestId("live-cell-ping-output");
    await expect(out).toContainText("PING 10.73.0.2 (10.73.0.2) 56(84) bytes of data.", { timeout: 30_000 });
    await expect(out).toContainText(/64 bytes from 10\.73\.0\.2: icmp_seq=3 ttl=64 time=[\d.]+ ms/);
    await expect(out).toContainText("3 packets transmitted, 3 received, 0% packet loss");
    await expect(page.getByTestId("live-cell-ping-stats")).toHaveText(/^3\/3 received, 0% loss, rtt avg [\d.]+ ms$/);
    await expect(detail).toContainText("in a: ping -c 3 -W 1 10.73.0.2");
    await snap(page, testInfo, "pingall-cell");
    await page.keyboard.press("Escape");
    await expect(detail).toHaveCount(0);
    await expect(page.getByTestId("live-cell-a-b")).toBeFocused();

    // the failed pair, from the keyboard: the arrows move between cells (past the diagonal), Enter opens
    await page.keyboard.press("ArrowDown");
    await expect(page.getByTestId("live-cell-c-b")).toBeFocused();
    await page.keyboard.press("ArrowLeft");
    await expect(page.getByTestId("live-cell-c-a")).toBeFocused();
    await page.keyboard.press("ArrowUp");
    await expect(page.getByTestId("live-cell-b-a")).toBeFocused();
    await page.keyboard.press("ArrowRight");
    await expect(page.getByTestId("live-cell-b-c")).toBeFocused();
    await page.keyboard.press("ArrowUp");
    await expect(page.getByTestId("live-cell-a-c")).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(page.getByTestId("live-cell-title")).toHaveText("a → c: ping 10.73.0.3 got no answer");
    await expect(page.getByTestId("live-cell-summary")).toHaveText(/^\d+ sent, 0 received, 100% loss \(\d+ rounds\)$/);
    await expect(page.getByTestId("live-cell-lines")).toContainText("10.73.0.3 is unreachable");
    await page.getByTestId("live-cell-ping").click();
    await expect(page.getByTestId("live-cell-ping-output")).toContainText("3 packets transmitted, 0 received, 100% packet loss", { timeout: 30_000 });
    await expect(page.getByTestId("live-cell-ping-stats")).toHaveText("0/3 received, 100% loss");
    await snap(page, testInfo, "pingall-failed-cell");
    await page.getByTestId("live-cell-close").click();
    await expect(page.getByTestId("live-cell-detail")).toHaveCount(0);

    // the pings are in the lab's command log (the dock's Commands tab), the failed one marked so
    await page.getByTestId("dock-toggle").click();
    await page.getByTestId("dock-tab-log").click();
    await expect(page.getByTestId("command-log")).toBeVisible();
    await expect(page.getByTestId("log-entry").filter({ hasText: "ping -c 3 -W 1 10.73.0.2" }).first()).toHaveAttribute("data-ok", "true");
    await expect(page.getByTestId("log-entry").filter({ hasText: "ping -c 3 -W 1 10.73.0.3" }).first()).toHaveAttribute("data-ok", "false");

    await page.getByTestId("nav-home").click();
    await expect(page.getByTestId("lab-page")).toHaveCount(0);
    expect(errors).toEqual([]);
  } finally {
    expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
  }
});
