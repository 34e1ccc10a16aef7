// inspectNode on the real kernel: a host's interfaces, routes (with proto), neighbours, sockets
// and processes; an OVS switch's ports and its MAC table naming h1's MAC on h1's port; a Linux
// bridge's forwarding database. The lab is removed afterwards and proved gone.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLab, type Lab } from "@topolab/topology";
import { Engine } from "./engine";
import { inspectNode, InspectError, type BridgeInspect, type HostInspect, type OvsInspect } from "./inspect";
import { ensureOvsRunning } from "./ovs";
import { inNode, leftoversAfterSettling, pings, tempStateDir, uniqueLabName } from "./testing";

let state: { dir: string; remove: () => Promise<void> };
let engine: Engine;
let lab: Lab;
let tag: string;

beforeAll(async () => {
  await ensureOvsRunning();
  state = await tempStateDir();
  engine = new Engine({ stateDir: state.dir });
  lab = parseLab({
    name: uniqueLabName("lvin"),
    nodes: [
      { kind: "host", name: "h1", interfaces: { eth0: { addresses: ["10.61.0.1/24", "fd61::1/64"] } }, routes: [{ to: "10.62.0.0/16", via: "10.61.0.2" }] },
      { kind: "host", name: "h2", interfaces: { eth0: { addresses: ["10.61.0.2/24"] }, eth1: { addresses: ["10.63.0.2/24"] } } },
      { kind: "host", name: "h3", interfaces: { eth0: { addresses: ["10.63.0.3/24"] } } },
      { kind: "switch", name: "s1", type: "ovs" },
      { kind: "switch", name: "b1", type: "bridge" },
    ],
    links: [
      { endpoints: ["h1:eth0", "s1:eth1"], vlan: 10 },
      { endpoints: ["h2:eth0", "s1:eth2"], vlan: 10 },
      { endpoints: ["h2:eth1", "b1:eth1"] },
      { endpoints: ["h3:eth0", "b1:eth2"] },
    ],
  });
  await engine.up(lab);
  tag = (await engine.state.readMeta(lab.name))!.tag;
  expect(await pings(lab.name, "h1", "10.61.0.2")).toBe(true);
  expect(await pings(lab.name, "h3", "10.63.0.2")).toBe(true);
});

afterAll(async () => {
  if (lab && (await engine.state.readMeta(lab.name))) await engine.down(lab.name);
  expect(await leftoversAfterSettling(lab.name)).toEqual([]);
  await state.remove();
});

describe("inspectNode", () => {
  it("reads a host: interfaces with counters, routes with proto, neighbours, sockets, processes", async () => {
    await inNode(lab.name, "h1", ["ip", "route", "add", "10.99.0.0/16", "via", "10.61.0.2"]);
    const server = inNode(lab.name, "h1", [
      "timeout",
      "3",
      "python3",
      "-c",
      "import socket,time;s=socket.socket();s.bind(('10.61.0.1',8123));s.listen();time.sleep(3)",
    ]);
    await new Promise((r) => setTimeout(r, 700));
    const h1 = (await inspectNode(lab, tag, "h1")) as HostInspect;
    await server;
    const eth0 = h1.interfaces.find((i) => i.name === "eth0")!;
    expect(eth0).toMatchObject({ adminUp: true, carrier: true, kind: "veth", mtu: 1500, peer: "s1:eth1" });
    expect(eth0.addresses.map((a) => a.cidr)).toEqual(expect.arrayContaining(["10.61.0.1/24", "fd61::1/64"]));
    expect(eth0.counters!.txPackets).toBeGreaterThan(0);
    const main = h1.routes.filter((r) => r.table === "main");
    expect(main).toContainEqual(expect.objectContaining({ to: "10.62.0.0/16", via: "10.61.0.2", proto: "static" }));
    expect(main).toContainEqual(expect.objectContaining({ to: "10.99.0.0/16", proto: "boot" }));
    expect(h1.routes.some((r) => r.family === 6 && r.to === "fd61::/64")).toBe(true);
    expect(h1.neighbours).toContainEqual(expect.objectContaining({ address: "10.61.0.2", dev: "eth0" }));
    expect(h1.sockets).toContainEqual(expect.objectContaining({ protocol: "tcp", address: "10.61.0.1", port: 8123 }));
    expect(h1.processes.some((p) => p.command.includes("8123"))).toBe(true);
  });

  it("reads an OVS switch: ports with VLAN and ofport, h1's MAC on h1's port", async () => {
    expect(await pings(lab.name, "h1", "10.61.0.2")).toBe(true);
    const h1 = (await inspectNode(lab, tag, "h1")) as HostInspect;
    const mac = h1.interfaces.find((i) => i.name === "eth0")!.mac;
    const s1 = (await inspectNode(lab, tag, "s1")) as OvsInspect;
    const port = s1.ports.find((p) => p.endpoint === "s1:eth1")!;
    expect(port).toMatchObject({ vlanMode: "access", tag: 10, peer: "h1:eth0" });
    expect(port.ofport).toBeGreaterThan(0);
    expect(s1.macs).toContainEqual(expect.objectContaining({ mac, vlan: 10, port: port.name, endpoint: "s1:eth1", peer: "h1:eth0", owner: "h1:eth0" }));
  });

  it("reads a Linux bridge's forwarding database", async () => {
    expect(await pings(lab.name, "h3", "10.63.0.2")).toBe(true);
    const b1 = (await inspectNode(lab, tag, "b1")) as BridgeInspect;
    expect(b1.ports.map((p) => p.endpoint ?? "(no endpoint)").sort()).toEqual(["b1:eth1", "b1:eth2"]);
    const h3 = (await inspectNode(lab, tag, "h3")) as HostInspect;
    const mac = h3.interfaces.find((i) => i.name === "eth0")!.mac;
    expect(b1.fdb).toContainEqual(expect.objectContaining({ mac, learned: true, endpoint: "b1:eth2", peer: "h3:eth0" }));
  });

  it("says what failed when a node's namespace is gone", async () => {
    const ghost = { ...lab, name: `${lab.name}x` };
    await expect(inspectNode(ghost, tag, "h1")).rejects.toThrow(/does not exist|failed/);
    await expect(inspectNode(lab, tag, "nope")).rejects.toThrow(InspectError);
  });
});
