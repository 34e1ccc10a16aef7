// live:pingall and live:ping over socket.io on the real kernel (as root): ping all's pairs carry
// fping's line for each pair; one pair pinged again comes back with ping's output verbatim and
// its statistics, and the command shows in the lab's command log (lab:log) under ping:FROM>TO;
// a wrong node is "invalid" naming the field, a string that is no node name is refused by the
// schema, a lab that does not exist is "not_found", a stopped lab is "stopped". The lab is
// removed and proved gone (startTestServer's close).
import { describe, expect, it } from "vitest";
import { serverWithLab } from "../testing-session";

// "pc…": pingcell's lab names
const name = `pcsrv${Math.random().toString(36).slice(2, 6)}`;

const LAB = `
version: 1
name: ${name}
nodes:
  - { name: b1, kind: switch, type: bridge }
  - { name: h1, kind: host, interfaces: { eth0: { addresses: [10.74.0.1/24] } } }
  - { name: h2, kind: host, interfaces: { eth0: { addresses: [10.74.0.2/24] } } }
  - { name: h3, kind: host, interfaces: { eth0: { addresses: [10.74.0.3/24] } } }
links:
  - endpoints: [h1:eth0, b1:eth1]
  - endpoints: [h2:eth0, b1:eth2]
  - endpoints: [h3:eth0, b1:eth3]
`;

const session = serverWithLab(name, LAB);

describe("live:pingall and live:ping", () => {
  it("each pair carries fping's line; a pair pinged again shows ping's output and is logged under the lab", async () => {
    const c = await session.server.connect();
    await c.ok("lab:open", { lab: name });
    const all = await c.ok("live:pingall", { lab: name });
    expect(all.pairs).toHaveLength(6);
    const p = all.pairs.find((x) => x.from === "h1" && x.to === "h3")!;
    expect(p).toMatchObject({ ok: true, address: "10.74.0.3", output: { received: 1 } });
    expect(p.output.lines[0]!.text).toMatch(/^10\.74\.0\.3 is alive \([\d.]+ ms\)$/);
    const r = await c.ok("live:ping", { lab: name, from: "h1", to: "h3" });
    expect(r).toMatchObject({ lab: name, from: "h1", to: "h3", address: "10.74.0.3", code: 0, stats: { sent: 3, received: 3, lossPercent: 0 } });
    expect(r.output).toContain("--- 10.74.0.3 ping statistics ---");
    const log = await c.next("lab:log", (x) => x.lab === name && x.entries.some((e) => e.op === "ping:h1>h3"));
    expect(log.entries.find((e) => e.op === "ping:h1>h3")!.command).toBe(r.argv.join(" "));
    c.close();
  }, 90_000);

  it("a wrong node is invalid, naming the field; what is no node name is refused before anything runs", async () => {
    const c = await session.server.connect();
    const sw = await c.request("live:ping", { lab: name, from: "h1", to: "b1" });
    expect(sw).toMatchObject({ ok: false, error: { code: "invalid", issues: [{ path: "to" }] } });
    const from = await c.request("live:ping", { lab: name, from: "nobody", to: "h2" });
    expect(from).toMatchObject({ ok: false, error: { code: "invalid", issues: [{ path: "from" }] } });
    const self = await c.request("live:ping", { lab: name, from: "h2", to: "h2" });
    expect(self).toMatchObject({ ok: false, error: { code: "invalid", issues: [{ path: "to" }] } });
    const shell = await c.request("live:ping", { lab: name, from: "h1", to: "h2; reboot" });
    expect(shell).toMatchObject({ ok: false, error: { code: "invalid", issues: [{ path: "to" }] } });
    const none = await c.request("live:ping", { lab: "pcnosuchlab", from: "h1", to: "h2" });
    expect(none).toMatchObject({ ok: false, error: { code: "not_found" } });
    c.close();
  }, 60_000);

  it("a stopped lab is 'stopped'", async () => {
    const c = await session.server.connect();
    await c.ok("lab:stop", { lab: name });
    const r = await c.request("live:ping", { lab: name, from: "h1", to: "h2" });
    expect(r).toMatchObject({ ok: false, error: { code: "stopped" } });
    c.close();
  }, 60_000);
});
