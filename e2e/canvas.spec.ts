// The canvas end to end: a person draws a lab, opens shells on its hosts and types into them,
// and what happens is checked both on the page and in the kernel (the CLI reads it apart from
// the server). Each test removes its labs; the labName fixture then proves them gone.

import { api, authedContext, snap, createLab, dropFromPalette, expect, kernelStatus, link, openLab, openLinkMenu, openTerminal, test, typeIn } from "./helpers";
import { linkOntoBody, overlap, shot, watchErrors } from "./gestures";

test("a blank lab: two hosts on an OVS switch ping each other from a browser terminal", async ({ page, labName }, testInfo) => {
  const lab = labName("ping");
  page.on("dialog", (d) => void d.accept());
  await page.goto("/");
  await page.getByTestId("new-lab-name").fill(lab);
  await page.getByTestId("create-blank").click();
  await expect(page).toHaveURL(new RegExp(`/labs/${lab}$`));

  await dropFromPalette(page, "host", { x: 220, y: 380 });
  await expect(page.getByTestId("node-h1")).toBeVisible();
  await dropFromPalette(page, "host", { x: 620, y: 380 });
  await expect(page.getByTestId("node-h2")).toBeVisible();
  await dropFromPalette(page, "ovs", { x: 420, y: 160 });
  for (const n of ["h1", "h2", "s1"]) await expect(page.getByTestId(`node-${n}`)).toHaveAttribute("data-state", "up");

  await link(page, "h1", "s1");
  await expect(page.getByTestId("edge-h1:eth0|s1:eth1")).toBeAttached();
  await link(page, "h2", "s1");
  await expect(page.getByTestId("edge-h2:eth0|s1:eth2")).toBeAttached();

  // the defaults gave addresses from the lab's address plan; set them if they did not
  const addresses: string[] = [];
  for (const [node, wanted] of [
    ["h1", "10.0.0.1/24"],
    ["h2", "10.0.0.2/24"],
  ] as const) {
    await page.getByTestId(`node-${node}`).click();
    const field = page.getByTestId("inspector-if-eth0-addresses");
    if (!(await field.inputValue())) {
      await field.fill(wanted);
      await field.press("Enter");
    }
    await expect(field).not.toHaveValue("");
    addresses.push((await field.inputValue()).split("/")[0]!);
  }
  await expect(page.getByTestId("node-h2")).toHaveAttribute("data-state", "up");

  await openTerminal(page, "h1");
  await typeIn(page, "h1", `ping -c 2 ${addresses[1]}`);
  await expect(page.getByTestId("terminal-h1")).toContainText(/ 0% packet loss/, { timeout: 20_000 });
  await snap(page, testInfo, "lab-with-terminal");

  // the kernel agrees: both hosts up with their addresses
  const status = kernelStatus(lab);
  expect(status.nodes.find((n) => n.name === "h1")?.interfaces.find((i) => i.name === "eth0")?.addresses).toContain(`${addresses[0]}/24`);

  // removed through the UI: the list's Delete button
  await page.getByTestId("nav-home").click();
  await page.getByTestId(`lab-delete-${lab}`).click();
  await expect(page.getByTestId(`lab-row-${lab}`)).toHaveCount(0);
});

test("vlan-dhcp template: red has its 10.50.50.x lease and cannot reach green", async ({ page, labName }, testInfo) => {
  const lab = labName("vlan");
  await page.goto("/");
  await page.getByTestId("new-lab-name").fill(lab);
  await page.getByTestId("create-template-vlan-dhcp").click();
  await expect(page).toHaveURL(new RegExp(`/labs/${lab}$`));
  await expect(page.getByTestId("node-red")).toHaveAttribute("data-state", "up");

  await openTerminal(page, "red");
  await typeIn(page, "red", "for i in $(seq 40); do ip -4 -br addr show eth0 | grep -q 10.50.50. && break; sleep 0.25; done; ip -4 -br addr show eth0");
  await expect(page.getByTestId("terminal-red")).toContainText(/eth0\S*\s+UP\s+10\.50\.50\.\d+\/24/, { timeout: 20_000 });

  // green's own lease, from its own tenant's server
  let green = "";
  await expect(async () => {
    const eth0 = kernelStatus(lab)
      .nodes.find((n) => n.name === "green")
      ?.interfaces.find((i) => i.name === "eth0");
    green = eth0?.addresses.find((a) => a.startsWith("10.50.50."))?.split("/")[0] ?? "";
    expect(green).not.toBe("");
  }).toPass({ timeout: 20_000 });
  const red = kernelStatus(lab)
    .nodes.find((n) => n.name === "red")
    ?.interfaces.find((i) => i.name === "eth0")
    ?.addresses[0]?.split("/")[0];
  // the template fixes red's and green's MACs, from which dnsmasq picks different addresses
  expect(red).not.toBe(green);

  await typeIn(page, "red", `clear; ping -c 2 -W 1 ${green}`);
  await expect(page.getByTestId("terminal-red")).toContainText(/100% packet loss/, { timeout: 20_000 });
  await typeIn(page, "red", "ip -4 -br addr show eth0");
  await expect(page.getByTestId("terminal-red")).toContainText(/10\.50\.50\.\d+\/24/);
  await snap(page, testInfo, "vlan-dhcp");

  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});

test("two browsers on one lab: an edit in one appears in the other", async ({ browser, page, labName }, testInfo) => {
  const lab = labName("live");
  await createLab(lab, { type: "template", id: "ovs-pair" });
  const other = await authedContext(browser);
  const second = await other.newPage();
  await openLab(page, lab);
  await openLab(second, lab);
  await expect(second.getByTestId("node-red")).toBeVisible();

  // a node dropped in the first appears in the second
  await dropFromPalette(page, "host", { x: 700, y: 420 });
  await expect(second.getByTestId("node-h1")).toBeVisible({ timeout: 3000 });

  // a label set in the second's inspector appears in the first
  await second.getByTestId("node-green").click();
  await second.getByTestId("inspector-label").fill("web server");
  await second.getByTestId("inspector-label").press("Enter");
  await expect(page.getByTestId("node-green")).toContainText("web server", { timeout: 3000 });

  // a move in the first moves the node in the second
  const before = await second.getByTestId("node-red").boundingBox();
  const box = (await page.getByTestId("node-red").boundingBox())!;
  await page.mouse.move(box.x + 30, box.y + 15);
  await page.mouse.down();
  await page.mouse.move(box.x + 30, box.y + 135, { steps: 8 });
  await page.mouse.up();
  await expect(async () => {
    const after = await second.getByTestId("node-red").boundingBox();
    expect(Math.abs(after!.y - before!.y)).toBeGreaterThan(40);
  }).toPass({ timeout: 3000 });

  await snap(second, testInfo, "second-browser");
  await other.close();
  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});

test("a reload brings the terminal tab back with its earlier output", async ({ page, labName }, testInfo) => {
  const lab = labName("reload");
  await createLab(lab, { type: "template", id: "ovs-pair" });
  await openLab(page, lab);
  await openTerminal(page, "red");
  const marker = `before-reload-${Date.now()}`;
  await typeIn(page, "red", `echo ${marker} | tr a-z A-Z`);
  await expect(page.getByTestId("terminal-red")).toContainText(marker.toUpperCase());

  await page.reload();
  await expect(page.getByTestId("terminal-tab-red")).toBeVisible();
  await expect(page.getByTestId("terminal-red")).toContainText(marker.toUpperCase());
  // and it is the same live shell
  await typeIn(page, "red", "echo still-$((6*7))");
  await expect(page.getByTestId("terminal-red")).toContainText("still-42");
  await snap(page, testInfo, "after-reload");

  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});

test("an invalid address is refused inline and the kernel is left as it was", async ({ page, labName }, testInfo) => {
  const lab = labName("invalid");
  await createLab(lab, { type: "template", id: "ovs-pair" });
  const before = kernelStatus(lab);
  await openLab(page, lab);
  await page.getByTestId("node-red").click();
  const field = page.getByTestId("inspector-if-eth0-addresses");
  await expect(field).toHaveValue("10.0.0.1/24");
  await field.fill("10.0.0.300/24");
  await field.press("Enter");
  await expect(page.getByTestId("inspector-if-eth0-addresses-error")).toContainText("10.0.0.300");
  await expect(field).toHaveValue("10.0.0.300/24"); // kept, to be fixed
  await snap(page, testInfo, "refused-address");

  const after = kernelStatus(lab);
  const addrs = (s: typeof before) => s.nodes.map((n) => [n.name, n.interfaces.map((i) => [i.name, [...i.addresses].sort()])]);
  expect(addrs(after)).toEqual(addrs(before));
  expect(after.nodes.find((n) => n.name === "red")?.interfaces.find((i) => i.name === "eth0")?.addresses).toContain("10.0.0.1/24");

  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});

test("deleting a node removes it from the kernel and its terminal says why it closed", async ({ page, labName }, testInfo) => {
  const lab = labName("delete");
  await createLab(lab, { type: "template", id: "ovs-pair" });
  await openLab(page, lab);
  await openTerminal(page, "green");
  expect(kernelStatus(lab).nodes.some((n) => n.name === "green")).toBe(true);

  await page.getByTestId("node-green").click();
  await page.getByTestId("delete-selection").click();
  await expect(page.getByTestId("node-green")).toHaveCount(0);
  await expect(page.getByTestId("terminal-ended-green")).toContainText("node green was removed from the lab");
  await expect(page.getByTestId("terminal-tab-green")).toHaveAttribute("data-state", "exited");
  await expect(page.getByTestId("toast").filter({ hasText: "Terminal green closed" })).toBeVisible();
  await snap(page, testInfo, "node-deleted");

  const status = kernelStatus(lab);
  expect(status.nodes.map((n) => n.name).sort()).toEqual(["ovs1", "red"]);

  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});

// ---- issue 13: what a walk through the canvas found, each mended and kept so ----

test("the Commands tab stays up while the kernel changes, beside a terminal, and when leaving the lab", async ({ page, labName }, testInfo) => {
  const lab = labName("wb-log");
  const watch = watchErrors(page);
  await createLab(lab, { type: "template", id: "ovs-pair" });
  await openLab(page, lab);
  await page.getByTestId("dock-toggle").click();
  await page.getByTestId("dock-tab-log").click();
  await expect(page.getByTestId("command-log")).toBeVisible();
  const before = await page.getByTestId("log-entry").count();
  // a kernel-changing edit while the log is open
  await page.getByTestId("node-red").click();
  const field = page.getByTestId("inspector-if-eth0-addresses");
  await field.fill("10.0.0.11/24");
  await field.press("Enter");
  await expect.poll(() => page.getByTestId("log-entry").count()).toBeGreaterThan(before);
  // from the log to a terminal tab, and back
  await openTerminal(page, "red");
  await page.getByTestId("dock-tab-log").click();
  await expect(page.getByTestId("command-log")).toBeVisible();
  await shot(page, testInfo, "commands-open");
  // leaving the page with the log open
  await page.getByTestId("nav-home").click();
  await expect(page.getByTestId("home")).toBeVisible();
  await page.goBack();
  await expect(page.getByTestId("lab-title")).toHaveText(lab);
  watch.expectNone("with the Commands tab open");
  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});

test("a panel that fails shows why, the rest of the page works, and the server hears of it", async ({ page, labName }, testInfo) => {
  const lab = labName("wb-crash");
  await createLab(lab, { type: "template", id: "ovs-pair" });
  // the command log's panel is made to fail for real: scrolling to its end throws
  await page.addInitScript(() => {
    Element.prototype.scrollIntoView = function () {
      throw new Error("wb: scrollIntoView refused for this test");
    };
  });
  await openLab(page, lab);
  await page.getByTestId("dock-toggle").click();
  await page.getByTestId("dock-tab-log").click();
  const failed = page.getByTestId("panel-error-command-log");
  await expect(failed).toContainText("The command log failed");
  await expect(failed).toContainText("scrollIntoView refused for this test");
  // the rest of the page still works: the canvas, the inspector, a terminal
  await page.getByTestId("node-green").click();
  await expect(page.getByTestId("inspector-name")).toHaveValue("green");
  await openTerminal(page, "green");
  await shot(page, testInfo, "panel-failed");
  // and the person running the server sees it, with the lab and the page
  await expect(async () => {
    const r = await api("GET", "/client-errors");
    const mine = (r.body as { panel?: string; lab?: string; page: string; message: string }[]).filter((e) => e.lab === lab);
    expect(mine).toContainEqual(
      expect.objectContaining({ panel: "command log", page: `/labs/${lab}`, message: expect.stringContaining("scrollIntoView refused") }),
    );
  }).toPass({ timeout: 5000 });
  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});

test("the minimap covers no node once the terminal dock is open", async ({ page, labName }, testInfo) => {
  const lab = labName("wb-minimap");
  await createLab(lab, { type: "template", id: "vlan-dhcp" });
  await openLab(page, lab);
  await openTerminal(page, "red");
  await page.waitForTimeout(600); // the view fits itself again after the dock opened
  const map = (await page.locator(".react-flow__minimap").boundingBox())!;
  for (const n of ["red", "green", "dhcp-r", "dhcp-g", "ovs1"]) {
    const box = (await page.getByTestId(`node-${n}`).boundingBox())!;
    expect(overlap(box, map), `node ${n} ${JSON.stringify(box)} is under the minimap ${JSON.stringify(map)}`).toBe(false);
  }
  await page.getByTestId("node-terminal-green").click();
  await expect(page.getByTestId("terminal-tab-green")).toBeVisible();
  await shot(page, testInfo, "dock-and-minimap");
  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});

test("a link dropped on a node's body, away from its handle, links them", async ({ page, labName }) => {
  const lab = labName("wb-body");
  await createLab(lab, { type: "blank" });
  await openLab(page, lab);
  await dropFromPalette(page, "host", { x: 240, y: 420 });
  await dropFromPalette(page, "ovs", { x: 560, y: 200 });
  await expect(page.getByTestId("node-s1")).toHaveAttribute("data-state", "up");
  await linkOntoBody(page, "h1", "s1");
  await expect(page.getByTestId("edge-h1:eth0|s1:eth1")).toBeAttached();
  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});

test("clicking a palette item puts the node in free space near the centre, never on another", async ({ page, labName }, testInfo) => {
  const lab = labName("wb-click");
  await createLab(lab, { type: "blank" });
  await openLab(page, lab);
  for (const [i, kind] of (["host", "host", "router", "ovs"] as const).entries()) {
    await page.getByTestId(`palette-${kind}`).click();
    await expect(page.locator(".react-flow__node")).toHaveCount(i + 1);
  }
  await page.waitForTimeout(300);
  const boxes = await page
    .locator(".react-flow__node")
    .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as { x: number; y: number; width: number; height: number }));
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) expect(overlap(boxes[i]!, boxes[j]!), `nodes ${i} and ${j} overlap`).toBe(false);
  await shot(page, testInfo, "palette-clicks");
  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});

test("link labels cover no node and not each other (vlan-dhcp)", async ({ page, labName }, testInfo) => {
  const lab = labName("wb-labels");
  await createLab(lab, { type: "template", id: "vlan-dhcp" });
  await openLab(page, lab);
  await expect(page.getByTestId("edge-dhcp-r:eth0|ovs1:eth3")).toBeAttached();
  await page.waitForTimeout(300);
  const found = await page.evaluate(() => {
    const r = (e: Element) => e.getBoundingClientRect();
    const hit = (a: DOMRect, b: DOMRect) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
    const nodes = [...document.querySelectorAll(".react-flow__node")].map((n) => ({ name: n.getAttribute("data-id"), box: r(n) }));
    const problems: string[] = [];
    // every label of every link: none on a node, none on another label (of its link or another)
    const texts = [...document.querySelectorAll('[data-testid^="edge-"] text')].map((t) => ({ text: t.textContent ?? "", box: r(t) }));
    for (const t of texts) for (const n of nodes) if (hit(t.box, n.box)) problems.push(`"${t.text}" over node ${n.name}`);
    for (let i = 0; i < texts.length; i++)
      for (let j = i + 1; j < texts.length; j++) if (hit(texts[i]!.box, texts[j]!.box)) problems.push(`"${texts[i]!.text}" over "${texts[j]!.text}"`);
    return problems;
  });
  await shot(page, testInfo, "labels");
  expect(found).toEqual([]);
  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});

test("the Routes field of a host without routes says so, not example routes", async ({ page, labName }) => {
  const lab = labName("wb-routes");
  await createLab(lab, { type: "template", id: "ovs-pair" });
  await openLab(page, lab);
  await page.getByTestId("node-red").click();
  const routes = page.getByTestId("inspector-routes");
  await expect(routes).toHaveValue("");
  expect(await routes.getAttribute("placeholder")).not.toMatch(/via/);
  expect(await routes.getAttribute("placeholder")).toMatch(/no routes/i);
  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});

test("the home page's template cards read as prose: no hard breaks, code as code, nothing past the edge", async ({ page }, testInfo) => {
  await page.goto("/");
  const card = page.getByTestId("template-mgmt-namespace");
  await expect(card).toBeVisible();
  const description = card.locator(".template-description");
  await expect(description.locator("code").first()).toBeVisible();
  expect(await description.innerText()).not.toContain("`");
  const sizes = await page.locator('[data-testid^="template-"]').evaluateAll((els) =>
    els.map((e) => ({
      id: e.getAttribute("data-testid"),
      over: e.scrollWidth - e.clientWidth,
      lines: [...e.querySelectorAll(".template-description p")].length,
    })),
  );
  for (const s of sizes) expect(s.over, `${s.id} runs past its edge`).toBeLessThanOrEqual(0);
  // the mgmt-namespace text is three paragraphs, not a dozen broken lines
  expect(sizes.find((s) => s.id === "template-mgmt-namespace")!.lines).toBeLessThanOrEqual(3);
  await shot(page, testInfo, "home");
});

test("undo survives a reload", async ({ page, labName }) => {
  const lab = labName("wb-undo");
  await createLab(lab, { type: "blank" });
  await openLab(page, lab);
  await page.getByTestId("palette-host").click();
  await expect(page.getByTestId("node-h1")).toBeVisible();
  await expect(page.getByTestId("undo")).toBeEnabled();
  await page.reload();
  await expect(page.getByTestId("node-h1")).toBeVisible();
  await expect(page.getByTestId("undo")).toBeEnabled();
  await page.getByTestId("undo").click();
  await expect(page.getByTestId("node-h1")).toHaveCount(0);
  await expect(page.getByTestId("redo")).toBeEnabled();
  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});

test("the keyboard shortcuts: undo, redo, delete, help, Escape, the dock", async ({ page, labName }) => {
  const lab = labName("wb-keys");
  const watch = watchErrors(page);
  await createLab(lab, { type: "blank" });
  await openLab(page, lab);
  const h1 = page.getByTestId("node-h1");
  const undo = page.getByTestId("undo");
  const redo = page.getByTestId("redo");
  await page.getByTestId("palette-host").click();
  await expect(h1).toBeVisible();
  // each key once the edit before it is done (the buttons say so): a key meanwhile has nothing to undo or redo yet
  await expect(undo).toBeEnabled();
  await page.keyboard.press("Control+z");
  await expect(h1).toHaveCount(0);
  await expect(redo).toBeEnabled();
  await page.keyboard.press("Control+Shift+Z");
  await expect(h1).toBeVisible();
  await expect(undo).toBeEnabled();
  await h1.click();
  // Delete acts on the selection the page has drawn: wait for it (the inspector shows h1)
  await expect(page.getByTestId("inspector-node").locator("h2")).toContainText("h1");
  await page.keyboard.press("Delete");
  await expect(h1).toHaveCount(0);
  await expect(undo).toBeEnabled();
  await page.keyboard.press("Control+z");
  await expect(h1).toBeVisible();
  await expect(redo).toBeEnabled();
  await page.keyboard.press("Control+y");
  await expect(h1).toHaveCount(0);
  await page.keyboard.press("?");
  await expect(page.getByTestId("help")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("help")).toHaveCount(0);
  const dock = page.getByTestId("dock");
  await expect(dock).toHaveClass(/\bclosed\b/);
  await page.keyboard.press("`");
  await expect(dock).toHaveClass(/\bopen\b/);
  await page.keyboard.press("`");
  await expect(dock).toHaveClass(/\bclosed\b/);
  watch.expectNone("the keyboard shortcuts");
  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});

test("right-click menus on nodes, links and the canvas, and the same from the keyboard", async ({ page, labName }, testInfo) => {
  const lab = labName("wb-menu");
  const watch = watchErrors(page);
  await createLab(lab, { type: "template", id: "ovs-pair" });
  await openLab(page, lab);
  const menu = page.getByTestId("context-menu");

  // a node: its actions, and "Open terminal" opens one
  await page.getByTestId("node-red").click({ button: "right" });
  await expect(menu).toBeVisible();
  await expect(menu.getByRole("menuitem")).toHaveText([
    /Open terminal/,
    /Edit/,
    /Duplicate/,
    /Stop node/,
    /Interfaces \(kernel\)/,
    /Routes \(kernel\)/,
    /Capture packets/,
    /Trace to…/,
    /Delete/,
  ]);
  await shot(page, testInfo, "node-menu", "context-menu");
  await page.getByTestId("context-menu-item-terminal").click();
  await expect(menu).toHaveCount(0);
  await expect(page.getByTestId("terminal-tab-red")).toBeVisible();
  await expect(page.getByTestId("terminal-red")).toContainText(/[#$]/); // (the new shell takes the focus once)

  // the keyboard: Shift+F10 on the selection, arrows, Enter; Escape closes
  await page.getByTestId("node-green").click();
  await page.keyboard.press("Shift+F10");
  await expect(menu).toBeVisible();
  await expect(page.getByTestId("context-menu-item-terminal")).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(menu).toHaveCount(0);
  await page.keyboard.press("ContextMenu");
  await expect(menu).toBeVisible();
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  await expect(page.getByTestId("context-menu-item-duplicate")).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("node-green1")).toBeVisible();

  // a link: delete it
  await openLinkMenu(page, "green:eth0|ovs1:eth2", "delete");
  await expect(menu).toHaveAttribute("data-target", "link green:eth0|ovs1:eth2");
  await page.getByTestId("context-menu-item-delete").click();
  await expect(page.getByTestId("edge-green:eth0|ovs1:eth2")).toHaveCount(0);

  // the canvas: add a router where it was clicked
  const canvas = (await page.getByTestId("canvas").boundingBox())!;
  await page.mouse.click(canvas.x + 60, canvas.y + canvas.height - 60, { button: "right" });
  await expect(menu).toHaveAttribute("data-target", "canvas");
  await page.getByTestId("context-menu-item-add-router").click();
  await expect(page.getByTestId("node-r1")).toBeVisible();

  // a node's Edit puts the inspector's first field in focus
  await page.getByTestId("node-r1").click({ button: "right" });
  await page.getByTestId("context-menu-item-edit").click();
  await expect(page.getByTestId("inspector-name")).toBeFocused();
  watch.expectNone("using the context menus");
  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});
