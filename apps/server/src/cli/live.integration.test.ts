// The live commands as a person runs them: inspect (text and JSON), link down/up and --loss,
// node stop/start (saved in the document, applied to the kernel), and watch printing a change
// made by hand in a node.

import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueLabName } from "@topolab/engine/testing";
import { cliSession, repoRoot } from "./testing";

const s = cliSession();
const name = uniqueLabName("lvcl");

beforeAll(async () => {
  await s.start();
  const file = join(s.stateDir(), "lab.yaml");
  await writeFile(
    file,
    `name: ${name}
nodes:
  - {name: h1, kind: host, interfaces: {eth0: {addresses: [10.68.0.1/24]}}}
  - {name: h2, kind: host, interfaces: {eth0: {addresses: [10.68.0.2/24]}}}
  - {name: s1, kind: switch}
links:
  - {endpoints: [h1:eth0, s1:eth1]}
  - {endpoints: [h2:eth0, s1:eth2]}
`,
  );
  s.labs.add(name);
  const up = await s.topolab("up", file);
  expect(up.code, up.stderr).toBe(0);
});

afterAll(() => s.stop());

const once = () => s.topolab("exec", name, "h1", "--", "ping", "-c", "1", "-W", "1", "10.68.0.2");
/** Pings until a reply or 5 s (a link just brought up takes a moment on OVS's userspace datapath). */
async function ping() {
  const deadline = Date.now() + 5000;
  let r = await once();
  while (r.code !== 0 && Date.now() < deadline) r = await once();
  return r;
}

describe("live commands", () => {
  it("inspect prints a host's interfaces, routes and neighbours, and a switch's MAC table", async () => {
    expect((await ping()).code).toBe(0);
    const h1 = await s.topolab("inspect", name, "h1");
    expect(h1.code, h1.stderr).toBe(0);
    expect(h1.stdout).toMatch(/eth0\s+UP\s+[0-9a-f:]{17}\s+1500/);
    expect(h1.stdout).toMatch(/10\.68\.0\.0\/24\s+eth0\s+kernel/);
    const json = JSON.parse((await s.topolab("inspect", name, "s1", "--json")).stdout) as { kind: string; macs: { owner?: string }[] };
    expect(json.kind).toBe("ovs");
    expect(json.macs.map((m) => m.owner)).toContain("h1:eth0");
    const bad = await s.topolab("inspect", name, "nope");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("has no node named nope");
  });

  it("link down and up, loss, node stop and start: saved in the document and applied", async () => {
    expect((await s.topolab("link", name, "h1:eth0", "down")).code).toBe(0);
    expect((await once()).code).not.toBe(0);
    expect((await s.topolab("export", name, "--format", "yaml")).stdout).toMatch(/state: down/);
    expect((await s.topolab("inspect", name, "h1")).stdout).toMatch(/eth0\s+NO-CARRIER/);
    expect((await s.topolab("link", name, "h1:eth0", "up")).code).toBe(0);
    expect((await ping()).code).toBe(0);
    expect((await s.topolab("link", name, "s1:eth1", "--loss", "10%")).code).toBe(0);
    expect((await s.topolab("export", name, "--format", "json")).stdout).toMatch(/"loss": 10/);
    expect((await s.topolab("exec", name, "h1", "--", "nft", "list", "tables", "netdev")).stdout).toContain("tl_loss_eth0");
    expect((await s.topolab("link", name, "s1:eth1", "--loss", "0")).code).toBe(0);
    expect((await s.topolab("exec", name, "h1", "--", "nft", "list", "tables", "netdev")).stdout).not.toContain("tl_loss");
    const bad = await s.topolab("link", name, "h1:eth0", "--loss", "120%");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--loss is a percentage");
    expect((await s.topolab("node", name, "h2", "stop")).code).toBe(0);
    expect((await once()).code).not.toBe(0);
    expect((await s.topolab("node", name, "h2", "start")).code).toBe(0);
    expect((await ping()).code).toBe(0);
  });

  it("watch prints a hand-made change as it happens, and stops on SIGINT", async () => {
    const child = spawn(process.execPath, [join(repoRoot, "apps/server/bin/topolab.js"), "watch", name], {
      env: { ...process.env, TOPOLAB_STATE_DIR: s.stateDir() },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    child.stdout.on("data", (b: Buffer) => (text += b.toString()));
    await new Promise<void>((resolve) => child.stderr.once("data", () => resolve()));
    await s.topolab("exec", name, "h2", "--", "ip", "addr", "add", "10.9.9.9/24", "dev", "eth0");
    const deadline = Date.now() + 3000;
    while (!text.includes("h2: eth0 +10.9.9.9/24") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(text).toContain("h2: eth0 +10.9.9.9/24");
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
  });
});
