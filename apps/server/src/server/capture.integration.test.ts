// Packet capture over socket.io on the real kernel (as root): a browser-like client opens a lab,
// starts a capture, and sees the ARP and ICMP of a ping made afterwards within 300 ms of the
// kernel's timestamps; a wrong filter is refused with tcpdump's words and nothing running; the
// pcapng download opens with tcpdump -r and holds the same packets; removing the link ends the
// capture and its tcpdump (by PID); a slow browser gets a sample and the count it missed; a
// capture made by `topolab capture` on the same state directory appears in the lab's log.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decode, decodeBatch } from "@topolab/capture";
import { alive, ensureOvsRunning, pidsInNetns, run, sleep } from "@topolab/engine";
import { inNode } from "@topolab/engine/testing";
import type { Change } from "@topolab/protocol";
import { startTestServer, type Client, type TestServer } from "../testing";
import { capturesOf, MAX_BATCH, MAX_UNACKED } from "./capture";

let t: TestServer;
let dir: string;
const name = `cpsrv${Math.random().toString(36).slice(2, 6)}`;
const host = (n: string, addr: string) => ({ name: n, kind: "host" as const, interfaces: { eth0: { addresses: [addr] } } });

beforeAll(async () => {
  expect(process.getuid?.()).toBe(0);
  await ensureOvsRunning();
  t = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), "cp-srv-"));
  const a = await t.connect();
  await a.ok("lab:create", { name, source: { type: "blank" } });
  const changes: Change[] = [
    { type: "addNode", node: { name: "s1", kind: "switch", position: { x: 0, y: 0 } } },
    { type: "addNode", node: host("h1", "10.7.0.1/24") },
    { type: "addNode", node: host("h2", "10.7.0.2/24") },
    { type: "addNode", node: host("h3", "10.7.0.3/24") },
    { type: "addLink", link: { endpoints: ["h1:eth0", "s1"] } },
    { type: "addLink", link: { endpoints: ["h2:eth0", "s1"] } },
    { type: "addLink", link: { endpoints: ["h3:eth0", "s1"] } },
    // a direct veth, for a flood faster than OVS's userspace datapath carries
    { type: "addNode", node: host("h4", "10.8.0.4/24") },
    { type: "addNode", node: host("h5", "10.8.0.5/24") },
    { type: "addLink", link: { endpoints: ["h4:eth0", "h5:eth0"] } },
  ];
  await a.ok("lab:edit", { lab: name, changes });
  a.close();
});

afterAll(async () => {
  await t?.close(); // takes the lab down and proves nothing of it is left
  await rm(dir, { recursive: true, force: true });
});

/** Packets a client received for a capture, decoded, with when they arrived. */
function collect(c: Client, id: string) {
  const got: { summary: string; iface: number; timeUs: number; arrivedMs: number; data: Uint8Array }[] = [];
  let missed = 0;
  c.socket.on("capture:packets", (p: { id: string; batch: ArrayBuffer | Uint8Array; missed: number }) => {
    if (p.id !== id) return;
    const arrivedMs = Date.now();
    missed += p.missed;
    for (const w of decodeBatch(p.batch instanceof Uint8Array ? p.batch : new Uint8Array(p.batch)))
      got.push({ summary: decode(w.data).summary, iface: w.iface, timeUs: w.timeUs, arrivedMs, data: w.data });
    c.socket.emit("capture:ack", { id });
  });
  return { got, missed: () => missed };
}

async function until(test: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error("timed out");
    await sleep(10);
  }
}

describe("capture over socket.io", () => {
  it("is refused to a client that has not opened the lab", async () => {
    const c = await t.connect();
    const r = await c.request("capture:start", { lab: name, interfaces: ["h1:eth0"] });
    expect(r).toMatchObject({ ok: false, error: { code: "not_found", message: `open lab ${name} (lab:open) before capturing on it` } });
    c.close();
  });

  it("sees the ARP and ICMP of a ping made after it started, within 300 ms, and downloads them as pcapng", async () => {
    const c = await t.connect();
    await c.ok("lab:open", { lab: name });
    const info = await c.ok("capture:start", { lab: name, interfaces: ["h1:eth0", "s1:eth2"], filter: "arp or icmp" });
    expect(info.interfaces.map((i) => i.label)).toEqual(["h1:eth0", "s1:eth2"]);
    const { got } = collect(c, info.id);
    await inNode(name, "h1", ["ip", "neigh", "flush", "all"]);
    expect((await inNode(name, "h1", ["ping", "-c", "2", "-i", "0.2", "10.7.0.2"])).code).toBe(0);
    await until(() => got.filter((g) => /ICMP echo reply/.test(g.summary)).length >= 4);
    const lines = got.map((g) => `${info.interfaces[g.iface]!.label} ${g.summary}`);
    expect(lines).toContain("h1:eth0 ARP who-has 10.7.0.2 tell 10.7.0.1");
    expect(lines).toContain("s1:eth2 ARP who-has 10.7.0.2 tell 10.7.0.1");
    expect(lines.filter((l) => /^h1:eth0 ICMP echo request id=\d+ seq=1$/.test(l))).toHaveLength(1);
    // from the kernel's timestamp to the browser, every packet
    const delays = got.map((g) => g.arrivedMs - g.timeUs / 1000);
    expect(Math.max(...delays)).toBeLessThan(300);

    // the capture belongs to its lab in the command log: the command lines as they run
    const log = await c.next("lab:log", (p) => p.entries.some((e) => e.op === "capture h1:eth0"));
    expect(log.entries.find((e) => e.op === "capture h1:eth0")!.command).toBe(
      `nsenter --net=/run/netns/tl.${name}.h1 -- tcpdump -i eth0 -U --immediate-mode -n -B 8192 -s 262144 -w - -- 'arp or icmp'`,
    );

    const { pids } = capturesOf(t.server.labs.engine).get(info.id)!;
    expect(pids.every(alive)).toBe(true);
    await c.ok("capture:stop", { id: info.id });
    const ended = await c.next("capture:ended", (p) => p.id === info.id);
    expect(ended).toMatchObject({ reason: "stopped", total: got.length });
    expect(pids.some(alive)).toBe(false);

    const res = await fetch(`${t.server.url}${info.download}`, { headers: { authorization: `Bearer ${t.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-pcapng");
    const file = join(dir, "c.pcapng");
    await writeFile(file, new Uint8Array(await res.arrayBuffer()));
    const r = await run(["tcpdump", "-nn", "-e", "-r", file]);
    expect(r.code).toBe(0);
    const fromFile = r.stdout.trim().split("\n");
    expect(fromFile).toHaveLength(got.length);
    // the same packets, in the same order: the same source MACs and the same kinds
    got.forEach((g, i) => {
      expect(fromFile[i]!.split(" ")[1]).toBe(Array.from(g.data.subarray(6, 12), (b) => b.toString(16).padStart(2, "0")).join(":"));
      expect(fromFile[i]).toMatch(/ARP/.test(g.summary) ? /ARP/ : /ICMP/);
    });
    c.close();
  });

  it("refuses a wrong filter with tcpdump's words and leaves nothing running", async () => {
    const c = await t.connect();
    await c.ok("lab:open", { lab: name });
    const r = await c.request("capture:start", { lab: name, interfaces: ["h1:eth0"], filter: "tcp port 80 and" });
    expect(r).toMatchObject({
      ok: false,
      error: { code: "invalid", issues: [{ path: "filter", message: "filter: tcpdump: can't parse filter expression: syntax error" }] },
    });
    const dash = await c.request("capture:start", { lab: name, interfaces: ["h1:eth0"], filter: "-w /tmp/x" });
    expect(dash).toMatchObject({ ok: false, error: { code: "invalid" } });
    const nif = await c.request("capture:start", { lab: name, interfaces: ["h1:eth9"] });
    expect(nif).toMatchObject({ ok: false, error: { code: "invalid", issues: [{ path: "interfaces" }] } });
    const ns = `tl.${name}.h1`;
    expect((await pidsInNetns([ns])).get(ns)).toEqual([]);
    c.close();
  });

  it("sends a browser that does not keep up a sample and the count it missed", async () => {
    const c = await t.connect();
    await c.ok("lab:open", { lab: name });
    const info = await c.ok("capture:start", { lab: name, interfaces: ["h5:eth0"], filter: "icmp" });
    const batches: { n: number; missed: number; total: number }[] = [];
    // never acknowledges
    c.socket.on("capture:packets", (p: { id: string; batch: ArrayBuffer; missed: number; total: number }) => {
      if (p.id === info.id) batches.push({ n: decodeBatch(new Uint8Array(p.batch)).length, missed: p.missed, total: p.total });
    });
    expect((await inNode(name, "h4", ["ping", "-f", "-c", "10000", "-q", "10.8.0.5"], 60_000)).code).toBe(0);
    // tcpdump drains the kernel's buffer after the ping is done: wait until the count settles
    let last = -1;
    while (capturesOf(t.server.labs.engine).get(info.id)!.packets !== last) {
      last = capturesOf(t.server.labs.engine).get(info.id)!.packets;
      await sleep(500);
    }
    // MAX_UNACKED batches unacknowledged, then nothing until an ack
    expect(batches.length).toBe(MAX_UNACKED);
    c.socket.emit("capture:ack", { id: info.id });
    await until(() => batches.length === MAX_UNACKED + 1);
    const third = batches[MAX_UNACKED]!;
    expect(third.n).toBeLessThanOrEqual(MAX_BATCH);
    expect(third.missed).toBeGreaterThan(0);
    // acknowledged again and again: the rest of what waited comes, in batches
    for (let seen = 0; seen !== batches.length;) {
      seen = batches.length;
      c.socket.emit("capture:ack", { id: info.id });
      await sleep(300);
    }
    // every packet captured was either sent or counted as missed
    const final = batches.at(-1)!;
    expect(batches.reduce((sum, b) => sum + b.n + b.missed, 0)).toBe(final.total);
    expect(third.total).toBeGreaterThan(4100);
    await c.ok("capture:stop", { id: info.id });
    c.close();
  });

  it("shows a capture made by `topolab capture` on this state directory in the lab's command log", async () => {
    const c = await t.connect();
    await c.ok("lab:open", { lab: name });
    const mine = (p: { entries: { op: string; command: string }[] }) =>
      p.entries.some((e) => e.op === "capture h5:eth0" && e.command.includes("'icmp and host 10.8.0.4'"));
    const logged = c.next("lab:log", mine);
    const bin = join(import.meta.dirname, "../../bin/topolab.js");
    const cli = run([process.execPath, bin, "capture", name, "h5:eth0", "-f", "icmp and host 10.8.0.4", "-c", "1"], {
      env: { ...process.env, TOPOLAB_STATE_DIR: t.server.labs.engine.state.dir },
      timeoutMs: 60_000,
    });
    let done = false;
    void cli.finally(() => (done = true));
    while (!done) {
      await inNode(name, "h4", ["ping", "-c", "1", "-W", "1", "10.8.0.5"]);
      await sleep(200);
    }
    const r = await cli;
    expect(r.code).toBe(0);
    const entry = (await logged).entries.find((e) => e.op === "capture h5:eth0")!;
    expect(entry.command).toBe(
      `nsenter --net=/run/netns/tl.${name}.h5 -- tcpdump -i eth0 -U --immediate-mode -n -B 8192 -s 262144 -w - -- 'icmp and host 10.8.0.4'`,
    );
    expect(entry.ok).toBe(true);
    // a browser that opens the lab later finds it in the lab's history
    const late = await t.connect();
    const opened = await late.ok("lab:open", { lab: name });
    expect(opened.log.some((e) => e.op === "capture h5:eth0" && e.command === entry.command)).toBe(true);
    late.close();
    c.close();
  });

  it("ends when its link is removed, and its tcpdump is gone (by PID)", async () => {
    const c = await t.connect();
    await c.ok("lab:open", { lab: name });
    const info = await c.ok("capture:start", { lab: name, interfaces: ["h3:eth0"] });
    const [pid] = capturesOf(t.server.labs.engine).get(info.id)!.pids;
    expect(alive(pid!)).toBe(true);
    await c.ok("lab:edit", { lab: name, changes: [{ type: "removeLink", link: "h3:eth0" }] });
    const ended = await c.next("capture:ended", (p) => p.id === info.id);
    expect(ended.reason).toMatch(/h3:eth0/);
    expect(alive(pid!)).toBe(false);
    c.close();
  });

  it("ends when the browser disconnects", async () => {
    const c = await t.connect();
    await c.ok("lab:open", { lab: name });
    const info = await c.ok("capture:start", { lab: name, interfaces: ["h1"] });
    const [pid] = capturesOf(t.server.labs.engine).get(info.id)!.pids;
    c.close();
    await until(() => !alive(pid!) && capturesOf(t.server.labs.engine).get(info.id)!.ended !== null);
    expect(capturesOf(t.server.labs.engine).get(info.id)!.ended).toBe("the browser disconnected");
  });

  it("ends when the lab is stopped, its tcpdump gone", async () => {
    const c = await t.connect();
    await c.ok("lab:open", { lab: name });
    const info = await c.ok("capture:start", { lab: name, interfaces: ["h1:eth0", "s1"] });
    const { pids } = capturesOf(t.server.labs.engine).get(info.id)!;
    expect(pids).toHaveLength(3); // h1:eth0, s1:eth1, s1:eth2 (h3's link went above)
    await c.ok("lab:stop", { lab: name });
    const ended = await c.next("capture:ended", (p) => p.id === info.id);
    expect(ended.reason).toMatch(new RegExp(`lab ${name} was stopped|h1:eth0|s1:eth`));
    expect(pids.some(alive)).toBe(false);
    c.close();
  });
});
