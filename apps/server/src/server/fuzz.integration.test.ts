// Fuzzing a real server (issue 10): random socket.io messages (real event names and made-up
// ones, payloads of any shape or real ones broken, with and without an acknowledgement) and
// random REST requests. The server must never crash, never answer "internal", and keep
// answering. Integration layer: the server's engine needs root, and a lab:create that passes
// makes a (blank) lab. Lab names are forced to start with "vz" so that nothing here can name
// another test's lab.

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io, type Socket } from "socket.io-client";
import { clientEvents, PROTOCOL_VERSION } from "@topolab/protocol";
import { startTestServer, type TestServer } from "../testing";

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});

afterAll(async () => {
  await t?.close();
});

const HOSTILE = ["__proto__", "constructor", "toString", "", "x".repeat(70), "h1", "eth0", "vzfuzz", "vzfuzz2", "../x", "\u0000"];
const str = fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 10 }));
const ownKeys = (entries: [string, unknown][]) =>
  JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v ?? null)}`).join(",")}}`) as Record<string, unknown>;
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(null, true, false, 0, -1, 80, 24, 1e12, 2.5),
    str,
    fc.array(tie("v"), { maxLength: 3 }),
    fc.array(fc.tuple(str, tie("v")), { maxLength: 3 }).map(ownKeys),
  ),
})).v;

/** Lab names that could be someone else's become ours. */
function ours(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(ours);
  if (typeof x !== "object" || x === null) return x;
  const out = JSON.parse(JSON.stringify(x)) as Record<string, unknown>;
  for (const k of ["lab", "to", "name"]) {
    const v = out[k];
    if (typeof v === "string" && !v.startsWith("vz")) out[k] = `vz${v.replace(/[^a-z0-9_-]/g, "")}`.slice(0, 32);
  }
  for (const [k, v] of Object.entries(out)) if (typeof v === "object") out[k] = ours(v);
  return out;
}

const names = Object.keys(clientEvents);
const payload = fc.oneof(
  value,
  fc.record(
    {
      lab: fc.constantFrom("vzfuzz", "vzfuzz2", "vznone"),
      node: str,
      id: fc.oneof(str, fc.constant("abcdefgh12345678")),
      cols: value,
      rows: value,
      data: value,
      chars: value,
      to: str,
      name: str,
      source: fc.oneof(
        value,
        fc.constant({ type: "blank" }),
        fc.record({
          type: fc.constant("file"),
          text: fc.oneof(
            str,
            fc.constant("name: x\nnodes: [{name: h1, kind: nat}]\nlinks: [{endpoints: [h1:constructor, h1:eth1]}]\n"),
            fc.constant("a: &a [1,1,1,1,1,1,1,1,1,1]\nb: [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"),
          ),
        }),
        fc.record({ type: fc.constant("template"), id: str }),
      ),
      changes: fc.oneof(
        value,
        fc.array(
          fc.record(
            {
              type: fc.constantFrom("addNode", "updateNode", "removeNode", "addLink", "replace", "moveNodes", "x"),
              node: value,
              name: str,
              set: value,
              link: value,
              document: value,
              positions: value,
            },
            { requiredKeys: ["type"] },
          ),
          { maxLength: 3 },
        ),
      ),
    },
    { requiredKeys: [] },
  ),
);
/** Requests that pass their schema, so that handlers run too, between the broken ones. */
const valid = fc.constantFrom(
  { event: "labs:list", args: [{}], ack: true },
  { event: "templates:list", args: [{}], ack: true },
  { event: "lab:create", args: [{ name: "vzfuzz", source: { type: "blank" } }], ack: true },
  { event: "lab:open", args: [{ lab: "vzfuzz" }], ack: true },
  { event: "lab:edit", args: [{ lab: "vzfuzz", changes: [{ type: "addNode", node: { name: "h1", kind: "host" } }] }], ack: true },
  { event: "lab:edit", args: [{ lab: "vzfuzz", changes: [{ type: "moveNodes", positions: { h1: { x: 1, y: 2 } } }] }], ack: true },
  { event: "lab:status", args: [{ lab: "vzfuzz" }], ack: true },
  { event: "term:list", args: [{}], ack: true },
);
const message = fc.oneof(
  fc.record({
    event: fc.oneof(fc.constantFrom(...names), str),
    args: fc.oneof(
      payload.map((p) => [p]),
      fc.array(value, { maxLength: 3 }),
    ),
    ack: fc.boolean(),
  }),
  valid,
);

function connect(): Promise<Socket> {
  const s = io(t.origin, {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    extraHeaders: { origin: t.origin },
    auth: { protocol: PROTOCOL_VERSION, token: t.token },
  });
  return new Promise((resolve, reject) => {
    s.once("connect", () => resolve(s));
    s.once("connect_error", reject);
  });
}

const codesSeen = new Map<string, number>();

describe("fuzz: a real server", () => {
  it("random socket.io messages: every ack is a response, never internal; the server goes on", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 6 }), async (msgs) => {
        const s = await connect();
        try {
          for (const m of msgs) {
            const args = ours(m.args) as unknown[];
            if (!m.ack) {
              s.emit(m.event, ...args);
              continue;
            }
            const r = (await s
              .timeout(20_000)
              .emitWithAck(m.event, ...args)
              .catch((e: Error) => ({ timeout: e.message }))) as { ok?: boolean; error?: { code: string; message: string }; timeout?: string };
            if (r.timeout !== undefined) {
              // a refused fire-and-forget event answers with protocol:error, not an ack; a disconnect (too many refusals) too
              if (s.disconnected) break;
              continue;
            }
            expect(typeof r.ok).toBe("boolean");
            const code = r.ok ? "ok" : r.error!.code;
            codesSeen.set(code, (codesSeen.get(code) ?? 0) + 1);
            expect(code, r.error?.message).not.toBe("internal");
          }
        } finally {
          s.disconnect();
        }
      }),
      { numRuns: 60 },
    );
    // not only refusals: some messages got through to their handlers
    expect(codesSeen.get("ok") ?? 0).toBeGreaterThan(0);
    const c = await connect();
    expect(await c.timeout(10_000).emitWithAck("labs:list", {})).toMatchObject({ ok: true });
    c.disconnect();
    expect(t.lines.filter((l) => l.includes("internal error"))).toEqual([]);
  }, 300_000);

  it("random REST requests: never a 500, and the server goes on", async () => {
    const path = fc.oneof(
      fc.constantFrom(
        "/api/labs",
        "/api/labs/vzfuzz",
        "/api/labs/vzfuzz/edit",
        "/api/labs/vzfuzz/rename",
        "/api/labs/vzfuzz/start",
        "/api/labs/vzfuzz/stop",
        "/api/labs/vzfuzz/status",
        "/api/labs/vzfuzz/export?format=yaml",
        "/api/labs/vzfuzz/nodes/h1/exec",
        "/api/templates",
        "/api/labs/__proto__",
        "/api/labs/constructor/edit",
      ),
      str.map((x) => `/api/labs/vz${encodeURIComponent(x)}`),
    );
    const body = fc.oneof(
      value,
      fc.string({ maxLength: 50 }),
      fc.constant("a: &a [1,1,1,1,1,1,1,1,1,1]\nb: [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"),
      fc.constant('{"nodes": [{"name": "gw", "kind": "nat"}], "links": [{"endpoints": ["gw:toString", "gw:eth1"]}]}'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PUT", "DELETE"),
        path,
        body,
        fc.constantFrom("application/json", "application/yaml", "text/plain"),
        async (method, p, b, type) => {
          const text = typeof b === "string" ? b : JSON.stringify(b);
          const r = await t.rest(method, p, method === "GET" || method === "DELETE" ? {} : { body: text ?? "null", headers: { "content-type": type } });
          expect(r.status, `${method} ${p} ${text}: ${r.text}`).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
    expect((await t.rest("GET", "/api/labs")).status).toBe(200);
    expect(t.lines.filter((l) => l.includes("internal error"))).toEqual([]);
  }, 300_000);
});
