// An OVS switch's MAC table is sampled (two processes a second) only while someone looks at it:
// a browser watching the lab with rates gets no MAC table events until it inspects the switch,
// then gets them every change, the entries named as the lab names them. On the real kernel.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureOvsRunning } from "@topolab/engine";
import { pings } from "@topolab/engine/testing";
import { startTestServer, type Client, type TestServer } from "../testing";

let t: TestServer;
let a: Client;
const name = `lb${Math.random().toString(36).slice(2, 8)}`;

type MacsEvent = { lab: string; event: { type: string; node?: string; entries?: { mac: string; endpoint?: string; peer?: string }[] } };

beforeAll(async () => {
  await ensureOvsRunning();
  t = await startTestServer();
  a = await t.connect();
  const host = (n: string, addr: string) => ({ name: n, kind: "host", interfaces: { eth0: { addresses: [addr] } } });
  const doc = {
    version: 1,
    name,
    nodes: [{ name: "s1", kind: "switch", type: "ovs" }, host("h1", "10.73.0.1/24"), host("h2", "10.73.0.2/24")],
    links: [{ endpoints: ["h1:eth0", "s1:eth1"] }, { endpoints: ["h2:eth0", "s1:eth2"] }],
  };
  await a.ok("lab:create", { name, source: { type: "file", text: JSON.stringify(doc) } }, 60_000);
  await a.ok("lab:open", { lab: name });
  expect(await pings(name, "h1", "10.73.0.2", { wait: 10 })).toBe(true);
}, 90_000);

afterAll(async () => {
  a?.close();
  await t?.close(); // takes the lab down and proves nothing is left
});

describe("MAC tables while someone looks", () => {
  it("are not sampled for a switch no one inspects, and are once it is inspected", async () => {
    await a.ok("live:watch", { lab: name, rates: true });
    // counters come every second; MAC tables do not
    await a.next("live:event", (p) => (p as unknown as MacsEvent).event.type === "counters", 5000);
    await new Promise((r) => setTimeout(r, 2500));
    const macs = () => ((a.events["live:event"] ?? []) as unknown as MacsEvent[]).filter((p) => p.lab === name && p.event.type === "macs");
    expect(macs()).toHaveLength(0);

    const h1 = (await a.ok("live:inspect", { lab: name, node: "h1" })) as unknown as { interfaces: { name: string; mac: string }[] };
    const mac = h1.interfaces.find((i) => i.name === "eth0")!.mac;
    await a.ok("live:inspect", { lab: name, node: "s1" });
    expect(await pings(name, "h1", "10.73.0.2", { wait: 5 })).toBe(true);
    const seen = (await a.next(
      "live:event",
      (p) => (p as unknown as MacsEvent).event.type === "macs" && !!(p as unknown as MacsEvent).event.entries?.some((e) => e.mac === mac),
      5000,
    )) as unknown as MacsEvent;
    expect(seen.event.node).toBe("s1");
    expect(seen.event.entries).toContainEqual(expect.objectContaining({ mac, endpoint: "s1:eth1", peer: "h1:eth0" }));
    await a.ok("live:unwatch", { lab: name });
  }, 60_000);
});
