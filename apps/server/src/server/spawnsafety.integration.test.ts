// Issue 10, case 3, through the server and the CLI on the real kernel: a lab whose service sets
// PATH=/nonexistent used to end the server (an unhandled "error" event of a spawn) with every
// terminal of every lab, leaving a half-built lab, and the CLI died the same way mid-`up`. Now
// the request fails with the reason, the lab is rolled back to nothing, and the server goes on
// answering, its other terminals alive; the CLI exits 1 with the message, nothing left.

import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alive, ensureOvsRunning } from "@topolab/engine";
import { leftoversAfterSettling, tempStateDir } from "@topolab/engine/testing";
import { repoRoot } from "./config";
import { startTestServer, type TestServer } from "../testing";

let t: TestServer;
const labName = (what: string) => `ow-${what}-${Math.random().toString(36).slice(2, 6)}`;

const BAD = (name: string) =>
  [
    `name: ${name}`,
    "nodes:",
    "  - {name: h1, kind: host, interfaces: {eth0: {addresses: [10.78.0.1/24]}}}",
    "  - name: h2",
    "    kind: host",
    "    interfaces: {eth0: {addresses: [10.78.0.2/24]}}",
    "    services:",
    "      - {type: process, name: web, command: [sleep, '1000'], env: {PATH: /nonexistent}}",
    "  - {name: s1, kind: switch, type: ovs}",
    "links:",
    "  - {endpoints: ['h1:eth0', s1]}",
    "  - {endpoints: ['h2:eth0', s1]}",
    "",
  ].join("\n");

beforeAll(async () => {
  await ensureOvsRunning();
  t = await startTestServer();
});

afterAll(async () => {
  await t?.close();
});

describe("a lab with a service that cannot start", () => {
  it("is refused with the reason by the server, which keeps answering, its other lab's terminal alive", async () => {
    const c = await t.connect();
    const other = labName("alive");
    await c.ok("lab:create", { name: other, source: { type: "file", text: "nodes:\n  - {name: h1, kind: host}\n" } });
    const { id } = await c.ok("term:open", { lab: other, node: "h1", cols: 80, rows: 24 });
    await c.screen(id, /root@h1.*# $/);

    const bad = labName("path");
    const put = await t.rest("PUT", `/api/labs/${bad}`, { body: BAD(bad) });
    expect(put.status).toBe(500);
    expect((put.body as { error: unknown }).error).toMatchObject({
      code: "apply_failed",
      message: expect.stringMatching(/web on h2 exited at once \(code 127\).*not found[\s\S]*nothing of it was left behind/),
    });
    // the same through a socket
    const created = await c.request("lab:create", { name: bad, source: { type: "file", text: BAD(bad) } });
    expect(created.ok).toBe(false);
    expect(await leftoversAfterSettling(bad)).toEqual([]);

    // still answering, and the other lab's shell still runs commands
    const list = await t.rest("GET", "/api/labs");
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).toContain(other);
    expect(JSON.stringify(list.body)).not.toContain(bad);
    c.socket.emit("term:input", { id, data: "echo still-$((20+22))\r" });
    await c.screen(id, /still-42/);
    await c.ok("lab:delete", { lab: other });
  });
});

describe("the CLI", () => {
  it("up of that lab exits 1 with the reason, rolled back, nothing left", async () => {
    const state = await tempStateDir();
    const name = labName("cli");
    const file = join(state.dir, "bad.yaml");
    await (await import("node:fs/promises")).writeFile(file, BAD(name));
    try {
      const child = spawn(process.execPath, [join(repoRoot(), "apps/server/bin/topolab.js"), "up", file], {
        env: { ...process.env, TOPOLAB_STATE_DIR: join(state.dir, "state") },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
      const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
      expect(stderr).toMatch(/web on h2 exited at once \(code 127\).*not found/);
      expect(stderr).toMatch(/nothing of it was left behind/);
      expect(stderr).not.toMatch(/at .*\.js:\d+/); // a message, not a stack
      expect(code).toBe(1);
      expect(await leftoversAfterSettling(name)).toEqual([]);
      expect(alive(process.pid)).toBe(true);
    } finally {
      await state.remove();
    }
  });
});
