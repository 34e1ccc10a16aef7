// Break and mend on the real kernel, from the document: a link `state: down` pulls the cable
// (both ends lose carrier, the hosts' interfaces stay administratively up, ping fails) and
// `up` mends it; `loss: 30` drops about 30 % of pings with an nftables rule that goes with the
// loss; a stopped node's links all lose carrier. The lab is removed afterwards and proved gone.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLab, type Lab } from "@topolab/topology";
import { Engine } from "./engine";
import { readNetns } from "./inspect";
import { ensureOvsRunning } from "./ovs";
import { inNode, leftoversAfterSettling, pings, tempStateDir, uniqueLabName } from "./testing";

let state: { dir: string; remove: () => Promise<void> };
let engine: Engine;
let name: string;

const doc = (extra: { s1h1?: object; hh?: object; h1?: object } = {}): Lab =>
  parseLab({
    name,
    nodes: [
      { kind: "host", name: "h1", interfaces: { eth0: { addresses: ["10.65.0.1/24"] } }, ...extra.h1 },
      { kind: "host", name: "h2", interfaces: { eth0: { addresses: ["10.65.0.2/24"] } } },
      { kind: "host", name: "h3", interfaces: { eth0: { addresses: ["10.66.0.3/24"] } } },
      { kind: "host", name: "h4", interfaces: { eth0: { addresses: ["10.66.0.4/24"] } } },
      { kind: "switch", name: "s1" },
    ],
    links: [{ endpoints: ["h1:eth0", "s1:eth1"], ...extra.s1h1 }, { endpoints: ["h2:eth0", "s1:eth2"] }, { endpoints: ["h3:eth0", "h4:eth0"], ...extra.hh }],
  });

async function iface(node: string, dev = "eth0") {
  return (await readNetns(`tl.${name}.${node}`)).interfaces.find((i) => i.name === dev)!;
}

beforeAll(async () => {
  await ensureOvsRunning();
  state = await tempStateDir();
  engine = new Engine({ stateDir: state.dir });
  name = uniqueLabName("lvbm");
  await engine.up(doc());
  expect(await pings(name, "h1", "10.65.0.2")).toBe(true);
  expect(await pings(name, "h3", "10.66.0.4")).toBe(true);
});

afterAll(async () => {
  if (name && (await engine.state.readMeta(name))) await engine.down(name);
  expect(await leftoversAfterSettling(name)).toEqual([]);
  await state.remove();
});

describe("break and mend", () => {
  it("a switch link down: h1 sees NO-CARRIER, stays admin-up, ping fails; up: ping passes", async () => {
    await engine.up(doc({ s1h1: { state: "down" } }));
    const e = await iface("h1");
    expect(e.adminUp).toBe(true);
    expect(e.carrier).toBe(false);
    expect(e.operstate).not.toBe("UP");
    expect(await pings(name, "h1", "10.65.0.2", { wait: 1 })).toBe(false);
    // the document says down: applying it again changes nothing
    expect((await engine.dryRun(doc({ s1h1: { state: "down" } }))).ops).toEqual([]);
    await engine.up(doc());
    expect((await iface("h1")).carrier).toBe(true);
    expect(await pings(name, "h1", "10.65.0.2", { wait: 10 })).toBe(true);
  });

  it("a host-to-host link down: the first end sees NO-CARRIER, ping fails; up: ping passes", async () => {
    await engine.up(doc({ hh: { state: "down" } }));
    const e = await iface("h3");
    expect(e).toMatchObject({ adminUp: true, carrier: false });
    expect(await pings(name, "h3", "10.66.0.4", { wait: 1 })).toBe(false);
    await engine.up(doc());
    expect(await pings(name, "h3", "10.66.0.4", { wait: 10 })).toBe(true);
  });

  it("loss 30 % drops between 15 % and 45 % of 400 pings, and goes with the loss", async () => {
    await engine.up(doc({ s1h1: { loss: 30 } }));
    expect((await engine.dryRun(doc({ s1h1: { loss: 30 } }))).ops).toEqual([]);
    const r = await inNode(name, "h1", ["ping", "-q", "-n", "-c", "400", "-i", "0.01", "-W", "1", "10.65.0.2"], 60_000);
    const m = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
    expect(m, r.stdout + r.stderr).not.toBeNull();
    const lost = 1 - Number(m![2]) / Number(m![1]);
    expect(lost).toBeGreaterThan(0.15);
    expect(lost).toBeLessThan(0.45);
    await engine.up(doc());
    const tables = await inNode(name, "h1", ["nft", "list", "tables", "netdev"]);
    expect(tables.stdout).not.toContain("tl_loss");
    const again = await inNode(name, "h1", ["ping", "-q", "-n", "-c", "50", "-i", "0.01", "-W", "1", "10.65.0.2"]);
    expect(again.stdout).toContain(" 0% packet loss");
  });

  it("a stopped node's links lose carrier; started, they carry again", async () => {
    await engine.up(doc({ h1: { state: "stopped" } }));
    expect(await iface("h1")).toMatchObject({ adminUp: true, carrier: false });
    expect(await pings(name, "h2", "10.65.0.1", { wait: 1 })).toBe(false);
    await engine.up(doc());
    expect(await pings(name, "h2", "10.65.0.1", { wait: 10 })).toBe(true);
  });
});
