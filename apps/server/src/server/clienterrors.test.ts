import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { clientErrorsRouter, MAX_REPORT_BYTES } from "./clienterrors";

let server: Server | null = null;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

async function serve(o: { perSecond?: number; burst?: number } = {}): Promise<{ url: string; lines: string[] }> {
  const lines: string[] = [];
  const app = express();
  app.use("/api/client-errors", clientErrorsRouter({ log: (l) => lines.push(l), ...o }));
  server = createServer(app);
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/client-errors`, lines };
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });

describe("POST /api/client-errors", () => {
  it("logs a report with its panel, lab and page, and keeps it for GET", async () => {
    const { url, lines } = await serve();
    const r = await post(url, {
      kind: "boundary",
      panel: "command log",
      lab: "wb-x",
      page: "/labs/wb-x",
      message: "l is not a function",
      stack: "TypeError: l is not a function\n    at Xe (index.js:1:2)",
    });
    expect(r.status).toBe(204);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/browser error \(panel command log, lab wb-x, page \/labs\/wb-x\) from .*: l is not a function — at Xe \(index\.js:1:2\)/);
    const kept = (await (await fetch(url)).json()) as { panel: string; time: string }[];
    expect(kept).toHaveLength(1);
    expect(kept[0]!.panel).toBe("command log");
  });

  it("refuses a report that is not one, naming the field", async () => {
    const { url, lines } = await serve();
    const r = await post(url, { kind: "boundary", page: "/", message: "", extra: 1 });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: { issues: { path: string }[] } };
    expect(body.error.issues.map((i) => i.path).join(" ")).toMatch(/message/);
    expect((await post(url, "{not json")).status).toBe(400);
    expect(lines).toEqual([]);
  });

  it("refuses a report larger than its limit", async () => {
    const { url, lines } = await serve();
    const r = await post(url, { kind: "error", page: "/", message: "x", stack: "y".repeat(MAX_REPORT_BYTES) });
    expect(r.status).toBe(413);
    expect(lines).toEqual([]);
  });

  it("limits how often one client may report", async () => {
    const { url, lines } = await serve({ perSecond: 0.001, burst: 3 });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await post(url, { kind: "error", page: "/", message: `e${i}` })).status);
    expect(codes).toEqual([204, 204, 204, 429, 429]);
    expect(lines).toHaveLength(3);
  });

  it("keeps control characters out of the log line", async () => {
    const { url, lines } = await serve();
    await post(url, { kind: "error", page: "/\n", message: "a\nfake line\u001b[31m" });
    expect(lines).toHaveLength(1);
    // oxlint-disable-next-line no-control-regex -- control characters are what must not be logged
    expect(lines[0]).not.toMatch(/[\n\u001b]/);
  });
});
