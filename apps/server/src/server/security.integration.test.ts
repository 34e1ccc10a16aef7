// Who may talk to the server, tested from outside as an attacker would try: no token, a wrong
// one, a foreign or missing Origin, a strange Host, oversized and malformed messages, hostile
// names, floods. Each refusal must leave the kernel untouched.

import { request } from "node:http";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureOvsRunning, readSnapshot } from "@topolab/engine";
import { uniqueLabName } from "@topolab/engine/testing";
import { LIMITS } from "@topolab/protocol";
import { connectClient, startTestServer, type TestServer } from "../testing";

let t: TestServer;

beforeAll(async () => {
  await ensureOvsRunning();
  t = await startTestServer();
});

afterAll(async () => {
  await t?.close();
  expect(t.lines.join("\n")).not.toContain(t.token);
});

/** An HTTP request with headers fetch would not let us set (Host). */
function raw(path: string, headers: Record<string, string>, method = "GET"): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(t.origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function refusedConnection(o: Parameters<TestServer["connect"]>[0]): Promise<Error & { data?: { code?: string } }> {
  try {
    const c = await t.connect(o);
    c.close();
  } catch (e) {
    return e as Error & { data?: { code?: string } };
  }
  throw new Error("the connection was accepted");
}

describe("HTTP", () => {
  it("refuses the API without the token, or with a wrong one", async () => {
    expect((await t.rest("GET", "/api/labs", { token: null })).status).toBe(401);
    expect((await t.rest("GET", "/api/labs", { token: "x".repeat(32) })).status).toBe(401);
    expect((await t.rest("GET", "/api/labs")).status).toBe(200);
    const page = await t.rest("GET", "/", { token: null });
    expect(page.status).toBe(401);
    expect(page.text).toContain("access token");
    expect((await t.rest("GET", "/api/health", { token: null })).body).toMatchObject({ ok: true, protocol: 1 });
  });

  it("swaps the token in the address for an HttpOnly, SameSite=Strict cookie, and removes it from the address", async () => {
    const r = await t.rest("GET", `/labs/x?view=1&token=${t.token}`, { token: null });
    expect(r.status).toBe(302);
    expect(r.headers.get("location")).toBe("/labs/x?view=1");
    const cookie = r.headers.get("set-cookie")!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const pair = cookie.split(";")[0]!;
    expect((await t.rest("GET", "/api/labs", { token: null, headers: { cookie: pair } })).status).toBe(200);
    expect((await t.rest("GET", "/?token=wrong-token-123456", { token: null })).status).toBe(401);

    // a browser's state-changing request needs its own Origin
    const name = uniqueLabName("srv");
    const post = (headers: Record<string, string>) => t.rest("POST", `/api/labs/${name}/stop`, { token: null, headers: { cookie: pair, ...headers } });
    expect((await post({})).status).toBe(403);
    expect((await post({ origin: "http://evil.example" })).status).toBe(403);
    expect((await post({ origin: "null" })).status).toBe(403);
    expect((await post({ origin: t.origin })).status).toBe(404); // past the checks: there is no such lab
    // with the bearer token a script may omit Origin, but a foreign one is still refused
    expect((await t.rest("POST", `/api/labs/${name}/stop`, { headers: { origin: "http://evil.example" } })).status).toBe(403);
  });

  it("refuses a Host header it does not answer to (DNS rebinding)", async () => {
    const port = new URL(t.origin).port;
    expect((await raw("/api/health", { host: `evil.example:${port}` })).status).toBe(403);
    expect((await raw("/api/health", { host: `localhost:${port}` })).status).toBe(200);
    expect((await raw("/api/health", { host: `127.0.0.1:${port}` })).status).toBe(200);
  });

  it("limits body sizes, refuses malformed bodies and hostile names in paths", async () => {
    const big = { changes: [{ type: "replace", document: { description: "x".repeat(LIMITS.maxMessageBytes + 10) } }] };
    expect((await t.rest("POST", "/api/labs/demo/edit", { body: big })).status).toBe(413);
    expect((await t.rest("POST", "/api/labs/demo/edit", { body: "{not json", headers: { "content-type": "application/json" } })).status).toBe(400);
    const exec = (lab: string, node: string) => t.rest("POST", `/api/labs/${lab}/nodes/${node}/exec`, { body: { argv: ["id"] } });
    expect((await exec("..%2F..", "h1")).status).toBe(400);
    expect((await exec("demo", "%24(reboot)")).status).toBe(400);
    expect((await exec("demo", "h1%3Breboot")).status).toBe(400);
    expect((await t.rest("POST", "/api/labs/demo/nodes/h1/exec", { body: { argv: "id; reboot" } })).status).toBe(400);
    expect((await t.rest("GET", "/api/nothing")).status).toBe(404);
  });

  it("serves the web app when built, with its pages falling back to index.html", async () => {
    expect((await t.rest("GET", "/")).status).toBe(503); // not built yet
    const web = join(t.stateDir, "..", "web");
    await mkdir(join(web, "assets"), { recursive: true });
    await writeFile(join(web, "index.html"), "<!doctype html><title>topolab</title>");
    await writeFile(join(web, "assets", "app-1234.js"), "console.log(1)");
    const page = await t.rest("GET", "/labs/demo");
    expect(page.status).toBe(200);
    expect(page.text).toContain("<title>topolab</title>");
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const js = await t.rest("GET", "/assets/app-1234.js");
    expect(js.headers.get("cache-control")).toContain("immutable");
    expect((await t.rest("GET", "/assets/missing.js")).status).toBe(404);
  });
});

describe("socket.io", () => {
  it("refuses a foreign, missing or null Origin, a strange Host, a missing or wrong token, and another protocol", async () => {
    expect((await refusedConnection({ origin: "http://evil.example" })).message).toMatch(/websocket error|Origin/);
    expect((await refusedConnection({ origin: null })).message).toMatch(/websocket error|Origin/);
    expect((await refusedConnection({ origin: "null" })).message).toMatch(/websocket error|Origin/);
    expect((await refusedConnection({ token: null })).data?.code).toBe("unauthorized");
    expect((await refusedConnection({ token: "a".repeat(32) })).data?.code).toBe("unauthorized");
    expect((await refusedConnection({ protocol: 99 })).data?.code).toBe("protocol");
    const port = new URL(t.origin).port;
    await expect(connectClient(t.origin, { token: t.token, origin: `http://evil.example:${port}` })).rejects.toThrow();
    // the cookie alone is enough, as a browser would send it
    const cookie = `topolab-${port}=${t.token}`;
    const { io } = await import("socket.io-client");
    const s = io(t.origin, {
      transports: ["websocket"],
      forceNew: true,
      reconnection: false,
      extraHeaders: { origin: t.origin, cookie },
      auth: { protocol: 1 },
    });
    await new Promise<void>((resolve, reject) => {
      s.once("connect", () => resolve());
      s.once("connect_error", reject);
    });
    s.disconnect();
  });

  it("answers unknown events, unknown fields and out-of-range values with errors, and touches nothing", async () => {
    const c = await t.connect();
    const unknown = await (c.socket.timeout(5000).emitWithAck as (e: string, a: unknown) => Promise<{ ok: boolean; error: { code: string } }>)("lab:drop", {});
    expect(unknown).toMatchObject({ ok: false, error: { code: "unknown_event" } });
    c.socket.emit("shell:exec" as never, { cmd: "reboot" });
    expect((await c.next("protocol:error", (p) => p.event === "shell:exec")).error.code).toBe("unknown_event");
    const extra = await c.request("labs:list", { admin: true } as never);
    expect(!extra.ok && extra.error.issues).toEqual([{ path: "admin", message: "is not a known field" }]);
    c.socket.emit("term:resize", { id: "abcdefgh12", cols: 100000, rows: 24 });
    expect((await c.next("protocol:error", (p) => p.event === "term:resize")).error.code).toBe("invalid");
    c.close();
  });

  it("refuses hostile node and lab names before they reach anything", async () => {
    const c = await t.connect();
    const name = uniqueLabName("srv");
    await c.ok("lab:create", { name, source: { type: "blank" } });
    // other test files change the machine's namespaces meanwhile: look at this lab's, and at odd names
    const touched = async () => (await readSnapshot({ ovs: false })).namespaces.filter((n) => n.startsWith(`tl.${name}.`) || /[;$ /\u202e]|\.\./.test(n));
    for (const node of ["../../etc", "h1;reboot", "$(reboot)", "-rf", "h1 h2", "a".repeat(40), "h\u202e1"]) {
      const r = await c.request("lab:edit", { lab: name, changes: [{ type: "addNode", node: { name: node, kind: "host" } }] });
      expect(!r.ok && r.error.issues?.[0]?.path, node).toBe("changes[0].node.name");
      const term = await c.request("term:open", { lab: name, node, cols: 80, rows: 24 });
      expect(!term.ok && term.error.code, node).toBe("invalid");
    }
    for (const lab of ["../x", "x/../../y", "X"]) expect((await c.request("lab:open", { lab })).ok).toBe(false);
    expect(await touched()).toEqual([]);
    await c.ok("lab:delete", { lab: name });
    c.close();
  });

  it("closes the connection on an oversized message, and refuses an oversized lab file", async () => {
    const c = await t.connect();
    const tooLong = await c.request("lab:create", { name: uniqueLabName("srv"), source: { type: "file", text: "#".repeat(LIMITS.maxLabText + 1) } });
    expect(!tooLong.ok && tooLong.error.code).toBe("invalid");
    const closed = new Promise<string>((resolve) => c.socket.once("disconnect", (reason) => resolve(reason)));
    c.socket.emit("term:input", { id: "abcdefgh12", data: "x".repeat(LIMITS.maxMessageBytes + 1) });
    expect(await closed).toMatch(/transport (close|error)/);
  });

  it("limits how often a client may ask, and disconnects one that keeps getting refused", async () => {
    const c = await t.connect();
    const results = await Promise.all(Array.from({ length: 100 }, () => c.request("labs:list", {})));
    const limited = results.filter((r) => !r.ok && r.error.code === "limit").length;
    expect(limited).toBeGreaterThan(20);
    expect(results.filter((r) => r.ok).length).toBeGreaterThanOrEqual(60);
    const closed = new Promise<void>((resolve) => c.socket.once("disconnect", () => resolve()));
    for (let i = 0; i < 300; i++) c.socket.emit("nonsense" as never);
    await closed;
  });
});
