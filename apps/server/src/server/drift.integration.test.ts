// The drift a server keeps per watched lab and pushes, on the real kernel (as root): two
// browsers watching one lab each get the snapshot's drift, then a hand-made address as a
// live:event "drift" naming its node; putting the kernel back and taking the address into the
// document each settle it, pushed to both; live:drift answers the same from the kept state.

import { beforeAll, describe, expect, it } from "vitest";
import { inNode, pings } from "@topolab/engine/testing";
import type { Change, DriftItemView } from "@topolab/protocol";
import type { Client } from "../testing";
import type { HubEvent } from "./live";
import { serverWithLab, twoHostsOnSwitch } from "../testing-session";

let a: Client;
let b: Client;
const name = `df${Math.random().toString(36).slice(2, 8)}`;

type DriftEv = { lab: string; seq: number; event: { type: string; nodes?: Record<string, DriftItemView[]>; adoptAll?: Change[] } };

/** The next drift event for the lab whose items for `node` satisfy `ok`. */
const driftOf = (c: Client, node: string, ok: (items: DriftItemView[]) => boolean, ms = 5000) =>
  c.next(
    "live:event",
    (p) => {
      const e = p as unknown as DriftEv;
      return e.lab === name && e.event.type === "drift" && node in e.event.nodes! && ok(e.event.nodes![node]!);
    },
    ms,
  ) as unknown as Promise<DriftEv>;

// h1 and h2 on s1, drawn by edits on a blank lab, a making it and b opening it; closed with the
// server, which takes the lab down and proves nothing is left
const session = serverWithLab(name, twoHostsOnSwitch("10.71.0.1/24", "10.71.0.2/24"), {
  clients: 2,
  ready: async () => expect(await pings(name, "h1", "10.71.0.2", { wait: 10 })).toBe(true),
});
beforeAll(() => void ([a, b] = session.clients as [Client, Client]));

describe("drift pushed to every watcher", () => {
  it("the snapshot carries the drift; a hand-made address reaches both browsers as a drift event; put back settles it for both", async () => {
    const sa = await a.ok("live:watch", { lab: name });
    const sb = await b.ok("live:watch", { lab: name });
    expect(sa.drift).toEqual({ lab: name, items: [], adoptAll: [] });
    expect(sb.drift.items).toEqual([]);

    const hand = (items: DriftItemView[]) => items.some((i) => i.id === "address:h2:eth0:10.9.9.9/24");
    const [ea, eb] = await Promise.all([
      driftOf(a, "h2", hand),
      driftOf(b, "h2", hand),
      inNode(name, "h2", ["ip", "addr", "add", "10.9.9.9/24", "dev", "eth0"]),
    ]);
    for (const e of [ea, eb]) {
      expect(e.event.nodes!["h2"]).toEqual([
        expect.objectContaining({ node: "h2", kind: "address", origin: "hand", text: "10.9.9.9/24 on eth0 was added by hand", adopt: expect.any(Array) }),
      ]);
      expect(e.event.adoptAll).toEqual([expect.objectContaining({ type: "updateNode", name: "h2" })]);
      expect(e.seq).toBeGreaterThan(sa.seq);
    }
    // only the node that changed is named
    expect(Object.keys(ea.event.nodes!)).toEqual(["h2"]);
    // live:drift answers the same, from the kept state
    const kept = await b.ok("live:drift", { lab: name });
    expect(kept.items.map((i) => i.id)).toEqual(["address:h2:eth0:10.9.9.9/24"]);

    const none = (items: DriftItemView[]) => items.length === 0;
    const settledA = driftOf(a, "h2", none);
    const settledB = driftOf(b, "h2", none);
    const after = await b.ok("live:restore", { lab: name });
    expect(after.items).toEqual([]);
    await Promise.all([settledA, settledB]);
    expect((await inNode(name, "h2", ["ip", "-o", "addr", "show", "dev", "eth0"])).stdout).not.toContain("10.9.9.9");
    expect((await a.ok("live:drift", { lab: name })).items).toEqual([]);
  });

  it("taking the hand-made state into the document settles it for both (an edit, no kernel change)", async () => {
    const hand = (items: DriftItemView[]) => items.length === 2;
    const pushed = Promise.all([driftOf(a, "h1", hand), driftOf(b, "h1", hand)]);
    await inNode(name, "h1", ["ip", "addr", "add", "10.8.8.8/24", "dev", "eth0"]);
    await inNode(name, "h1", ["ip", "route", "add", "10.124.0.0/16", "via", "10.8.8.1"]);
    const [ea] = await pushed;
    expect(ea.event.nodes!["h1"]!.map((i) => `${i.kind} ${i.origin}`).sort()).toEqual(["address hand", "route hand"]);

    const none = (items: DriftItemView[]) => items.length === 0;
    const settled = Promise.all([driftOf(a, "h1", none), driftOf(b, "h1", none)]);
    await a.ok("lab:edit", { lab: name, changes: ea.event.adoptAll! });
    const [sa] = await settled;
    expect(sa.event.adoptAll).toEqual([]);
    expect((await b.ok("live:drift", { lab: name })).items).toEqual([]);
    // the kernel kept what was made by hand: it is the document's now
    expect((await inNode(name, "h1", ["ip", "-o", "addr", "show", "dev", "eth0"])).stdout).toContain("10.8.8.8/24");
  });

  it("a browser that joins later gets the drift in its snapshot", async () => {
    await inNode(name, "h2", ["ip", "link", "set", "eth0", "down"]);
    await driftOf(a, "h2", (items) => items.some((i) => i.id === "interface:h2:eth0"));
    const c = await session.server.connect();
    await c.ok("lab:open", { lab: name });
    const snap = await c.ok("live:watch", { lab: name });
    expect(snap.drift.items.map((i) => i.id)).toEqual(["interface:h2:eth0"]);
    await inNode(name, "h2", ["ip", "link", "set", "eth0", "up"]);
    await driftOf(c, "h2", (items) => items.length === 0);
    await c.ok("live:unwatch", { lab: name });
    await a.ok("live:unwatch", { lab: name });
    await b.ok("live:unwatch", { lab: name });
  });

  it("while only a watcher not shown the drift follows the lab (an exercise), no drift is worked out or sent; a browser that joins gets it whole", async () => {
    const live = session.server.server.live;
    const events: HubEvent[] = [];
    let sawH2: () => void = () => undefined;
    const h2Changed = new Promise<void>((resolve) => (sawH2 = resolve));
    const kernelOnly = "hrv-kernel-only";
    await live.watch(name, {
      socketId: kernelOnly,
      rates: false,
      drift: false,
      send: (p) => {
        events.push(p.event);
        if (p.event.type === "node" && p.event.node === "h2" && p.event.state) sawH2();
      },
    });
    try {
      expect(live.watching(name)).toBe(1); // the other tests' browsers are gone: this watcher alone
      await inNode(name, "h2", ["ip", "addr", "add", "10.9.7.7/24", "dev", "eth0"]);
      await h2Changed;
      // once the kernel is quiet and what changed is read (live:drift waits for it), a drift worked out would have been sent
      expect((await live.drift(name)).items.map((i) => i.id)).toEqual(["address:h2:eth0:10.9.7.7/24"]);
      expect(events.filter((e) => e.type === "drift")).toEqual([]);

      const c = await session.server.connect();
      await c.ok("lab:open", { lab: name });
      const snap = await c.ok("live:watch", { lab: name });
      expect(snap.drift.items.map((i) => i.id)).toEqual(["address:h2:eth0:10.9.7.7/24"]);
      // a browser watches: the drift is pushed again
      const settled = driftOf(c, "h2", (items) => items.length === 0);
      await inNode(name, "h2", ["ip", "addr", "del", "10.9.7.7/24", "dev", "eth0"]);
      await settled;
      await c.ok("live:unwatch", { lab: name });
    } finally {
      await live.unwatch(name, kernelOnly);
    }
    expect(live.watching(name)).toBe(0);
  });
});
