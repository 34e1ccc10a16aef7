// Packet capture in the browser (issue 12): the vlan-dhcp template, a capture on red's link
// opened from the link's inspector, red's lease renewed in a terminal, and the DHCP Discover,
// Offer, Request and ACK decoded in the capture panel with red's VLAN (100); a packet's field
// tree and hex dump; the pcapng download read back by tcpdump; pause, resume, clear and close;
// a first load of the panel's worker that fails is tried again.
// The lab is named cp*.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { leftoversAfterSettling } from "@topolab/engine/testing";
import { api, expect, openTerminal, snap, test, typeIn } from "./helpers";

test("capture on red's link in vlan-dhcp: a renewed lease's DHCP exchange, decoded with its VLAN, and downloaded", async ({ page }, testInfo) => {
  test.setTimeout(180_000); // a template lab, a terminal, a DHCP exchange and a download, on a shared 2-core machine
  const lab = `cpe2e-${Math.random().toString(36).slice(2, 6)}`;
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error" && !/Failed to load resource/.test(m.text())) errors.push(m.text());
  });
  // the first load of the panel's worker fails (as on a network blip): the panel starts it again
  let workerLoads = 0;
  await page.route(/capture\.worker-[^/]*\.js$/, (route) => (++workerLoads === 1 ? route.abort("failed") : route.continue()));
  try {
    await page.goto("/");
    await page.getByTestId("new-lab-name").fill(lab);
    await page.getByTestId("create-template-vlan-dhcp").click();
    await expect(page).toHaveURL(new RegExp(`/labs/${lab}$`));
    await expect(page.getByTestId("node-red")).toHaveAttribute("data-state", "up");

    // the link's inspector: Capture packets
    await openTerminal(page, "red");
    // a click on the middle of the line from red to ovs1 selects the link
    const r = (await page.getByTestId("node-red").boundingBox())!;
    const o = (await page.getByTestId("node-ovs1").boundingBox())!;
    const mid = { x: (r.x + r.width / 2 + o.x + o.width / 2) / 2, y: (r.y + r.height / 2 + o.y + o.height / 2) / 2 };
    await page.mouse.click(mid.x, mid.y);
    await expect(page.getByTestId("inspector-link")).toBeVisible();
    await expect(page.getByTestId("inspector-link-capture")).toBeVisible();
    // the capture starts from the link's context menu (the inspector has the same button)
    await page.mouse.click(mid.x, mid.y, { button: "right" });
    await expect(page.getByTestId("context-menu-item-capture-link")).toHaveText("Capture packets (red:eth0)");
    await page.getByTestId("context-menu-item-capture-link").click();
    const panel = page.getByTestId("capture-panel");
    await expect(panel).toHaveAttribute("data-state", "running", { timeout: 20_000 });
    await expect.poll(() => workerLoads).toBe(2);
    // the packets' dots are drawn over the canvas while it runs
    await expect(page.getByTestId("canvas").getByTestId("capture-dots")).toBeAttached();

    // a new lease from red's tenant server: a whole Discover/Offer/Request/ACK
    // (a client with no lease file of its own, so that it starts from a Discover)
    await typeIn(
      page,
      "red",
      "d=$(mktemp -d); dhclient -1 -v -pf $d/pid -lf $d/leases -sf /bin/true eth0; dhclient -x -pf $d/pid -lf $d/leases -sf /bin/true eth0; rm -rf $d; echo RENEWED",
    );
    await expect(page.getByTestId("terminal-red")).toContainText(/DHCPACK of 10\.50\.50\.\d+/, { timeout: 30_000 });

    await page.getByTestId("capture-display-filter").fill("dhcp");
    const rows = panel.getByTestId("capture-row");
    await expect(async () => {
      const info = await panel.getByTestId("capture-row-info").allTextContents();
      const kinds = info.map((s) => /^DHCP (\w+)/.exec(s)?.[1]);
      for (const k of ["Discover", "Offer", "Request", "ACK"]) expect(kinds).toContain(k);
    }).toPass({ timeout: 20_000 });
    const offer = rows.filter({ hasText: "DHCP Offer" }).first();
    await expect(offer).toContainText(/DHCP Offer 10\.50\.50\.\d+ to 02:00:00:00:01:00/);
    // red's VLAN: its access port's, since frames on an access port carry no tag
    await expect(offer.getByTestId("capture-row-iface")).toHaveText("red:eth0 VLAN 100");
    await expect(offer).toHaveAttribute("data-protocol", "DHCP");

    // the field tree and the hex dump, the selected field's bytes highlighted
    await offer.click();
    const detail = panel.getByTestId("capture-detail");
    await expect(detail).toContainText("Dynamic Host Configuration Protocol: Offer");
    const yiaddr = detail.getByTestId("capture-field").filter({ hasText: /^Your \(client\) IP address: 10\.50\.50\.\d+$/ });
    await yiaddr.click();
    await expect(detail.getByTestId("capture-hex").locator('[data-hl="1"]')).toHaveCount(4);
    await expect(detail).toContainText(/\(54\) Server identifier: 10\.50\.50\.2/);
    await expect(detail).toContainText(/\(51\) IP address lease time: 3600 s/);
    await snap(page, testInfo, "capture-dhcp");

    // download: the pcapng opens with tcpdump and holds the four DHCP messages
    const [download] = await Promise.all([page.waitForEvent("download"), panel.getByTestId("capture-download").click()]);
    const file = testInfo.outputPath("capture.pcapng");
    await download.saveAs(file);
    expect(readFileSync(file).subarray(0, 4).toString("hex")).toBe("0a0d0d0a");
    const text = execFileSync("tcpdump", ["-nn", "-v", "-r", file], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    for (const k of ["Discover", "Offer", "Request", "ACK"]) expect(text).toContain(`DHCP-Message (53), length 1: ${k}`);

    // pause: the list stands still (the capture goes on); resume; clear empties the list
    await panel.getByTestId("capture-pause").click();
    await expect(panel).toHaveAttribute("data-state", "paused");
    await expect(panel.getByTestId("capture-pause")).toHaveText("Resume");
    await panel.getByTestId("capture-pause").click();
    await expect(panel).toHaveAttribute("data-state", "running");
    await panel.getByTestId("capture-clear").click();
    await expect(panel.getByTestId("capture-list")).toHaveAttribute("data-rows", "0");
    await expect(rows).toHaveCount(0);
    await expect(detail).toHaveCount(0);

    await panel.getByTestId("capture-close").click();
    await expect(panel).toHaveCount(0);
    expect(errors).toEqual([]);
  } finally {
    if (errors.length) console.log(`page errors: ${errors.join("\n")}`);
    await api("DELETE", `/labs/${lab}`);
    expect(await leftoversAfterSettling(lab)).toEqual([]);
  }
});
