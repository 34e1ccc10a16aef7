// Issue 10, case 4, on the real kernel: labs are known by name across the machine, but owned by
// the state directory that made them. Topolab A (a CLI with its own TOPOLAB_STATE_DIR) brings a
// lab up; topolab B (a server with another state directory) used to take it over (re-address
// it on PUT, destroy it on DELETE, remove it as an orphan at start). Now B refuses and says
// whose it is, its status shows it as another's, its reconcile leaves it alone, and A goes on
// working with it. Old-format marks (made before owners) are nobody's: adopted and re-marked.

import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine, ensureOvsRunning, readSnapshot, run } from "@topolab/engine";
import { leftoversAfterSettling, pings, tempStateDir } from "@topolab/engine/testing";
import { aliasLab, parseLab, type Lab } from "@topolab/topology";
import { repoRoot } from "./config";
import { KeyedQueue } from "./limits";
import { reconcile, reportLine } from "./reconcile";
import { startTestServer, type TestServer } from "../testing";

const CLAIMS = "/run/topolab-owners";
let t: TestServer;
let stateA: { dir: string; remove: () => Promise<void> };
let a: Engine;
const made: string[] = [];

const labName = (what: string) => `ow-${what}-${Math.random().toString(36).slice(2, 6)}`;

function doc(name: string, third = "10.79.0.2/24"): Lab {
  return parseLab({
    name,
    nodes: [
      { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.79.0.1/24"] } } },
      { name: "h2", kind: "host", interfaces: { eth0: { addresses: [third] } } },
      { name: "s1", kind: "switch", type: "ovs" },
    ],
    links: [{ endpoints: ["h1:eth0", "s1"] }, { endpoints: ["h2:eth0", "s1"] }],
  });
}

/** The owner ids in the lab's marks: root-side aliases, OVS bridges and ports. */
async function markOwners(name: string): Promise<string[]> {
  const s = await readSnapshot({ ovs: true });
  const out: string[] = [];
  for (const l of s.rootLinks) {
    const x = aliasLab(l.ifalias);
    if (x?.lab === name) out.push(`alias:${x.owner ?? "-"}`);
  }
  for (const b of s.ovs!.bridges) if (b.externalIds["topolab-lab"] === name) out.push(`bridge:${b.externalIds["topolab-owner"] ?? "-"}`);
  for (const p of s.ovs!.ports.values()) if (p.externalIds["topolab-lab"] === name) out.push(`port:${p.externalIds["topolab-owner"] ?? "-"}`);
  return out.sort();
}

/** A's lab is whole: nothing to change, and h1 reaches h2. */
async function intact(name: string, lab: Lab = doc(name)): Promise<void> {
  expect((await a.dryRun(lab)).ops.map((o) => o.summary)).toEqual([]);
  expect(await pings(name, "h1", "10.79.0.2", { wait: 10 })).toBe(true);
}

beforeAll(async () => {
  await ensureOvsRunning();
  stateA = await tempStateDir();
  a = new Engine({ stateDir: stateA.dir });
  t = await startTestServer();
});

afterAll(async () => {
  for (const name of made) if (await a.state.readMeta(name)) await a.down(name).catch(() => undefined);
  await t?.close();
  await stateA?.remove();
  for (const name of made) expect(await leftoversAfterSettling(name)).toEqual([]);
});

describe("a lab another state directory made", () => {
  it("is marked with its owner: aliases, OVS external_ids, and a claim naming the state directory", async () => {
    const name = labName("mark");
    made.push(name);
    await a.up(doc(name));
    const me = await a.ownerId();
    expect(me).toMatch(/^[a-z0-9]{10}$/);
    expect((await readFile(`${stateA.dir}/owner`, "utf8")).trim()).toBe(me);
    const owners = await markOwners(name);
    expect(owners.length).toBeGreaterThanOrEqual(5); // 2 root-side veth ends, 1 bridge, 2 ports
    expect(new Set(owners.map((o) => o.split(":")[1]))).toEqual(new Set([me]));
    expect(JSON.parse(await readFile(`${CLAIMS}/${name}.json`, "utf8"))).toMatchObject({ lab: name, owner: me, stateDir: stateA.dir });
    await a.down(name);
    expect(await leftoversAfterSettling(name)).toEqual([]);
    await expect(readFile(`${CLAIMS}/${name}.json`)).rejects.toThrow(/ENOENT/);
  });

  it("is refused by another state directory's server (PUT, DELETE, reconcile) and shown as another's, while its owner goes on with it", async () => {
    const name = labName("own");
    made.push(name);
    await a.up(doc(name));
    await intact(name);

    // PUT of a same-named lab with other addresses: refused, nothing re-addressed
    const put = await t.rest("PUT", `/api/labs/${name}`, { body: doc(name, "10.79.0.99/24") });
    expect(put.status).toBe(409);
    const putError = (put.body as { error: { code: string; message: string } }).error;
    expect(putError.code).toBe("conflict");
    expect(putError.message).toContain(`belongs to another topolab (state directory ${stateA.dir}`);
    expect(putError.message).toContain("left it alone");
    expect(await t.engine.state.labNames()).not.toContain(name);
    await intact(name);

    // DELETE: refused, nothing removed
    const del = await t.rest("DELETE", `/api/labs/${name}`);
    expect(del.status).toBe(409);
    expect((del.body as { error: { message: string } }).error.message).toMatch(/cannot take down lab .*belongs to another topolab/);
    await intact(name);

    // B's status: another's, with its state directory
    const [st] = await t.engine.status(name);
    expect(st).toMatchObject({ name, state: "foreign", running: false, owner: { id: (await a.ownerId())!, stateDir: stateA.dir } });
    expect((await t.engine.status()).find((s) => s.name === name)?.state).toBe("foreign");

    // B's reconcile at start: left alone, and said so
    const report = await reconcile(t.engine, new KeyedQueue(), (l) => l === name);
    expect(report.removed).toEqual([]);
    expect(report.failed).toEqual([]);
    expect(report.foreign.map((f) => f.lab)).toEqual([name]);
    expect(reportLine(report)).toMatch(/1 left alone \(another state directory's\)[\s\S]*belongs to another topolab/);
    await intact(name);
    // and a whole server started on another state directory, reconciling at start
    const t2 = await startTestServer({ reconcile: true, reconcileScope: (l) => l === name });
    try {
      const r = (await t2.server.reconciled)!;
      expect(r.foreign.map((f) => f.lab)).toEqual([name]);
      expect(r.removed).toEqual([]);
      expect(r.failed).toEqual([]);
    } finally {
      await t2.close();
    }
    await intact(name);

    // B's engine, as its CLI: up and down refused the same way
    await expect(t.engine.up(doc(name, "10.79.0.99/24"))).rejects.toThrow(/cannot bring up lab .*state directory/);
    await expect(t.engine.down(name)).rejects.toThrow(/cannot take down lab/);
    expect(await t.engine.state.labNames()).not.toContain(name);

    // the owner still works with it: an edit applies, then down removes all of it
    await a.up(doc(name, "10.79.0.3/24"));
    expect(await pings(name, "h1", "10.79.0.3", { wait: 10 })).toBe(true);
    await a.down(name);
    expect(await leftoversAfterSettling(name)).toEqual([]);

    // the name is free again: now B may have it
    expect((await t.rest("PUT", `/api/labs/${name}`, { body: doc(name) })).status).toBe(201);
    await expect(a.up(doc(name))).rejects.toThrow(new RegExp(`belongs to another topolab \\(state directory ${t.engine.state.dir}`));
    expect((await t.rest("DELETE", `/api/labs/${name}`)).status).toBe(204);
    expect(await leftoversAfterSettling(name)).toEqual([]);
  }, 240_000); // many steps, a second server among them: minutes on a loaded machine

  it("is refused by the CLI of a third state directory: up, down and status say whose it is, with no stack", async () => {
    const name = labName("cli");
    made.push(name);
    await a.up(doc(name));
    const c = await tempStateDir();
    const cli = (...args: string[]) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, [join(repoRoot(), "apps/server/bin/topolab.js"), ...args], {
          env: { ...process.env, TOPOLAB_STATE_DIR: c.dir },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        let err = "";
        child.stdout.on("data", (b: Buffer) => (out += b.toString()));
        child.stderr.on("data", (b: Buffer) => (err += b.toString()));
        child.once("exit", (code) => resolve({ code, out, err }));
      });
    try {
      const file = join(c.dir, "lab.json");
      await writeFile(file, JSON.stringify(doc(name, "10.79.0.99/24")));
      const up = await cli("up", file);
      expect(up.code).toBe(1);
      expect(up.err).toContain(`topolab: cannot bring up lab ${name}: lab ${name} on this machine belongs to another topolab (state directory ${stateA.dir}`);
      expect(up.err).not.toMatch(/\n\s+at /);
      const dry = await cli("up", "--dry-run", file);
      expect(dry.code).toBe(1);
      expect(dry.err).toContain(`cannot plan lab ${name}: lab ${name} on this machine belongs to another topolab`);
      const down = await cli("down", name);
      expect(down.code).toBe(1);
      expect(down.err).toContain(`cannot take down lab ${name}`);
      const status = await cli("status");
      expect(status.out).toMatch(new RegExp(`${name}\\s+foreign\\s+.*another topolab's: ${stateA.dir}`));
      await intact(name);
    } finally {
      await c.remove();
      await a.down(name);
    }
  });

  it("a document of the same name in both state directories: B's delete removes only B's document", async () => {
    const name = labName("both");
    made.push(name);
    // B has the lab, stopped (a document only); A runs one of the same name
    expect((await t.rest("PUT", `/api/labs/${name}`, { body: doc(name) })).status).toBe(201);
    expect((await t.rest("POST", `/api/labs/${name}/stop`)).status).toBeLessThan(300);
    await a.up(doc(name));
    expect((await t.engine.status(name))[0]!.state).toBe("foreign");
    await expect(t.engine.up(doc(name))).rejects.toThrow(/belongs to another topolab/);
    expect((await t.engine.down(name)).leftAlone).toMatch(/belongs to another topolab/);
    expect(await t.engine.state.readMeta(name)).toBeNull();
    await intact(name);
    await a.down(name);
  });

  it("old-format marks (made before owners) are nobody's: another state directory may adopt them, and marks them its own", async () => {
    const name = labName("old");
    made.push(name);
    await a.up(doc(name));
    // back to the marks of before: aliases without owner, no topolab-owner, no claim
    const s = await readSnapshot({ ovs: true });
    const batch = s.rootLinks
      .filter((l) => aliasLab(l.ifalias)?.lab === name)
      .map((l) => `link set dev ${l.ifname} alias "topolab:${name}:${aliasLab(l.ifalias)!.what}"`);
    expect((await run(["ip", "-batch", "-"], { input: batch.join("\n") + "\n" })).code).toBe(0);
    for (const node of ["h1", "h2"]) {
      const ns = `tl.${name}.${node}`;
      const [eth0] = JSON.parse((await run(["ip", "-n", ns, "-j", "link", "show", "dev", "eth0"])).stdout) as { ifalias: string }[];
      expect((await run(["ip", "-n", ns, "link", "set", "dev", "eth0", "alias", `topolab:${name}:${aliasLab(eth0!.ifalias)!.what}`])).code).toBe(0);
    }
    const ovsArgs: string[] = [];
    for (const b of s.ovs!.bridges) if (b.externalIds["topolab-lab"] === name) ovsArgs.push("--", "remove", "Bridge", b.name, "external_ids", "topolab-owner");
    for (const p of s.ovs!.ports.values())
      if (p.externalIds["topolab-lab"] === name) ovsArgs.push("--", "remove", "Port", p.name, "external_ids", "topolab-owner");
    expect((await run(["ovs-vsctl", ...ovsArgs])).code).toBe(0);
    expect((await run(["rm", "-f", `${CLAIMS}/${name}.json`])).code).toBe(0);
    expect(new Set((await markOwners(name)).map((o) => o.split(":")[1]))).toEqual(new Set(["-"]));
    // A's status reads them as they were made: up, no problem
    const [mine] = await a.status(name);
    expect(mine!.nodes.flatMap((n) => n.problems)).toEqual([]);
    expect(mine!.state).toBe("up");
    // B adopts (today's behaviour for unowned marks) and marks them its own
    await a.state.removeLab(name); // A forgets it, as a CLI of before whose state was lost
    await t.engine.up(doc(name));
    const b = await t.engine.ownerId();
    expect(new Set((await markOwners(name)).map((o) => o.split(":")[1]))).toEqual(new Set([b]));
    expect((await t.engine.dryRun(doc(name))).ops).toEqual([]);
    expect(await pings(name, "h1", "10.79.0.2", { wait: 10 })).toBe(true);
    await t.engine.down(name);
    expect(await leftoversAfterSettling(name)).toEqual([]);
  });
});
