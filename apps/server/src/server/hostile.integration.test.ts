// Each input that once crashed, stalled or slipped past the server (issue 10, case 5), sent to a
// real server as a careless or hostile client would: it is answered with a message (never a
// stack, never a 500), the answer stays small, and the server goes on answering.

import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io } from "socket.io-client";
import { PROTOCOL_VERSION } from "@topolab/protocol";
import { startTestServer, type TestServer } from "../testing";

let t: TestServer;
const lab = (tag: string) => `vz-${tag}-${Math.random().toString(36).slice(2, 7)}`;

beforeAll(async () => {
  // small caps, so that they can be reached; labs are blank or refused: nothing in the kernel
  t = await startTestServer({ maxNodes: 50, maxLabs: 3 });
});

afterAll(async () => {
  await t?.close();
});

/** The server still answers, with the token, and its lab list is readable. */
async function stillAnswering(): Promise<void> {
  expect((await t.rest("GET", "/api/health", { token: null })).status).toBe(200);
  expect((await t.rest("GET", "/api/labs")).status).toBe(200);
}

type Answer = {
  status: number;
  body: { error?: { code: string; message: string; issues?: { path: string; message: string; line?: number }[] } };
  text: string;
};
const put = (name: string, body: unknown) => t.rest("PUT", `/api/labs/${name}`, { body }) as Promise<Answer>;

describe("lab documents that crashed or slipped through", () => {
  it.each(["constructor", "toString", "__proto__", "hasOwnProperty"])(
    "a NAT gateway's interface named %s: 400 with the reason, the server answering",
    async (ifname) => {
      const name = lab("nat");
      const doc = {
        name,
        nodes: [
          { name: "gw", kind: "nat" },
          { name: "h1", kind: "host" },
        ],
        links: [{ endpoints: [`gw:${ifname}`, "h1:eth0"] }],
      };
      const r = await put(name, doc);
      expect(r.status).toBe(400);
      expect(r.body.error!.issues).toContainEqual(
        expect.objectContaining({ path: "links[0].endpoints[0]", message: expect.stringContaining(`"${ifname}" is a reserved name`) }),
      );
      // the same as YAML, with the addresses under the interface: refused, not silently dropped
      const yaml = `name: ${name}\nnodes:\n  - {name: gw, kind: nat, interfaces: {${ifname}: {addresses: [192.168.9.254/24]}}}\n  - {name: h1, kind: host}\nlinks:\n  - endpoints: [gw, h1]\n`;
      const y = await put(name, yaml);
      expect(y.status).toBe(400);
      expect(y.body.error!.issues).toContainEqual(expect.objectContaining({ message: expect.stringContaining(`"${ifname}" is a reserved name`), line: 3 }));
      await stillAnswering();
      expect((await t.rest("GET", `/api/labs/${name}`)).status).toBe(404);
    },
  );

  it("a YAML alias bomb: 400 with the line of its first alias, no stack", async () => {
    const name = lab("bomb");
    const bomb = [`name: ${name}`, "nodes: []", 'a: &a ["x","x","x","x","x","x","x","x","x"]']
      .concat(["b", "c", "d", "e", "f", "g", "h"].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${"abcdefg"[i]}`).join(",")}]`))
      .join("\n");
    const r = await put(name, bomb);
    expect(r.status).toBe(400);
    expect(r.body.error!.issues).toEqual([{ path: "", message: expect.stringContaining("aliases"), line: 4 }]);
    expect(r.text).not.toMatch(/\bat .*\.(js|ts):\d+/);
    await stillAnswering();
  });

  it("a 900 KiB YAML PUT: 413 above the 512 KiB a lab file may have", async () => {
    const name = lab("fat");
    const yaml = `name: ${name}\nnodes: []\n` + Array.from({ length: 910 }, (_, i) => `# ${String(i).padEnd(1020, "x")}`).join("\n");
    expect(yaml.length).toBeGreaterThan(900 * 1024);
    const r = await put(name, yaml);
    expect(r.status).toBe(413);
    expect(r.body.error).toMatchObject({ code: "limit", message: expect.stringContaining("at most 524,288 bytes (512 KiB) for a lab") });
    // the same as a JSON document: the document limit
    const doc = {
      name,
      description: "x",
      nodes: [{ name: "h1", kind: "host", label: "x".repeat(190) }],
      links: [],
      exercise: { text: "y".repeat(600 * 1024) },
    };
    const j = await put(name, doc);
    expect(j.status).toBe(413);
    expect(j.body.error!.message).toMatch(/^the request body is [\d,]+ bytes; the server takes at most 524,288 bytes \(512 KiB\) for a lab$/);
    // a document grown past the limit by edits (under the 1 MiB of one request): the document's limit
    await t.rest("POST", "/api/labs", { body: { name, source: { type: "blank" } } });
    const grown = await t.rest("POST", `/api/labs/${name}/edit`, {
      body: {
        changes: [
          { type: "updateLab", set: { description: "x" } },
          { type: "addNode", node: { name: "h1", kind: "host", label: "y" } },
          { type: "replace", document: { ...doc, name } },
        ],
      },
    });
    expect(grown.status).toBe(413);
    expect((grown.body as Answer["body"]).error!.message).toMatch(/^the lab document \(as JSON\) is [\d,]+ bytes; the server takes at most 524,288/);
    await t.rest("DELETE", `/api/labs/${name}`);
    await stillAnswering();
    expect((await t.rest("GET", `/api/labs/${name}`)).status).toBe(404);
  });

  it("30,000 nodes (0.95 MB): refused with a short answer; past the node cap: one problem that says so", async () => {
    const name = lab("huge");
    const nodes = Array.from({ length: 30_000 }, (_, i) => ({ name: `h${i}`, kind: "host" }));
    const r = await put(name, { name, nodes, links: [] });
    expect(r.status).toBe(413);
    expect(r.text.length).toBeLessThan(1000);
    const capped = await put(name, { name, nodes: nodes.slice(0, 51), links: [] });
    expect(capped.status).toBe(400);
    expect(capped.body.error!.issues).toEqual([{ path: "nodes", message: "the lab has 51 nodes; a lab may have at most 50" }]);
    // 3,000 broken links under the cap of nodes: at most 100 problems and a count of the rest
    const broken = await put(name, {
      name,
      nodes: nodes.slice(0, 50),
      links: Array.from({ length: 3000 }, (_, i) => ({ endpoints: [`h${i % 50}`, `x${i}`] })),
    });
    expect(broken.status).toBe(400);
    expect(broken.body.error!.issues!.length).toBe(101);
    expect(broken.body.error!.issues!.at(-1)).toEqual({ path: "", message: "… and 2,900 more problems" });
    expect(broken.text.length).toBeLessThan(30_000);
    await stillAnswering();
  });

  it("labs beyond the server's cap: refused with the setting's name", async () => {
    const names = [lab("a"), lab("b"), lab("c"), lab("d")];
    const before = ((await t.rest("GET", "/api/labs")).body as unknown[]).length;
    const results: number[] = [];
    for (const name of names) results.push((await t.rest("POST", "/api/labs", { body: { name, source: { type: "blank" } } })).status);
    expect(results.filter((s) => s === 201).length).toBe(3 - before);
    const refused = await t.rest("POST", "/api/labs", { body: { name: lab("e"), source: { type: "blank" } } });
    expect(refused.status).toBe(409);
    expect((refused.body as Answer["body"]).error).toMatchObject({ code: "limit", message: expect.stringContaining("at most 3 labs (TOPOLAB_MAX_LABS)") });
    for (const name of names) await t.rest("DELETE", `/api/labs/${name}`);
    await stillAnswering();
  });

  it("over socket.io: a hostile file, a replace with __proto__, and a moveNodes with constructor are refused; the socket goes on", async () => {
    const c = await t.connect();
    const bomb = await c.request("lab:create", {
      name: lab("sb"),
      source: {
        type: "file",
        text: "name: x\nnodes: []\na: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
      },
    });
    expect(bomb).toMatchObject({ ok: false, error: { code: "invalid", issues: [{ message: expect.stringContaining("aliases") }] } });
    const name = lab("sk");
    await c.ok("lab:create", { name, source: { type: "blank" } });
    const replace = await c.request("lab:edit", { lab: name, changes: [{ type: "replace", document: JSON.parse('{"nodes": [], "__proto__": {"x": 1}}') }] });
    expect(replace).toMatchObject({
      ok: false,
      error: { code: "invalid", issues: [expect.objectContaining({ message: expect.stringContaining('"__proto__" is a reserved name') })] },
    });
    const move = await c.request("lab:edit", { lab: name, changes: [{ type: "moveNodes", positions: JSON.parse('{"constructor": {"x": 1, "y": 2}}') }] });
    expect(move).toMatchObject({ ok: false, error: { code: "invalid" } });
    const big = await c.request("lab:create", {
      name: lab("sf"),
      source: { type: "file", text: `name: x\nnodes: []\ndescription: "${"é".repeat(300 * 1024)}"\n` },
    });
    expect(big).toMatchObject({ ok: false, error: { code: "limit", message: expect.stringContaining("512 KiB") } });
    expect(await c.ok("labs:list", {})).toEqual(expect.arrayContaining([expect.objectContaining({ name })]));
    await c.ok("lab:delete", { lab: name });
    c.close();
    await stillAnswering();
  });
});

/** A request from another loopback address (the kernel takes any 127.x as a source). */
function from(
  localAddress: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(t.origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, headers: { host: url.host, ...headers }, localAddress }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("failed authentication", () => {
  it("is counted per address: after 10 wrong tokens, 429 with Retry-After, even for the right one; other addresses unaffected", async () => {
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    for (let i = 0; i < 10; i++) expect((await from("127.0.0.2", "/api/labs", bearer(`wrong-token-${i}-0123456789`))).status).toBe(401);
    const refused = await from("127.0.0.2", "/api/labs", bearer("wrong-token-x-0123456789"));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    expect(JSON.parse(refused.body)).toEqual({
      error: { code: "limit", message: expect.stringMatching(/^too many failed attempts to authenticate from this address: try again in \d+ s$/) },
    });
    expect((await from("127.0.0.2", "/api/labs", bearer(t.token))).status).toBe(429);
    expect((await from("127.0.0.2", `/?token=${t.token}`, {})).status).toBe(429);
    // no token at all is no guess: the page that says how to get in
    expect((await from("127.0.0.2", "/", {})).status).toBe(401);
    // successful authentication, as often as it likes, from another address
    for (let i = 0; i < 30; i++) expect((await from("127.0.0.3", "/api/labs", bearer(t.token))).status).toBe(200);
    await stillAnswering();
  });

  it("the socket.io handshake counts and obeys the same limit", async () => {
    const connect = (token: string) =>
      new Promise<{ ok: boolean; data?: { code?: string; retryAfter?: number } }>((resolve) => {
        const s = io(t.origin, {
          transports: ["websocket"],
          reconnection: false,
          forceNew: true,
          extraHeaders: { origin: t.origin },
          auth: { protocol: PROTOCOL_VERSION, token },
          localAddress: "127.0.0.4",
        } as Parameters<typeof io>[1]);
        s.once("connect", () => {
          s.disconnect();
          resolve({ ok: true });
        });
        s.once("connect_error", (e: Error & { data?: { code?: string; retryAfter?: number } }) => {
          s.disconnect();
          resolve({ ok: false, ...(e.data ? { data: e.data } : {}) });
        });
      });
    expect(await connect(t.token)).toEqual({ ok: true });
    for (let i = 0; i < 10; i++) expect(await connect(`wrong-token-${i}-0123456789`)).toMatchObject({ ok: false, data: { code: "unauthorized" } });
    expect(await connect(t.token)).toMatchObject({ ok: false, data: { code: "limit", retryAfter: expect.any(Number) } });
    // the REST side of the same address waits too
    expect((await from("127.0.0.4", "/api/labs", { authorization: `Bearer ${t.token}` })).status).toBe(429);
    await stillAnswering();
  });
});
