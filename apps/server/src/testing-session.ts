// Test support (not part of the product): vitest hooks around startTestServer for a test file:
// the server started before the file's tests and closed after them (which takes every lab down
// and proves nothing of it is left); with serverWithLab, one lab made before the tests, from its
// file or from a blank lab by edits as a browser draws it, with clients connected to it that the
// tests use. Kept apart from testing.ts, which benchmarks import too: this one registers vitest hooks.

import { afterAll, beforeAll, expect } from "vitest";
import { ensureOvsRunning } from "@topolab/engine";
import type { Change } from "@topolab/protocol";
import type { ServerOptions } from "./server/config";
import { startTestServer, type Client, type TestServer } from "./testing";

/** Call at the top of a test file; `server` is there once the file's tests run. */
export function serverSession(options: ServerOptions = {}, o: { closeTimeoutMs?: number } = {}): { readonly server: TestServer } {
  let t: TestServer | undefined;
  beforeAll(async () => {
    t = await startTestServer(options);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  }, o.closeTimeoutMs ?? 60_000);
  return {
    get server() {
      return t!;
    },
  };
}

export interface ServerLabOptions {
  /**
   * Clients connected before the lab is made and kept for the file's tests (closed with the
   * server): the first makes the lab, the others open it. None: a client of its own makes it.
   */
  clients?: number;
  /** Once the lab is made, before the tests: e.g. wait until its hosts reach each other. */
  ready?: () => Promise<void>;
}

/**
 * Call at the top of a test file: as root with Open vSwitch running, a server with one lab, made
 * from its file (a string) or from a blank lab by these edits (lab:create blank, then lab:edit).
 * `server` and `clients` are there once the file's tests run.
 */
export function serverWithLab(
  name: string,
  source: string | Change[],
  o: ServerLabOptions = {},
): { readonly server: TestServer; readonly clients: readonly Client[] } {
  const session = serverSession();
  const clients: Client[] = [];
  beforeAll(async () => {
    expect(process.getuid?.()).toBe(0);
    await ensureOvsRunning();
    const t = session.server;
    for (let i = 0; i < (o.clients ?? 0); i++) clients.push(await t.connect());
    const maker = clients[0] ?? (await t.connect());
    if (typeof source === "string") await maker.ok("lab:create", { name, source: { type: "file", text: source } });
    else {
      await maker.ok("lab:create", { name, source: { type: "blank" } });
      await maker.ok("lab:edit", { lab: name, changes: source });
    }
    for (const c of clients.slice(1)) await c.ok("lab:open", { lab: name });
    if (!clients.length) maker.close();
    await o.ready?.();
  }, 60_000);
  return {
    get server() {
      return session.server;
    },
    clients,
  };
}

/** The edits that draw h1 and h2 (eth0 with these addresses) on an OVS switch s1, as a browser sends them. */
export function twoHostsOnSwitch(h1: string, h2: string): Change[] {
  const host = (name: string, address: string) => ({ name, kind: "host" as const, interfaces: { eth0: { addresses: [address] } } });
  return [
    { type: "addNode", node: { name: "s1", kind: "switch" } },
    { type: "addNode", node: host("h1", h1) },
    { type: "addNode", node: host("h2", h2) },
    { type: "addLink", link: { endpoints: ["h1:eth0", "s1:eth1"] } },
    { type: "addLink", link: { endpoints: ["h2:eth0", "s1:eth2"] } },
  ];
}
