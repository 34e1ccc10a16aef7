// A lab page whose connection drops and comes back: the exercise lights and the kernel's live
// state follow again by themselves (lib/follow.ts), so a fix made while the page was away, and
// one made after, both show without a reload; a request whose answer was lost with the
// connection (here the drift read, dropped on purpose) fails at once instead of holding the
// next drift reads for the request timeout (two minutes).
// The drop is real: Playwright sits between the page and the server, passes every frame on,
// and closes the WebSocket; socket.io in the page reconnects on its own. Any page error fails
// the walk.

import type { WebSocketRoute } from "@playwright/test";
import { test, expect, api, cli } from "./helpers";

test("after a dropped connection the exercise checks and the live state follow again", async ({ page, labName }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const sockets: WebSocketRoute[] = [];
  let driftReads = 0;
  let dropOnDriftRead = false;
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((m) => {
      if (typeof m === "string" && m.includes('"live:drift"')) {
        driftReads++;
        if (dropOnDriftRead) {
          // the request never reaches the server: its answer is lost with the connection
          dropOnDriftRead = false;
          void ws.close({ code: 4000, reason: "dropped by the test" });
          return;
        }
      }
      server.send(m);
    });
    server.onMessage((m) => ws.send(m));
    sockets.push(ws);
  });

  const lab = labName("rcn");
  const r = await api("POST", "/labs", { name: lab, source: { type: "template", id: "exercise-router-forwarding" } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await page.goto(`/labs/${lab}`);
  await expect(page.getByTestId("check-forwarding")).toHaveAttribute("data-status", "fail", { timeout: 15_000 });
  await expect(page.getByTestId("node-ns1")).toHaveAttribute("data-state", "up");
  await expect.poll(() => driftReads, { timeout: 10_000 }).toBeGreaterThan(0);
  expect(sockets).toHaveLength(1);

  // an address made by hand on ns1 makes the page read the drift: the connection drops with
  // that read in flight; the router is mended while the page is away
  dropOnDriftRead = true;
  cli(["exec", lab, "ns1", "--", "ip", "addr", "add", "10.8.8.8/24", "dev", "eth0"]);
  await expect.poll(() => sockets.length, { timeout: 15_000 }).toBe(2);
  cli(["exec", lab, "r", "--", "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
  await expect(page.getByTestId("banner-connection")).toHaveCount(0, { timeout: 15_000 });

  // the exercise is followed again: the fix made meanwhile shows, and the next change too
  await expect(page.getByTestId("check-forwarding")).toHaveAttribute("data-status", "pass", { timeout: 15_000 });
  cli(["exec", lab, "r", "--", "sysctl", "-qw", "net.ipv4.ip_forward=0"]);
  await expect(page.getByTestId("check-forwarding")).toHaveAttribute("data-status", "fail", { timeout: 15_000 });

  // the kernel's live state is followed again and the drift is read again: ns1's address made
  // while the read was lost, and one made now on ns0
  await expect(page.getByTestId("drift-mark-ns1")).toHaveText("≠ 1", { timeout: 10_000 });
  cli(["exec", lab, "ns0", "--", "ip", "addr", "add", "10.9.9.9/24", "dev", "eth0"]);
  await expect(page.getByTestId("drift-mark-ns0")).toHaveText("≠ 1", { timeout: 10_000 });

  expect(errors).toEqual([]);
  expect((await api("DELETE", `/labs/${lab}`)).status).toBe(204);
});
