// The lab page joins its lab once: on a first load the page sends exactly one lab:open (counted
// in the frames its websocket sends), and a reload one more. (It sent three: the page's store
// was made again in renders React threw away while the page's parts loaded, and each one left
// over opened the lab.) The page has no error.

import type { Page } from "@playwright/test";
import { api, createLab, expect, openLab, test } from "./helpers";

/** The lab:open requests the page sends for `lab`, counted as they leave. */
function countOpens(page: Page, lab: string): { count: () => number } {
  let n = 0;
  page.on("websocket", (ws) =>
    ws.on("framesent", (f) => {
      const text = String(f.payload);
      // socket.io: 42<ack id>["lab:open",{"lab":…}]
      if (/^42\d*\["lab:open",/.test(text) && text.includes(`"lab":${JSON.stringify(lab)}`)) n++;
    }),
  );
  return { count: () => n };
}

test("the lab page sends lab:open once on a first load and once on a reload", async ({ page, labName }) => {
  const lab = labName("open");
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const opens = countOpens(page, lab);
  await createLab(lab, { type: "template", id: "ovs-pair" });

  await openLab(page, lab);
  await expect(page.getByTestId("node-red")).toHaveAttribute("data-state", "up");
  // what a second open would have sent has had time to leave
  await page.waitForTimeout(1500);
  expect(opens.count(), "lab:open on the first load").toBe(1);

  await page.reload();
  await expect(page.getByTestId("lab-title")).toHaveText(lab);
  await expect(page.getByTestId("node-red")).toHaveAttribute("data-state", "up");
  await page.waitForTimeout(1500);
  expect(opens.count(), "lab:open after a reload").toBe(2);
  expect(errors).toEqual([]);
  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});
