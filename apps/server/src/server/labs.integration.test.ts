// The server as browsers use it, on the real kernel (as root): a real server on port 0, real
// socket.io clients, real namespaces and shells. Labs are created from events, edited, watched
// by a second browser; terminals ping across; the REST API does the same from curl's side.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureOvsRunning } from "@topolab/engine";
import { leftovers, leftoversAfterSettling, pings, uniqueLabName } from "@topolab/engine/testing";
import { parseLab } from "@topolab/topology";
import type { Change, LabView } from "@topolab/protocol";
import { startTestServer, writeTemplate, type TestServer } from "../testing";

let t: TestServer;

beforeAll(async () => {
  expect(process.getuid?.()).toBe(0);
  await ensureOvsRunning();
  t = await startTestServer();
});

afterAll(async () => {
  await t?.close();
});

const host = (name: string, addr: string) => ({ name, kind: "host" as const, interfaces: { eth0: { addresses: [addr] } } });

describe("labs over socket.io", () => {
  it("creates a lab, applies edits whole, broadcasts them to a second browser, and deletes it", async () => {
    const a = await t.connect();
    const b = await t.connect();
    const name = uniqueLabName("srv");
    const hello = await a.next("server:hello");
    expect(hello).toMatchObject({ protocol: 1, capabilities: { ovs: { available: true } } });

    const created = await a.ok("lab:create", { name, source: { type: "blank" } });
    expect(created).toMatchObject({ name, running: true, revision: 1, document: { name, nodes: [], links: [] } });
    await b.next("labs:changed", (p) => p.labs.some((l) => l.name === name));
    const opened: LabView = await b.ok("lab:open", { lab: name });
    expect(opened.revision).toBe(1);

    const changes: Change[] = [
      { type: "addNode", node: { name: "s1", kind: "switch", position: { x: 0, y: 0 } } },
      { type: "addNode", node: host("h1", "10.0.0.1/24") },
      { type: "addNode", node: host("h2", "10.0.0.2/24") },
      { type: "addLink", link: { endpoints: ["h1:eth0", "s1"] } },
      { type: "addLink", link: { endpoints: ["h2:eth0", "s1"] } },
    ];
    const r = await a.ok("lab:edit", { lab: name, changes });
    expect(r).toMatchObject({ revision: 2, kernel: true, unchanged: false });
    expect(r.summary.create).toBeGreaterThan(5);
    const doc = await b.next("lab:document", (p) => p.lab === name && p.revision === 2);
    expect(doc.document.links.map((l) => l.endpoints[1])).toEqual([
      { node: "s1", interface: "eth1" },
      { node: "s1", interface: "eth2" },
    ]);
    const log = await b.next("lab:log", (p) => p.lab === name && p.entries.some((e) => e.command.startsWith("ip netns add")));
    expect(log.entries.every((e) => e.ok && typeof e.command === "string")).toBe(true);
    const status = await b.next("lab:status", (p) => p.lab === name && p.status.nodes.length === 3);
    expect(status.status.state).toBe("up");
    expect(await pings(name, "h1", "10.0.0.2")).toBe(true);

    // a rejected edit: issues with their places, kernel untouched, nothing broadcast
    const before = await t.engine.dryRun(parseLab(doc.document));
    const bad = await a.request("lab:edit", {
      lab: name,
      changes: [
        { type: "addNode", node: host("h3", "10.0.0.3/24") },
        { type: "addLink", link: { endpoints: ["h3:eth0", "h9:eth0"] } },
      ],
    });
    expect(!bad.ok && bad.error).toMatchObject({
      code: "invalid",
      issues: [expect.objectContaining({ path: "links[2].endpoints[1]", link: "h3:eth0|h9:eth0" })],
    });
    const badShape = await a.request("lab:edit", { lab: name, changes: [{ type: "addLink", link: { endpoints: ["h1:eth0", "s1"], vlan: 5000 } }] });
    expect(!badShape.ok && badShape.error.issues).toEqual([{ path: "changes[0].link.vlan", message: "5000 is outside 1..4094" }]);
    expect(before.ops).toEqual([]);
    expect((await t.engine.dryRun(parseLab(doc.document))).ops).toEqual([]);
    expect((await leftovers(name)).filter((x) => x.includes("h3"))).toEqual([]);

    // a move touches no kernel object, and is broadcast like any change
    const moved = await a.ok("lab:edit", { lab: name, changes: [{ type: "moveNodes", positions: { h1: { x: 40, y: 80 } } }] });
    expect(moved).toMatchObject({ kernel: false, revision: 3 });
    expect((await b.next("lab:document", (p) => p.revision === 3)).document.nodes.find((n) => n.name === "h1")!.position).toEqual({ x: 40, y: 80 });

    // a change the kernel refuses rolls back whole: a link-local gateway needs a device
    const refused = await a.request("lab:edit", {
      lab: name,
      changes: [
        { type: "addNode", node: host("h9", "10.0.0.9/24") },
        { type: "addLink", link: { endpoints: ["h9:eth0", "s1"] } },
        { type: "updateNode", name: "h2", set: { routes: [{ to: "default6", via: "fe80::1" }] } },
      ],
    });
    expect(!refused.ok && refused.error).toMatchObject({ code: "apply_failed", message: expect.stringMatching(/route[\s\S]*back as it was/) });
    expect((await leftovers(name)).filter((x) => x.includes("h9"))).toEqual([]);
    expect(await pings(name, "h1", "10.0.0.2")).toBe(true);

    await a.ok("lab:delete", { lab: name });
    const removed = await b.next("lab:removed", (p) => p.lab === name);
    expect(removed.reason).toMatch(/deleted/);
    expect(await leftoversAfterSettling(name)).toEqual([]);
    expect((await a.ok("labs:list", {})).some((l) => l.name === name)).toBe(false);
  });

  it("serializes edits to one lab: concurrent edits all apply, in order, with increasing revisions", async () => {
    const a = await t.connect();
    const name = uniqueLabName("srv");
    await a.ok("lab:create", { name, source: { type: "file", text: `nodes:\n  - {name: s1, kind: switch}\n` } });
    const results = await Promise.all(
      [1, 2, 3, 4].map((i) =>
        a.ok("lab:edit", {
          lab: name,
          changes: [
            { type: "addNode", node: host(`h${i}`, `10.0.1.${i}/24`) },
            { type: "addLink", link: { endpoints: [`h${i}:eth0`, `s1:eth${i}`] } },
          ],
        }),
      ),
    );
    expect(results.map((r) => r.revision)).toEqual([2, 3, 4, 5]);
    expect(await pings(name, "h4", "10.0.1.1")).toBe(true);
    await a.ok("lab:delete", { lab: name });
  });

  it("creates from a template and from an uploaded file, lists templates, renames, stops and starts", async () => {
    await writeTemplate(
      t.templatesDir,
      "pair",
      "# Two hosts on a wire\n# The smallest lab there is.\nname: pair\nnodes:\n  - {name: a, kind: host, interfaces: {eth0: {addresses: [10.5.0.1/24]}}}\n  - {name: b, kind: host, interfaces: {eth0: {addresses: [10.5.0.2/24]}}}\nlinks:\n  - endpoints: [a:eth0, b:eth0]\n",
    );
    const c = await t.connect();
    expect(await c.ok("templates:list", {})).toContainEqual({
      id: "pair",
      title: "Two hosts on a wire",
      description: "The smallest lab there is.",
      lab: "pair",
    });
    const name = uniqueLabName("srv");
    const lab = await c.ok("lab:create", { name, source: { type: "template", id: "pair" } });
    expect(lab).toMatchObject({ name, source: "template:pair" });
    expect(await pings(name, "a", "10.5.0.2")).toBe(true);

    const upload = await c.request("lab:create", { name: uniqueLabName("srv"), source: { type: "file", text: "nodes:\n  - {name: x, kind: host\n" } });
    expect(!upload.ok && upload.error.issues?.[0]).toMatchObject({ line: expect.any(Number), message: expect.stringMatching(/YAML/) });
    expect((await c.request("lab:create", { name, source: { type: "blank" } })).ok).toBe(false); // taken

    const to = uniqueLabName("srv");
    expect(await c.ok("lab:rename", { lab: name, to })).toMatchObject({ name: to, running: true, nodes: 2 });
    expect(await leftoversAfterSettling(name)).toEqual([]);
    expect(await pings(to, "b", "10.5.0.1")).toBe(true);

    await c.ok("lab:stop", { lab: to });
    expect(await leftoversAfterSettling(to)).toEqual([]);
    expect((await c.ok("lab:open", { lab: to })).running).toBe(false);
    // a stopped lab still takes edits: they are saved, and applied when it starts
    await c.ok("lab:edit", { lab: to, changes: [{ type: "updateNode", name: "b", set: { interfaces: { eth0: { addresses: ["10.5.0.3/24"] } } } }] });
    const started = await c.ok("lab:start", { lab: to });
    expect(started.kernel).toBe(true);
    expect(await pings(to, "a", "10.5.0.3")).toBe(true);
    await c.ok("lab:delete", { lab: to });
  });

  it("shows labs brought up outside the server (the CLI) and their changes", async () => {
    const c = await t.connect();
    const name = uniqueLabName("srv");
    const doc = parseLab({ name, nodes: [{ name: "h1", kind: "host" }], links: [] });
    await t.engine.up(doc);
    await c.next("labs:changed", (p) => p.labs.some((l) => l.name === name));
    await c.ok("lab:open", { lab: name });
    await t.engine.up(
      parseLab({
        name,
        nodes: [
          { name: "h1", kind: "host" },
          { name: "h2", kind: "host" },
        ],
        links: [],
      }),
    );
    const next = await c.next("lab:document", (p) => p.lab === name && p.document.nodes.length === 2);
    expect(next.revision).toBe(2);
    await t.engine.down(name);
    expect((await c.next("lab:removed", (p) => p.lab === name)).reason).toMatch(/outside the server/);
  });
});

describe("terminals", () => {
  it("opens a shell in a node, pings the peer, resizes, closes; a removed node ends its terminals with the reason", async () => {
    const c = await t.connect();
    const name = uniqueLabName("srv");
    await c.ok("lab:create", {
      name,
      source: {
        type: "file",
        text: JSON.stringify({ nodes: [host("h1", "10.8.0.1/24"), host("h2", "10.8.0.2/24")], links: [{ endpoints: ["h1:eth0", "h2:eth0"] }] }),
      },
    });
    const term = await c.ok("term:open", { lab: name, node: "h1", cols: 100, rows: 30 });
    await c.screen(term.id, /root@h1.*# $/);
    c.socket.emit("term:input", { id: term.id, data: "ping -c1 -W2 10.8.0.2\r" });
    await c.screen(term.id, /1 received/);
    c.socket.emit("term:resize", { id: term.id, cols: 132, rows: 40 });
    c.socket.emit("term:input", { id: term.id, data: "stty size\r" });
    await c.screen(term.id, /^40 132\r?$/m);
    c.socket.emit("term:input", { id: term.id, data: "hostname; echo TOKEN=${TOPOLAB_TOKEN:-none}\r" });
    await c.screen(term.id, /^h1\r?\nTOKEN=none/m);

    // several terminals per node; one on the node that goes away
    const second = await c.ok("term:open", { lab: name, node: "h2", cols: 80, rows: 24 });
    await c.screen(second.id, /root@h2/);
    c.socket.emit("term:input", { id: second.id, data: "sleep 600\r" });
    expect((await c.ok("term:list", {})).map((x) => x.id).sort()).toEqual([term.id, second.id].sort());
    await c.ok("lab:edit", { lab: name, changes: [{ type: "removeNode", name: "h2" }] });
    const exit = await c.next("term:exit", (p) => p.id === second.id);
    expect(exit.reason).toBe("node h2 was removed from the lab");

    await c.ok("term:close", { id: term.id });
    expect((await c.next("term:exit", (p) => p.id === term.id)).reason).toBe("closed");
    expect(await c.ok("term:list", {})).toEqual([]);
    const gone = await c.request("term:attach", { id: term.id });
    expect(!gone.ok && gone.error.message).toBe("that terminal has ended: closed");

    const nowhere = await c.request("term:open", { lab: name, node: "nope", cols: 80, rows: 24 });
    expect(!nowhere.ok && nowhere.error.code).toBe("not_found");
    await c.ok("lab:delete", { lab: name });
  });
});

describe("REST", () => {
  it("PUTs whole documents (create, then the difference), runs commands in nodes, exports, and deletes", async () => {
    const name = uniqueLabName("srv");
    const yaml = `nodes:\n  - {name: s1, kind: switch}\n  - {name: h1, kind: host, interfaces: {eth0: {addresses: [10.9.0.1/24]}}}\n  - {name: h2, kind: host, interfaces: {eth0: {addresses: [10.9.0.2/24]}}}\nlinks:\n  - endpoints: [h1:eth0, s1]\n  - endpoints: [h2:eth0, s1]\n`;
    expect((await t.rest("PUT", `/api/labs/${name}`, { body: yaml })).status).toBe(201);
    const again = await t.rest("PUT", `/api/labs/${name}`, { body: yaml });
    expect(again).toMatchObject({ status: 200, body: { unchanged: true } });
    const changed = await t.rest("PUT", `/api/labs/${name}`, { body: yaml.replace("10.9.0.2/24", "10.9.0.22/24") });
    expect((changed.body as { summary: { create: number; delete: number } }).summary).toMatchObject({ create: 1, delete: 1 });

    const exec = await t.rest("POST", `/api/labs/${name}/nodes/h1/exec`, { body: { argv: ["ping", "-c1", "-W2", "10.9.0.22"] } });
    expect(exec).toMatchObject({ status: 200, body: { code: 0, timedOut: false } });
    expect((exec.body as { stdout: string }).stdout).toMatch(/1 received/);
    const slow = await t.rest("POST", `/api/labs/${name}/nodes/h1/exec`, { body: { argv: ["sleep", "5"], timeoutMs: 200 } });
    expect(slow.body).toMatchObject({ timedOut: true });
    expect((await t.rest("POST", `/api/labs/${name}/nodes/s1/exec`, { body: { argv: ["true"] } })).status).toBe(404);

    const status = await t.rest("GET", `/api/labs/${name}/status`);
    expect(status.body).toMatchObject({ name, state: "up" });
    const sh = await t.rest("GET", `/api/labs/${name}/export?format=sh`);
    expect(sh.text).toMatch(/^#!\/usr\/bin\/env bash/);
    expect(sh.text).toContain("ip netns add");
    expect((await t.rest("GET", `/api/labs/${name}/export?format=yaml`)).text).toContain("10.9.0.22/24");
    expect((await t.rest("GET", `/api/labs/${name}/export?format=pdf`)).status).toBe(400);

    const edit = await t.rest("POST", `/api/labs/${name}/edit`, { body: { changes: [{ type: "removeLink", link: "h2:eth0" }] } });
    expect(edit.status).toBe(200);
    const invalid = await t.rest("PUT", `/api/labs/${name}`, { body: { nodes: [{ name: "h1", kind: "hub" }] } });
    expect(invalid).toMatchObject({ status: 400, body: { error: { code: "invalid", issues: [{ path: "nodes[0].kind", node: "h1" }] } } });

    expect((await t.rest("DELETE", `/api/labs/${name}`)).status).toBe(204);
    expect((await t.rest("DELETE", `/api/labs/${name}`)).status).toBe(404);
    expect(await leftoversAfterSettling(name)).toEqual([]);
  });
});
