// Crash safety, the short version of `pnpm torture`: the CLI killed with SIGKILL at fixed points
// of `up`, of an edit and of `down` on a small OVS lab, then `up` again, and the lab must be whole
// (status up without problems, pingall 100 %); at the end `down` leaves nothing. Before the
// dataplane fix, the kill after the OVS transaction left hosts that answered nothing while
// status said up. Lab names start with "da".

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempStateDir } from "@topolab/engine/testing";
import { killAfterCommands, killAtLine, proveGone, proveWhole, renameEdit, start, topoDoc, toYaml, type RawLab } from "./crashkit";

let state: { dir: string; remove: () => Promise<void> };
const env = () => ({ ...process.env, TOPOLAB_STATE_DIR: state.dir });
const name = `dacr${Math.random().toString(36).slice(2, 6)}`;

beforeAll(async () => {
  expect(process.getuid?.()).toBe(0);
  state = await tempStateDir();
});

afterAll(async () => {
  await start(["down", name], env()).exited;
  expect(await proveGone(state.dir, name)).toEqual([]);
  await state.remove();
});

async function fileOf(doc: RawLab, tag: string): Promise<string> {
  const path = join(state.dir, `${tag}.yaml`);
  await writeFile(path, toYaml(doc));
  return path;
}

/** `topolab ARGS` to the end: its exit code and output. */
async function topolab(...args: string[]): Promise<{ code: number | null; out: string }> {
  const r = start(args, env());
  const { code } = await r.exited;
  return { code, out: r.lines.join("\n") };
}

async function upAndProve(file: string): Promise<void> {
  const up = await topolab("up", file);
  expect(up.out).toMatch(new RegExp(`lab ${name}: `));
  expect(up.code).toBe(0);
  const whole = await proveWhole(state.dir, name);
  expect(whole.problems).toEqual([]);
  expect(whole.pings.sent).toBe(6 * 5);
}

describe("kill -9 at fixed points, then up: the lab is whole", () => {
  const base = () => topoDoc("single,6", name);

  it("up killed after its first kernel batch (namespaces and veths made, nothing else)", async () => {
    const file = await fileOf(base(), "base");
    const k = await killAfterCommands(start(["up", "-v", file], env()), 1);
    expect(k.killed).toBe(true);
    await upAndProve(file);
    await topolab("down", name);
  });

  it("up killed when its OVS transaction is done (ports on the bridge, hosts not configured yet)", async () => {
    const file = await fileOf(base(), "base");
    const k = await killAtLine(start(["up", "-v", file], env()), /^\s*ok\s+ovs-vsctl/);
    expect(k.killed).toBe(true);
    await upAndProve(file);
  });

  it("an edit renaming interfaces killed after its del-port transaction, then the edit again", async () => {
    const file = await fileOf(renameEdit(base(), 3), "edit");
    const k = await killAtLine(start(["up", "-v", file], env()), /^\s*ok\s+ovs-vsctl .*del-port/);
    expect(k.killed).toBe(true);
    await upAndProve(file);
  });

  it("an edit back killed after its veths are made again, before their ports are added", async () => {
    const file = await fileOf(base(), "base");
    const k = await killAtLine(start(["up", "-v", file], env()), /^\s*ok\s+ip link add name/);
    expect(k.killed).toBe(true);
    await upAndProve(file);
  });

  it("down killed after removing the OVS bridge, then up", async () => {
    const file = await fileOf(base(), "base");
    const k = await killAtLine(start(["down", "-v", name], env()), /^\s*ok\s+ovs-vsctl/);
    expect(k.killed).toBe(true);
    await upAndProve(file);
    const down = await topolab("down", name);
    expect(down.code).toBe(0);
    expect(await proveGone(state.dir, name)).toEqual([]);
  });
});
