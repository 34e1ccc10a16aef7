// live:trace over socket.io on the real kernel (as root): a client traces h1 → h2 through a
// router and two Linux bridges and gets the hops named by the lab's nodes; the traceroute command
// shows in the lab's command log (lab:log) under the trace; a wrong target is "invalid" naming
// the field, a string that is no target is refused by the schema, a stopped lab is "stopped".
// The lab is removed and proved gone (startTestServer's close).
import { describe, expect, it } from "vitest";
import { serverWithLab } from "../testing-session";

// "tr…": the trace's lab names
const name = `trsrv${Math.random().toString(36).slice(2, 6)}`;

const LAB = `
version: 1
name: ${name}
nodes:
  - { name: h1, kind: host, interfaces: { eth0: { addresses: [10.72.10.2/24] } }, routes: [{ to: default, via: 10.72.10.1 }] }
  - { name: b1, kind: switch, type: bridge }
  - { name: r1, kind: router, interfaces: { eth0: { addresses: [10.72.10.1/24] }, eth1: { addresses: [10.72.20.1/24] } } }
  - { name: b2, kind: switch, type: bridge }
  - { name: h2, kind: host, interfaces: { eth0: { addresses: [10.72.20.2/24] } }, routes: [{ to: default, via: 10.72.20.1 }] }
links:
  - endpoints: [h1:eth0, b1:eth1]
  - endpoints: [b1:eth2, r1:eth0]
  - endpoints: [r1:eth1, b2:eth1]
  - endpoints: [b2:eth2, h2:eth0]
`;

const session = serverWithLab(name, LAB);

describe("live:trace", () => {
  it("traces through the router, hop by hop on the lab's nodes, and logs the command under the lab", async () => {
    const c = await session.server.connect();
    await c.ok("lab:open", { lab: name });
    const r = await c.ok("live:trace", { lab: name, from: "h1", to: "h2" });
    expect(r).toMatchObject({ lab: name, from: "h1", to: "h2", target: "10.72.20.2", targetNode: "h2", reached: true });
    expect(r.hops.map((h) => `${h.node}:${h.interface}`)).toEqual(["r1:eth0", "h2:eth0"]);
    expect(r.segments.map((s) => `${s.nodes.join(">")} ${s.l2}`)).toEqual(["h1>b1>r1 mac-table", "r1>b2>h2 mac-table"]);
    const log = await c.next("lab:log", (p) => p.lab === name && p.entries.some((e) => e.op === "trace:h1>h2"));
    expect(log.entries.find((e) => e.op === "trace:h1>h2" && e.command.includes("traceroute"))!.command).toBe(r.command);
    c.close();
  }, 60_000);

  it("a wrong target is invalid, naming the field; what is no target at all is refused before anything runs", async () => {
    const c = await session.server.connect();
    const sw = await c.request("live:trace", { lab: name, from: "h1", to: "b1" });
    expect(sw).toMatchObject({ ok: false, error: { code: "invalid", message: expect.stringMatching(/b1 is a switch/), issues: [{ path: "to" }] } });
    const from = await c.request("live:trace", { lab: name, from: "b2", to: "h2" });
    expect(from).toMatchObject({ ok: false, error: { code: "invalid", issues: [{ path: "from" }] } });
    const shell = await c.request("live:trace", { lab: name, from: "h1", to: "h2; reboot" });
    expect(shell).toMatchObject({ ok: false, error: { code: "invalid", issues: [{ path: "to" }] } });
    const none = await c.request("live:trace", { lab: "trnosuchlab", from: "h1", to: "h2" });
    expect(none).toMatchObject({ ok: false, error: { code: "not_found" } });
    c.close();
  }, 60_000);

  it("a stopped lab is 'stopped'", async () => {
    const c = await session.server.connect();
    await c.ok("lab:stop", { lab: name });
    const r = await c.request("live:trace", { lab: name, from: "h1", to: "h2" });
    expect(r).toMatchObject({ ok: false, error: { code: "stopped" } });
    c.close();
  }, 60_000);
});
