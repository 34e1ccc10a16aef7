// A lab page whose document has not come yet: the palette waits for it (its items disabled, as
// a person sees them, greyed), so no node is named and placed blind; once the document is
// there, a click adds the node and Undo can take it back. The server's answers are held back
// in the test (Playwright's routeWebSocket) to make the wait long enough to see. No page error.

import { api, createLab, expect, openLab, test } from "./helpers";

test("the palette waits for the lab's document, then adds an undoable node", async ({ page, labName }) => {
  const lab = labName("load");
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await createLab(lab, { type: "blank" });

  // every message of the server held from the page's lab:open until released
  let holding = false;
  let release: () => void = () => {};
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    const server = ws.connectToServer();
    const held: (string | Buffer)[] = [];
    release = () => {
      holding = false;
      for (const m of held.splice(0)) ws.send(m);
    };
    ws.onMessage((m) => {
      if (/^42\d*\["lab:open",/.test(String(m))) holding = true;
      server.send(m);
    });
    server.onMessage((m) => {
      if (holding) held.push(m);
      else ws.send(m);
    });
  });

  await openLab(page, lab);
  await expect.poll(() => holding, { message: "the page sent lab:open" }).toBe(true);
  await expect(page.getByTestId("palette-host")).toBeDisabled();
  await page.getByTestId("palette-host").click({ force: true }); // a click on a disabled item does nothing
  release();
  await expect(page.getByTestId("palette-host")).toBeEnabled();
  await expect(page.getByTestId("node-h1")).toHaveCount(0);

  await page.getByTestId("palette-host").click();
  await expect(page.getByTestId("node-h1")).toBeVisible();
  await expect(page.getByTestId("undo")).toBeEnabled();
  await page.getByTestId("undo").click();
  await expect(page.getByTestId("node-h1")).toHaveCount(0);
  expect(errors).toEqual([]);
  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});
