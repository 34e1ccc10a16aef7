// User journeys: the canvas walked as a teacher and a student use it, and a tour of every panel,
// each step screenshotted (e2e/test-results/<test>/NN-step.png; with TOPOLAB_DOCS_SHOTS=1 the
// main views also go to docs/screenshots). Any page error or console error fails a walk.
//
// - teacher: a blank lab, nodes dragged from the palette, links dropped onto node bodies, and
//   a ping through the router with automatic addresses only (issue 13 item 3 gives each of a
//   router's segments its own subnet and the hosts a default route)
// - student: vlan-dhcp, the leases, a ping across VLANs that fails, the DHCP server by name
//   (issue 13 item 8: the lab's names resolve for leased addresses too)
// - tour: every tab and panel opened, edits made while each is open, switched between, the
//   page left and come back to

import type { Page } from "@playwright/test";
import { api, createLab, dropFromPalette, expect, kernelStatus, openTerminal, test, typeIn } from "./helpers";
import { linkOntoBody, shot, watchErrors } from "./gestures";

async function addressOf(page: Page, node: string, iface = "eth0"): Promise<string> {
  await page.getByTestId(`node-${node}`).click();
  const field = page.getByTestId(`inspector-if-${iface}-addresses`);
  await expect(field).not.toHaveValue("");
  return (await field.inputValue()).split(/[ ,/]/)[0]!;
}

test("teacher: a routed lab from a blank one, linked by dropping onto nodes, pings through the router with automatic addresses", async ({
  page,
  labName,
}, testInfo) => {
  const lab = labName("wb-teacher");
  const watch = watchErrors(page);
  await page.goto("/");
  await page.getByTestId("new-lab-name").fill(lab);
  await page.getByTestId("create-blank").click();
  await expect(page).toHaveURL(new RegExp(`/labs/${lab}$`));
  await shot(page, testInfo, "blank-lab");

  // h1 — s1 — r1 — s2 — h2, dragged from the palette
  for (const [kind, at, name] of [
    ["host", { x: 110, y: 400 }, "h1"],
    ["ovs", { x: 230, y: 200 }, "s1"],
    ["router", { x: 460, y: 300 }, "r1"],
    ["ovs", { x: 690, y: 200 }, "s2"],
    ["host", { x: 810, y: 400 }, "h2"],
  ] as const) {
    await dropFromPalette(page, kind, at);
    await expect(page.getByTestId(`node-${name}`)).toBeVisible();
  }
  for (const n of ["h1", "s1", "r1", "s2", "h2"]) await expect(page.getByTestId(`node-${n}`)).toHaveAttribute("data-state", "up");
  // the whole lab in view (the first drop zoomed in on its node)
  await page.getByTestId("zoom-fit").click();
  await page.waitForTimeout(500);
  await shot(page, testInfo, "nodes-dropped");

  // links dropped on the other node's body, not on its handle
  for (const [a, b] of [
    ["h1", "s1"],
    ["h2", "s2"],
    ["r1", "s1"],
    ["r1", "s2"],
  ] as const) {
    const before = await page.locator(".react-flow__edge").count();
    await linkOntoBody(page, a, b);
    await expect(page.locator(".react-flow__edge")).toHaveCount(before + 1);
    // the link's edit done (a drag begun while its node redraws from "being created" may be lost)
    for (const n of [a, b]) await expect(page.getByTestId(`node-${n}`)).toHaveAttribute("data-state", "up");
  }
  for (const n of ["h1", "r1", "h2"]) await expect(page.getByTestId(`node-${n}`)).toHaveAttribute("data-state", "up");
  await shot(page, testInfo, "linked");

  // automatic addresses only: nothing typed
  const h2 = await addressOf(page, "h2");
  const h1 = await addressOf(page, "h1");
  expect(h1, "h1 got an address").toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  expect(h2, "h2 got an address").toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  const r1 = kernelStatus(lab).nodes.find((n) => n.name === "r1")!;
  const subnets = r1.interfaces.filter((i) => i.name.startsWith("eth")).map((i) => i.addresses.find((a) => a.includes("."))?.replace(/\.\d+\/24$/, ""));
  expect(new Set(subnets).size, `r1's interfaces in different subnets (issue 13 item 3): ${JSON.stringify(r1.interfaces)}`).toBe(2);

  await openTerminal(page, "h1");
  // (its addresses and routes on screen: what to look at when the ping fails)
  await typeIn(page, "h1", "ip -4 -br addr show eth0; ip route");
  await expect(page.getByTestId("terminal-h1")).toContainText(/default via/, { timeout: 5000 });
  // the first packet waits for ARP on both segments and the switches' flow set-up: one to warm up
  await typeIn(page, "h1", `clear; ping -c 1 -W 3 ${h2} >/dev/null; ping -c 2 -W 2 ${h2}`);
  await expect(page.getByTestId("terminal-h1")).toContainText(/ 0% packet loss/, { timeout: 20_000 });
  await shot(page, testInfo, "ping-through-router", "teacher-ping");
  watch.expectNone("in the teacher's walk");

  await page.getByTestId("nav-home").click();
  page.on("dialog", (d) => void d.accept());
  await page.getByTestId(`lab-delete-${lab}`).click();
  await expect(page.getByTestId(`lab-row-${lab}`)).toHaveCount(0);
});

test("student: vlan-dhcp, the leases, no way across VLANs, the DHCP server by name", async ({ page, labName }, testInfo) => {
  const lab = labName("wb-student");
  const watch = watchErrors(page);
  await page.goto("/");
  await page.getByTestId("new-lab-name").fill(lab);
  await page.getByTestId("create-template-vlan-dhcp").click();
  await expect(page).toHaveURL(new RegExp(`/labs/${lab}$`));
  await expect(page.getByTestId("node-red")).toHaveAttribute("data-state", "up");
  await shot(page, testInfo, "opened");

  // red's lease, in its shell
  await openTerminal(page, "red");
  await typeIn(page, "red", "for i in $(seq 40); do ip -4 -br addr show eth0 | grep -q 10.50.50. && break; sleep 0.25; done; ip -4 -br addr show eth0");
  await expect(page.getByTestId("terminal-red")).toContainText(/eth0\S*\s+UP\s+10\.50\.50\.\d+\/24/, { timeout: 20_000 });
  // both leases, as the inspector shows the kernel's addresses
  for (const n of ["red", "green"]) {
    await page.getByTestId(`node-${n}`).click();
    await expect(page.getByTestId("inspector-kernel")).toContainText(/10\.50\.50\.\d+\/24/, { timeout: 30_000 });
  }
  await shot(page, testInfo, "green-lease");
  const green = kernelStatus(lab)
    .nodes.find((n) => n.name === "green")!
    .interfaces.find((i) => i.name === "eth0")!
    .addresses.find((a) => a.startsWith("10.50.50."))!
    .split("/")[0]!;

  // green is on another VLAN: no answer
  await typeIn(page, "red", `ping -c 2 -W 1 ${green}`);
  await expect(page.getByTestId("terminal-red")).toContainText(/100% packet loss/, { timeout: 20_000 });
  await shot(page, testInfo, "across-vlans-fails");
  // its own DHCP server, by name (issue 13 item 8)
  await typeIn(page, "red", "clear; ping -c 2 -W 2 dhcp-r");
  await expect(page.getByTestId("terminal-red")).toContainText(/ 0% packet loss/, { timeout: 20_000 });
  await shot(page, testInfo, "dhcp-server-by-name", "student-ping-by-name");
  watch.expectNone("in the student's walk");

  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});

test("a tour of every panel: each opened, edited while open, switched between, left and come back to", async ({ page, labName }, testInfo) => {
  test.setTimeout(150_000);
  const lab = labName("wb-tour");
  const watch = watchErrors(page);
  await createLab(lab, { type: "template", id: "ovs-pair" });
  await page.goto("/");
  await expect(page.getByTestId(`lab-row-${lab}`)).toBeVisible();
  await shot(page, testInfo, "home", "home");
  await page.getByTestId(`lab-open-${lab}`).click();
  await expect(page.getByTestId("node-red")).toHaveAttribute("data-state", "up");
  await shot(page, testInfo, "lab");

  // inspector: a node, edited while shown
  await page.getByTestId("node-green").click();
  await expect(page.getByTestId("inspector-node")).toBeVisible();
  await page.getByTestId("inspector-label").fill("web server");
  await page.getByTestId("inspector-label").press("Enter");
  await expect(page.getByTestId("node-green")).toContainText("web server");
  await shot(page, testInfo, "inspector-node", "inspector");

  // inspector: a link (its VLAN: a kernel change)
  await page
    .locator(".react-flow__edge")
    .filter({ has: page.getByTestId("edge-ovs1:eth1|red:eth0") })
    .locator("path")
    .first()
    .click({ force: true });
  await expect(page.getByTestId("inspector-link")).toBeVisible();
  await page.getByTestId("inspector-vlan").fill("10");
  await page.getByTestId("inspector-vlan").press("Enter");
  await expect(page.getByTestId("edge-ovs1:eth1|red:eth0")).toContainText("vlan 10");
  await shot(page, testInfo, "inspector-link");

  // inspector: the lab (Escape clears the selection)
  await page.getByTestId("inspector-vlan").blur();
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("inspector-lab")).toBeVisible();
  await page.getByTestId("inspector-description").fill("a tour of every panel");
  await page.getByTestId("inspector-description").blur();
  await shot(page, testInfo, "inspector-lab");

  // help overlay
  await page.getByTestId("help-open").click();
  await expect(page.getByTestId("help")).toBeVisible();
  await shot(page, testInfo, "help");
  await page.getByTestId("help-close").click();

  // the dock: Commands open while the kernel changes
  await page.getByTestId("dock-toggle").click();
  await page.getByTestId("dock-tab-log").click();
  await expect(page.getByTestId("command-log")).toBeVisible();
  const entries = await page.getByTestId("log-entry").count();
  await page.getByTestId("node-red").click();
  await page.getByTestId("inspector-if-eth0-addresses").fill("10.0.0.21/24");
  await page.getByTestId("inspector-if-eth0-addresses").press("Enter");
  await expect.poll(() => page.getByTestId("log-entry").count()).toBeGreaterThan(entries);
  await shot(page, testInfo, "commands");

  // a terminal, switched to from the log; an edit while it is shown
  await openTerminal(page, "red");
  await typeIn(page, "red", "ip -br addr show eth0");
  await expect(page.getByTestId("terminal-red")).toContainText("10.0.0.21/24");
  await page.getByTestId("node-green").click();
  await page.getByTestId("inspector-label").fill("");
  await page.getByTestId("inspector-label").press("Enter");
  await shot(page, testInfo, "terminal", "terminal");
  // and back and forth
  await page.getByTestId("dock-tab-log").click();
  await expect(page.getByTestId("command-log")).toBeVisible();
  await page.getByTestId("terminal-tab-red").click();
  await expect(page.getByTestId("terminal-red")).toBeVisible();

  // the context menu, with the dock open
  await page.getByTestId("node-green").click({ button: "right" });
  await expect(page.getByTestId("context-menu")).toBeVisible();
  await shot(page, testInfo, "context-menu");
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("context-menu")).toHaveCount(0);

  // view: auto-layout, fit, labels off and on, undo and redo
  await page.getByTestId("auto-layout").click();
  await expect(page.getByTestId("auto-layout")).toBeEnabled();
  await page.getByTestId("zoom-fit").click();
  await page.getByTestId("toggle-labels").uncheck();
  await page.getByTestId("toggle-labels").check();
  await page.getByTestId("undo").click();
  await expect(page.getByTestId("redo")).toBeEnabled();
  await page.getByTestId("redo").click();
  await shot(page, testInfo, "after-layout");

  // away and back, with the Commands tab open: the link, history, a reload
  await page.getByTestId("dock-tab-log").click();
  await page.getByTestId("nav-home").click();
  await expect(page.getByTestId("home")).toBeVisible();
  await page.getByTestId(`lab-open-${lab}`).click();
  await expect(page.getByTestId("node-red")).toBeVisible();
  await page.goBack();
  await expect(page.getByTestId("home")).toBeVisible();
  await page.goForward();
  await expect(page.getByTestId("node-red")).toBeVisible();
  await page.reload();
  await expect(page.getByTestId("terminal-tab-red")).toBeVisible();
  await page.getByTestId("dock-tab-log").click();
  await expect(page.getByTestId("command-log")).toBeVisible();
  await shot(page, testInfo, "back-again");
  await expect(page.locator('[data-testid^="panel-error-"]')).toHaveCount(0);
  watch.expectNone("on the tour");

  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});
