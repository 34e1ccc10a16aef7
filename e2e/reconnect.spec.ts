// A lab page whose connection drops and comes back: the exercise lights and the kernel's live
// state follow again by themselves (lib/follow.ts), so a fix made while the page was away, and
// one made after, both show without a reload; a pushed event lost with the connection (here
// the drift event of a hand-made address, dropped on purpose) is made up for by the snapshot
// the page gets when it watches again (the drift is the server's, pushed: the page never reads it).
// The drop is real: Playwright sits between the page and the server, passes every frame on,
// and closes the WebSocket; socket.io in the page reconnects on its own. Any page error fails
// the walk.

import type { WebSocketRoute } from "@playwright/test";
import { test, expect, api, cli } from "./helpers";

test("after a dropped connection the exercise checks and the live state follow again", async ({ page, labName }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const sockets: WebSocketRoute[] = [];
  let watches = 0;
  let dropOnDriftEvent = false;
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((m) => {
      if (typeof m === "string" && m.includes('"live:watch"')) watches++;
      server.send(m);
    });
    server.onMessage((m) => {
      if (dropOnDriftEvent && typeof m === "string" && m.includes('"type":"drift"') && m.includes("10.8.8.8")) {
        // the event never reaches the page: it is lost with the connection
        dropOnDriftEvent = false;
        void ws.close({ code: 4000, reason: "dropped by the test" });
        return;
      }
      ws.send(m);
    });
    sockets.push(ws);
  });

  const lab = labName("rcn");
  const r = await api("POST", "/labs", { name: lab, source: { type: "template", id: "exercise-router-forwarding" } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await page.goto(`/labs/${lab}`);
  await expect(page.getByTestId("check-forwarding")).toHaveAttribute("data-status", "fail", { timeout: 15_000 });
  await expect(page.getByTestId("node-ns1")).toHaveAttribute("data-state", "up");
  await expect.poll(() => watches, { timeout: 10_000 }).toBeGreaterThan(0);
  expect(sockets).toHaveLength(1);

  // an address made by hand on ns1: the connection drops with its drift event on the way; the
  // router is mended while the page is away
  dropOnDriftEvent = true;
  cli(["exec", lab, "ns1", "--", "ip", "addr", "add", "10.8.8.8/24", "dev", "eth0"]);
  await expect.poll(() => sockets.length, { timeout: 15_000 }).toBe(2);
  cli(["exec", lab, "r", "--", "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
  await expect(page.getByTestId("banner-connection")).toHaveCount(0, { timeout: 15_000 });

  // the exercise is followed again: the fix made meanwhile shows, and the next change too
  await expect(page.getByTestId("check-forwarding")).toHaveAttribute("data-status", "pass", { timeout: 15_000 });
  cli(["exec", lab, "r", "--", "sysctl", "-qw", "net.ipv4.ip_forward=0"]);
  await expect(page.getByTestId("check-forwarding")).toHaveAttribute("data-status", "fail", { timeout: 15_000 });

  // the kernel's live state is followed again, the drift with it: ns1's address whose event was
  // lost (from the new snapshot), and one made now on ns0 (pushed)
  await expect(page.getByTestId("drift-mark-ns1")).toHaveText("≠ 1", { timeout: 10_000 });
  cli(["exec", lab, "ns0", "--", "ip", "addr", "add", "10.9.9.9/24", "dev", "eth0"]);
  await expect(page.getByTestId("drift-mark-ns0")).toHaveText("≠ 1", { timeout: 10_000 });

  expect(errors).toEqual([]);
  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});
