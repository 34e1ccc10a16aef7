// Issue 13, walked in Chromium: a shell whose browser tab was closed is listed to another
// browser on the lab (who opened it, since when) and joined there with its scrollback (item 5);
// a router with both links in one subnet is flagged in the inspector, and a routed lab drawn
// from a blank one with automatic addresses only routes (item 3).

import type { Page } from "@playwright/test";
import { api, authedContext, createLab, expect, link, openLab, openTerminal, snap, test, typeIn } from "./helpers";

/** Page errors fail the walk. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  return errors;
}

test("a closed tab's shell is listed to another browser, who joins it with its scrollback", async ({ browser, labName }, testInfo) => {
  const lab = labName("ad-join");
  await createLab(lab, { type: "template", id: "ovs-pair" });

  const first = await authedContext(browser);
  const a = await first.newPage();
  const errorsA = watchErrors(a);
  await openLab(a, lab);
  await openTerminal(a, "red");
  const marker = `left-behind-${Date.now()}`;
  await typeIn(a, "red", `echo ${marker} | tr a-z A-Z; echo PID=$$`);
  await expect(a.getByTestId("terminal-red")).toContainText(marker.toUpperCase());
  const pid = Number((await a.getByTestId("terminal-red").innerText()).match(/PID=(\d+)/)?.[1]);
  expect(pid).toBeGreaterThan(1);
  expect(errorsA).toEqual([]);
  await first.close(); // the tab is gone, its sessionStorage with it

  const second = await authedContext(browser);
  const b = await second.newPage();
  const errorsB = watchErrors(b);
  await openLab(b, lab);
  await b.getByTestId("dock-running").click();
  const entry = b.getByTestId("running-red");
  await expect(entry).toHaveCount(1);
  await expect(entry).toContainText(/opened by Headless Chrome on Linux \(127\.0\.0\.1\) at/);
  await expect(entry).toContainText(/no browser holds it since/);
  await snap(b, testInfo, "running-shells");
  await b.getByTestId("running-join-red").click();
  await expect(b.getByTestId("terminal-tab-red")).toBeVisible();
  await expect(b.getByTestId("terminal-red")).toContainText(marker.toUpperCase());
  await typeIn(b, "red", "echo joined-$((6*7)) $$");
  await expect(b.getByTestId("terminal-red")).toContainText(`joined-42 ${pid}`);
  // listed again: now held by this tab
  await b.getByTestId("dock-running").click();
  await expect(b.getByTestId("running-red")).toContainText("open in this tab");
  await snap(b, testInfo, "joined");
  await b.getByTestId("running-close").click();
  await expect(b.getByTestId("running-shells")).toHaveCount(0);
  expect(errorsB).toEqual([]);
  await second.close();
  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});

test("a router with both links in one subnet is flagged in the inspector", async ({ page, labName }, testInfo) => {
  const errors = watchErrors(page);
  const lab = labName("ad-warn");
  const doc = {
    nodes: [
      { name: "s1", kind: "switch", position: { x: 100, y: 100 } },
      { name: "s2", kind: "switch", position: { x: 400, y: 100 } },
      { name: "r1", kind: "router", position: { x: 250, y: 250 }, interfaces: { eth0: { addresses: ["10.0.0.2/24"] }, eth1: { addresses: ["10.0.0.3/24"] } } },
    ],
    links: [{ endpoints: ["r1:eth0", "s1"] }, { endpoints: ["r1:eth1", "s2"] }],
  };
  expect((await api("PUT", `/labs/${lab}`, doc)).status).toBe(201);
  await openLab(page, lab);
  await page.getByTestId("node-r1").click();
  await expect(page.getByTestId("inspector-warning")).toHaveText(
    /r1 has eth0 \(10\.0\.0\.2\/24\) and eth1 \(10\.0\.0\.3\/24\) in the same subnet 10\.0\.0\.0\/24/,
  );
  await snap(page, testInfo, "subnet-warning");
  await page.getByTestId("node-s1").click();
  await expect(page.getByTestId("inspector-warning")).toHaveCount(0);
  expect(errors).toEqual([]);
  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});

test("a routed lab drawn from a blank one routes with automatic addresses only", async ({ page, labName }, testInfo) => {
  const errors = watchErrors(page);
  const lab = labName("ad-routed");
  // the nodes placed apart (through the API, as dropping them is another test's), the links drawn
  await createLab(lab, { type: "blank" });
  const nodes = [
    { name: "h1", kind: "host", position: { x: 0, y: 300 } },
    { name: "s1", kind: "switch", position: { x: 150, y: 0 } },
    { name: "r1", kind: "router", position: { x: 350, y: 300 } },
    { name: "s2", kind: "switch", position: { x: 550, y: 0 } },
    { name: "h2", kind: "host", position: { x: 700, y: 300 } },
  ];
  const edit = await api("POST", `/labs/${lab}/edit`, {
    changes: [{ type: "updateLab", set: { addressPlan: "10.0.0.0/24" } }, ...nodes.map((node) => ({ type: "addNode", node }))],
  });
  expect(edit.status, JSON.stringify(edit.body)).toBe(200);
  await openLab(page, lab);
  for (const n of ["h1", "h2", "s1", "s2", "r1"]) await expect(page.getByTestId(`node-${n}`)).toHaveAttribute("data-state", "up");
  for (const [a, b, edge] of [
    ["h1", "s1", "h1:eth0|s1:eth1"],
    ["r1", "s1", "r1:eth0|s1:eth2"],
    ["r1", "s2", "r1:eth1|s2:eth1"],
    ["h2", "s2", "h2:eth0|s2:eth2"],
  ] as const) {
    await link(page, a, b);
    await expect(page.getByTestId(`edge-${edge}`)).toBeAttached();
  }
  // no address typed: each switch a subnet, the hosts a default route via r1
  await page.getByTestId("node-r1").click();
  await expect(page.getByTestId("inspector-if-eth0-addresses")).toHaveValue("10.0.0.2/24");
  await expect(page.getByTestId("inspector-if-eth1-addresses")).toHaveValue("10.0.1.1/24");
  await expect(page.getByTestId("inspector-warning")).toHaveCount(0);
  await expect(page.getByTestId("node-h2")).toHaveAttribute("data-state", "up");
  await openTerminal(page, "h1");
  await typeIn(page, "h1", "ip route; ping -c 2 10.0.1.2");
  await expect(page.getByTestId("terminal-h1")).toContainText("default via 10.0.0.2 dev eth0");
  await expect(page.getByTestId("terminal-h1")).toContainText(/2 received, 0% packet loss/, { timeout: 20_000 });
  await snap(page, testInfo, "routed-pings");
  expect(errors).toEqual([]);
  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});
