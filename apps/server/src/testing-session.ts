// Test support (not part of the product): vitest hooks around startTestServer for a test file
// that works on one lab: the server started and the lab made from its file before the file's
// tests, the server closed after them (which takes the lab down and proves nothing of it is
// left). Kept apart from testing.ts, which benchmarks import too: this one registers vitest hooks.

import { afterAll, beforeAll, expect } from "vitest";
import { startTestServer, type TestServer } from "./testing";

/** Call at the top of a test file; `server` is there once the file's tests run. */
export function serverWithLab(name: string, labFile: string): { readonly server: TestServer } {
  let t: TestServer | undefined;
  beforeAll(async () => {
    expect(process.getuid?.()).toBe(0);
    t = await startTestServer();
    const a = await t.connect();
    await a.ok("lab:create", { name, source: { type: "file", text: labFile } });
    a.close();
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  }, 60_000);
  return {
    get server() {
      return t!;
    },
  };
}
