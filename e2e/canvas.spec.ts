// The canvas end to end: a person draws a lab, opens shells on its hosts and types into them,
// and what happens is checked both on the page and in the kernel (the CLI reads it apart from
// the server). Each test removes its labs; the labName fixture then proves them gone.

import { api, authedContext, snap, createLab, dropFromPalette, expect, kernelStatus, link, openLab, openTerminal, test, typeIn } from "./helpers";

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
    const eth0 = kernelStatus(lab).nodes.find((n) => n.name === "green")?.interfaces.find((i) => i.name === "eth0");
    green = eth0?.addresses.find((a) => a.startsWith("10.50.50."))?.split("/")[0] ?? "";
    expect(green).not.toBe("");
  }).toPass({ timeout: 20_000 });
  const red = kernelStatus(lab).nodes.find((n) => n.name === "red")?.interfaces.find((i) => i.name === "eth0")?.addresses[0]?.split("/")[0];
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
