// Reconcile at start, on the real kernel (as root): the server is a real child process, killed
// with SIGKILL in the middle of applying a large edit; started again, it must bring the lab
// back to its last document with nothing leaked. Labs found in the kernel without a document
// are removed.

import { spawn, type ChildProcess } from "node:child_process";
import { readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alive, Engine, ensureOvsRunning } from "@topolab/engine";
import { leftovers, leftoversAfterSettling, tempStateDir, uniqueLabName } from "@topolab/engine/testing";
import { parseLab, parseTopoSpec, topoLab, type TopoSpec } from "@topolab/topology";
import { repoRoot } from "./config";
import { KeyedQueue } from "./limits";
import { reconcile } from "./reconcile";
import { startTestServer } from "../testing";

const root = repoRoot();
const children: ChildProcess[] = [];
let state: { dir: string; remove: () => Promise<void> };
const token = "reconcile-test-token-0123456789";

beforeAll(async () => {
  await ensureOvsRunning();
  state = await tempStateDir();
  const build = (await import(pathToFileURL(join(root, "scripts/build.mjs")).href)) as { buildIfStale: (t: string) => Promise<string> };
  await build.buildIfStale("cli");
  await build.buildIfStale("server");
});

afterAll(async () => {
  for (const c of children) if (c.pid && alive(c.pid)) process.kill(c.pid, "SIGKILL");
  await state?.remove();
});

interface Child {
  process: ChildProcess;
  url: string;
  /** resolves with the reconcile line */
  reconciled: Promise<string>;
}

/** `topolab serve` as a person starts it, on a free port, reconciling only the lab `only`. */
async function serve(only: string): Promise<Child> {
  const child = spawn(
    process.execPath,
    [join(root, "apps/server/bin/topolab.js"), "serve", "--port", "0", "--state-dir", state.dir, "--templates", state.dir, "--reconcile-only", only],
    { env: { ...process.env, TOPOLAB_TOKEN: token }, stdio: ["ignore", "pipe", "pipe"] },
  );
  children.push(child);
  const url = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (l) => {
      const m = /serving on (http:\S+)/.exec(l);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`topolab serve exited (${code})`)));
  });
  const reconciled = new Promise<string>((resolve) => {
    createInterface({ input: child.stderr }).on("line", (l) => {
      if (l.includes("reconciled")) resolve(l);
    });
  });
  return { process: child, url: await url, reconciled };
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  process.kill(child.pid!, signal);
  await exited;
}

function topo(spec: string, name: string) {
  return topoLab(parseTopoSpec(spec) as TopoSpec, name);
}

async function namespaces(lab: string): Promise<string[]> {
  return (await readdir("/run/netns")).filter((n) => n.startsWith(`tl.${lab}.`));
}

describe("reconcile at start", () => {
  it("after kill -9 in the middle of a large edit, a restarted server brings the lab back to its document, leaking nothing", async () => {
    const name = uniqueLabName("srv");
    const engine = new Engine({ stateDir: state.dir });
    let server = await serve(name);
    await server.reconciled;
    const put = (body: unknown) =>
      fetch(`${server.url}/api/labs/${name}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await put(topo("single,3", name))).status).toBe(201);
    const small = (await engine.state.readLab(name))!;

    // the large edit, and a SIGKILL as soon as the kernel shows it is under way
    const pending = put(topo("single,60", name)).catch(() => null);
    const deadline = Date.now() + 20_000;
    while ((await namespaces(name)).length <= 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    process.kill(server.process.pid!, "SIGKILL");
    await pending;
    await stop(server.process, "SIGKILL");
    expect((await engine.state.readLab(name))!.nodes).toHaveLength(small.nodes.length); // never saved
    const midway = await engine.dryRun(small);
    expect(midway.ops.length).toBeGreaterThan(0); // it was killed mid-way: the kernel holds more than the document

    server = await serve(name);
    expect(await server.reconciled).toMatch(/1 running lab \(1 repaired\)/);
    expect((await engine.dryRun(parseLab(small))).ops).toEqual([]);
    expect((await namespaces(name)).sort()).toEqual(["h1", "h2", "h3"].map((h) => `tl.${name}.${h}`));
    const objects = await leftovers(name);
    expect(objects.filter((o) => o.startsWith("OVS port"))).toHaveLength(3);
    expect(objects.filter((o) => o.startsWith("interface"))).toHaveLength(3);

    await stop(server.process, "SIGTERM");
    await engine.down(name);
    expect(await leftoversAfterSettling(name)).toEqual([]);
  });

  it("leaves alone a lab that another process is bringing up (its lock is held, it has no document yet)", async () => {
    const t = await startTestServer({ reconcile: false });
    const name = uniqueLabName("srv");
    const holder = spawn("sleep", ["30"]);
    try {
      await t.engine.state.ensureMeta(name, new Set());
      await writeFile(`${t.engine.state.labDir(name)}/lock`, JSON.stringify({ pid: holder.pid, what: `up ${name}`, since: new Date().toISOString() }));
      const report = await reconcile(t.engine, new KeyedQueue(), (l) => l === name);
      expect(report).toMatchObject({ busy: [name], removed: [] });
      expect(await t.engine.state.readMeta(name)).not.toBeNull();
    } finally {
      holder.kill("SIGKILL");
      await t.engine.state.removeLab(name);
      await t.close();
    }
  });

  it("removes the kernel objects of a lab that has no document", async () => {
    const elsewhere = await tempStateDir();
    const name = uniqueLabName("srv");
    await new Engine({ stateDir: elsewhere.dir }).up(parseLab(topo("single,2", name)));
    await rm(elsewhere.dir, { recursive: true, force: true }); // its document is gone
    expect((await leftovers(name)).length).toBeGreaterThan(0);
    const t = await startTestServer({ reconcile: true, reconcileScope: (l) => l === name });
    try {
      expect((await t.server.reconciled)!.removed).toEqual([name]);
      expect(await leftoversAfterSettling(name)).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
