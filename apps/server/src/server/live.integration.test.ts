// Live state over socket.io, on the real kernel (as root): a hand-made change in a node reaches
// a watching browser within 500 ms; a link taken down by an edit fails a ping (the far end
// reports NO-CARRIER) and brought up passes it; 30 % loss drops 15-45 % of 400 pings; the OVS
// MAC table names h1's MAC on h1's port; counters grow under traffic; drift after a hand-made
// address is listed, and each of its two actions settles it.

import { beforeAll, describe, expect, it } from "vitest";
import { inNode, pings } from "@topolab/engine/testing";
import type { Change } from "@topolab/protocol";
import { monitorChildren, type Client } from "../testing";
import { serverWithLab, twoHostsOnSwitch } from "../testing-session";

let a: Client;
let b: Client;
const name = `lv${Math.random().toString(36).slice(2, 8)}`;

const edit = (changes: Change[]) => a.ok("lab:edit", { lab: name, changes });

// h1 and h2 on s1, drawn by edits on a blank lab, a making it and b opening it; closed with the
// server, which takes the lab down and proves nothing is left
const session = serverWithLab(name, twoHostsOnSwitch("10.69.0.1/24", "10.69.0.2/24"), {
  clients: 2,
  ready: async () => expect(await pings(name, "h1", "10.69.0.2", { wait: 10 })).toBe(true),
});
beforeAll(() => void ([a, b] = session.clients as [Client, Client]));

const monitors = monitorChildren;

type Ev = {
  lab: string;
  seq: number;
  event: { type: string; node?: string; state?: { interfaces: { name: string; adminUp: boolean; carrier: boolean; addresses: string[] }[] } | null };
};
const eth0 = (e: Ev) => e.event.state?.interfaces.find((i) => i.name === "eth0");

describe("live over socket.io", () => {
  it("refuses to watch a lab the socket has not opened", async () => {
    const c = await session.server.connect();
    const r = await c.request("live:watch", { lab: name });
    expect(!r.ok && r.error.code).toBe("not_found");
  });

  it("a hand-made `ip link set eth0 down` in a node reaches a watching browser within 500 ms", async () => {
    const snap = await b.ok("live:watch", { lab: name });
    expect(snap.version).toBe(1);
    expect(snap.nodes["h1"]!.interfaces.find((i) => i.name === "eth0")).toMatchObject({ adminUp: true, carrier: true, addresses: ["10.69.0.1/24"] });
    const t0 = Date.now();
    await inNode(name, "h1", ["ip", "link", "set", "eth0", "down"]);
    const ev = (await b.next(
      "live:event",
      (p) => {
        const e = p as unknown as Ev;
        return e.event.type === "node" && e.event.node === "h1" && eth0(e)?.adminUp === false;
      },
      2000,
    )) as unknown as Ev;
    const took = Date.now() - t0;
    expect(took).toBeLessThan(500);
    expect(ev.seq).toBeGreaterThan(snap.seq);
    await inNode(name, "h1", ["ip", "link", "set", "eth0", "up"]);
    await b.next("live:event", (p) => (p as unknown as Ev).event.node === "h1" && eth0(p as unknown as Ev)?.adminUp === true, 2000);
  });

  it("a link taken down by an edit fails a ping, the far end reports NO-CARRIER; up passes it again", async () => {
    await edit([{ type: "updateLink", link: "h1:eth0", set: { state: "down" } }]);
    const doc = await b.next("lab:document", (p) => p.lab === name && p.document.links.some((l) => l.state === "down"));
    expect(doc.document.links.find((l) => l.endpoints[0].node === "h1")!.state).toBe("down");
    await b.next("live:event", (p) => (p as unknown as Ev).event.node === "h1" && eth0(p as unknown as Ev)?.carrier === false, 3000);
    const h1 = (await b.ok("live:inspect", { lab: name, node: "h1" })) as unknown as {
      interfaces: { name: string; adminUp: boolean; carrier: boolean; operstate: string }[];
    };
    expect(h1.interfaces.find((i) => i.name === "eth0")).toMatchObject({ adminUp: true, carrier: false });
    expect(await pings(name, "h1", "10.69.0.2", { wait: 1 })).toBe(false);
    await edit([{ type: "updateLink", link: "h1:eth0", set: { state: null } }]);
    expect(await pings(name, "h1", "10.69.0.2", { wait: 10 })).toBe(true);
  });

  it("loss of 30 % drops between 15 % and 45 % of 400 pings", async () => {
    await edit([{ type: "updateLink", link: "h1:eth0", set: { loss: 30 } }]);
    const r = await inNode(name, "h1", ["ping", "-q", "-n", "-c", "400", "-i", "0.01", "-W", "1", "10.69.0.2"], 60_000);
    const m = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout)!;
    const lost = 1 - Number(m[2]) / Number(m[1]);
    expect(lost).toBeGreaterThan(0.15);
    expect(lost).toBeLessThan(0.45);
    await edit([{ type: "updateLink", link: "h1:eth0", set: { loss: null } }]);
    expect((await inNode(name, "h1", ["nft", "list", "tables", "netdev"])).stdout).not.toContain("tl_loss");
  });

  it("the OVS MAC table lists h1's MAC on h1's port after a ping", async () => {
    expect(await pings(name, "h1", "10.69.0.2", { wait: 10 })).toBe(true);
    const h1 = (await b.ok("live:inspect", { lab: name, node: "h1" })) as unknown as { interfaces: { name: string; mac: string }[] };
    const mac = h1.interfaces.find((i) => i.name === "eth0")!.mac;
    const s1 = (await b.ok("live:inspect", { lab: name, node: "s1" })) as unknown as {
      kind: string;
      macs: { mac: string; endpoint?: string; peer?: string }[];
    };
    expect(s1.kind).toBe("ovs");
    expect(s1.macs).toContainEqual(expect.objectContaining({ mac, endpoint: "s1:eth1", peer: "h1:eth0" }));
  });

  it("counters grow under traffic while a browser asks for rates", async () => {
    await b.ok("live:watch", { lab: name, rates: true });
    type C = {
      event: { type: string; at: number; counters?: Record<string, { txBytes: number; rxBytes: number }>; rates?: Record<string, { txBps: number }> };
    };
    const first = (await b.next("live:event", (p) => (p as unknown as C).event.type === "counters", 5000)) as unknown as C;
    const before = first.event.counters!["h1:eth0"]!.txBytes;
    // traffic: 300 pings of 1400 bytes from h2 (TCP through the busy userspace datapath is slow to assert on)
    const flood = await inNode(name, "h2", ["ping", "-q", "-n", "-c", "300", "-i", "0.005", "-s", "1400", "10.69.0.1"], 30_000);
    expect(flood.stdout).toMatch(/300 packets transmitted/);
    const done = Date.now();
    const later = (await b.next(
      "live:event",
      (p) => (p as unknown as C).event.type === "counters" && (p as unknown as C).event.at > done,
      5000,
    )) as unknown as C;
    expect(later.event.counters!["h1:eth0"]!.rxBytes - first.event.counters!["h1:eth0"]!.rxBytes).toBeGreaterThan(300 * 1400);
    expect(later.event.counters!["h1:eth0"]!.txBytes).toBeGreaterThan(before);
    await b.ok("live:watch", { lab: name, rates: false });
  });

  it("drift lists a hand-made address; put back removes it, adopt takes it into the document", async () => {
    expect((await b.ok("live:drift", { lab: name })).items).toEqual([]);
    await inNode(name, "h2", ["ip", "addr", "add", "10.9.9.9/24", "dev", "eth0"]);
    const drift = await b.ok("live:drift", { lab: name });
    expect(drift.items).toEqual([expect.objectContaining({ node: "h2", kind: "address", origin: "hand", text: "10.9.9.9/24 on eth0 was added by hand" })]);
    const after = await b.ok("live:restore", { lab: name });
    expect(after.items).toEqual([]);
    expect((await inNode(name, "h2", ["ip", "-o", "addr", "show", "dev", "eth0"])).stdout).not.toContain("10.9.9.9");

    // again, and this time the document takes it: an ordinary edit, seen by every browser
    await inNode(name, "h2", ["ip", "addr", "add", "10.9.9.9/24", "dev", "eth0"]);
    await inNode(name, "h2", ["ip", "route", "add", "10.123.0.0/16", "via", "10.9.9.1"]);
    const again = await b.ok("live:drift", { lab: name });
    expect(again.items.map((i) => `${i.kind} ${i.origin}`).sort()).toEqual(["address hand", "route hand"]);
    await b.ok("lab:edit", { lab: name, changes: again.adoptAll });
    const doc = await a.next("lab:document", (p) => p.lab === name && JSON.stringify(p.document).includes("10.9.9.9/24"));
    const h2 = doc.document.nodes.find((n) => n.name === "h2") as {
      interfaces: Record<string, { addresses: string[] }>;
      routes: { to: string; via?: string }[];
    };
    expect(h2.interfaces["eth0"]!.addresses).toEqual(["10.69.0.2/24", "10.9.9.9/24"]);
    expect(h2.routes).toContainEqual(expect.objectContaining({ to: "10.123.0.0/16", via: "10.9.9.1" }));
    expect((await b.ok("live:drift", { lab: name })).items).toEqual([]);
  });

  it("stops its ip monitor when the last watcher leaves", async () => {
    expect((await monitors()).length).toBe(1);
    await b.ok("live:unwatch", { lab: name });
    expect(await monitors()).toEqual([]);
  });
});
