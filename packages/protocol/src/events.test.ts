import { describe, expect, it } from "vitest";
import { clientEvents, HandshakeSchema, isClientEvent, LIMITS, responseSchema, serverEvents } from "./events";
import { LabSummarySchema } from "./views";

describe("client events", () => {
  it("knows its events and nothing else", () => {
    expect(isClientEvent("lab:edit")).toBe(true);
    expect(isClientEvent("constructor")).toBe(false);
    expect(isClientEvent("__proto__")).toBe(false);
    expect(isClientEvent("lab:drop")).toBe(false);
  });

  it("takes strict payloads: unknown fields are refused", () => {
    expect(clientEvents["lab:open"].args.safeParse({ lab: "demo" }).success).toBe(true);
    expect(clientEvents["lab:open"].args.safeParse({ lab: "demo", admin: true }).success).toBe(false);
    expect(clientEvents["labs:list"].args.safeParse({ x: 1 }).success).toBe(false);
  });

  it("refuses hostile lab and node names", () => {
    for (const lab of ["../x", "Demo", "a b", "", "x".repeat(33)]) expect(clientEvents["lab:open"].args.safeParse({ lab }).success, lab).toBe(false);
    const open = (node: string) => clientEvents["term:open"].args.safeParse({ lab: "demo", node, cols: 80, rows: 24 }).success;
    expect(open("h1")).toBe(true);
    for (const node of ["../../bin/sh", "h1 -c id", "$(id)", "h1\n"]) expect(open(node), node).toBe(false);
  });

  it("bounds terminal sizes and input", () => {
    const resize = (cols: number, rows: number) => clientEvents["term:resize"].args.safeParse({ id: "abcdefgh12", cols, rows }).success;
    expect(resize(80, 24)).toBe(true);
    expect(resize(LIMITS.cols.max + 1, 24)).toBe(false);
    expect(resize(80, 0)).toBe(false);
    expect(resize(80.5, 24)).toBe(false);
    expect(resize(1e9, 1e9)).toBe(false);
    const input = (data: string) => clientEvents["term:input"].args.safeParse({ id: "abcdefgh12", data }).success;
    expect(input("ls\r")).toBe(true);
    expect(input("x".repeat(LIMITS.maxInput + 1))).toBe(false);
  });

  it("creates labs from nothing, a template or a file's text", () => {
    const create = clientEvents["lab:create"].args;
    expect(create.safeParse({ name: "demo", source: { type: "blank" } }).success).toBe(true);
    expect(create.safeParse({ source: { type: "template", id: "vlans" } }).success).toBe(true);
    expect(create.safeParse({ source: { type: "template", id: "../etc/passwd" } }).success).toBe(false);
    expect(create.safeParse({ source: { type: "file", text: "x".repeat(LIMITS.maxLabText + 1) } }).success).toBe(false);
  });

  it("an edit carries between one and maxChanges changes", () => {
    const edit = clientEvents["lab:edit"].args;
    expect(edit.safeParse({ lab: "demo", changes: [] }).success).toBe(false);
    expect(edit.safeParse({ lab: "demo", changes: [{ type: "removeNode", name: "h1" }] }).success).toBe(true);
  });
});

describe("handshake and acks", () => {
  it("needs a protocol version and refuses other fields", () => {
    expect(HandshakeSchema.safeParse({ protocol: 1, session: "abcdefghijklmnop" }).success).toBe(true);
    expect(HandshakeSchema.safeParse({}).success).toBe(false);
    expect(HandshakeSchema.safeParse({ protocol: 1, user: "root" }).success).toBe(false);
    expect(HandshakeSchema.safeParse({ protocol: 1, session: "short" }).success).toBe(false);
  });

  it("describes both forms of a response", () => {
    const r = responseSchema(LabSummarySchema);
    expect(r.safeParse({ ok: true, value: { name: "a", running: true, nodes: 1, links: 0 } }).success).toBe(true);
    expect(r.safeParse({ ok: false, error: { code: "invalid", message: "no", issues: [{ path: "nodes[0].name", message: "x", node: "h1" }] } }).success).toBe(
      true,
    );
    expect(r.safeParse({ ok: true }).success).toBe(false);
  });

  it("every server event has a schema", () => {
    expect(Object.keys(serverEvents).sort()).toMatchInlineSnapshot(`
      [
        "capture:ended",
        "capture:packets",
        "class:ended",
        "class:grid",
        "class:message",
        "exercise:results",
        "lab:busy",
        "lab:document",
        "lab:log",
        "lab:removed",
        "lab:status",
        "labs:changed",
        "live:event",
        "protocol:error",
        "server:hello",
        "term:detached",
        "term:exit",
        "term:mode",
        "term:output",
        "term:watchers",
      ]
    `);
  });
});
