import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { zodIssues } from "@topolab/topology";
import { InspectSchema } from "./inspect";

// Recorded from a real lab (`topolab inspect hxfix NODE --json`): h1 a host with a listening
// service on an OVS access port, r1 a router between the OVS switch s1 (VLAN 100) and the Linux
// bridge b1, after pings filled neighbours, the MAC table and the forwarding database.
// (a fresh copy each call: a test may break it)
const fixture = <T = Record<string, unknown>>(name: string): T =>
  JSON.parse(readFileSync(new URL(`fixtures/inspect/${name}.json`, import.meta.url), "utf8")) as T;

/** The issues of a refused answer, as the server words them: "path: message". */
function refusal(value: unknown): string[] {
  const r = InspectSchema.safeParse(value, { reportInput: true });
  expect(r.success).toBe(false);
  return zodIssues(r.error!, []).map((i) => `${i.path}: ${i.message}`);
}

describe("live:inspect's answer", () => {
  it("reads the recorded answer of each kind of node whole, every field kept", () => {
    for (const name of ["host", "router", "ovs", "bridge"]) {
      const raw = fixture(name);
      const r = InspectSchema.safeParse(raw);
      expect(r.success, `${name}: ${r.success ? "" : JSON.stringify(r.error.issues)}`).toBe(true);
      expect(r.data).toEqual(raw);
    }
  });

  it("recorded answers hold what the tabs show (not empty lists that pass for anything)", () => {
    const host = InspectSchema.parse(fixture("host"));
    if (host.kind !== "host") throw new Error(`host fixture is a ${host.kind}`);
    expect(host.interfaces.find((i) => i.name === "eth0")?.addresses.map((a) => a.cidr)).toContain("10.0.0.1/24");
    expect(host.sockets).toContainEqual(expect.objectContaining({ protocol: "tcp", address: "10.0.0.1", port: 8080 }));
    expect(host.processes.length).toBeGreaterThan(0);
    expect(host.neighbours.length).toBeGreaterThan(0);
    expect(host.routes).toContainEqual(expect.objectContaining({ to: "10.0.1.0/24", via: "10.0.0.254", proto: "static" }));
    const router = InspectSchema.parse(fixture("router"));
    expect(router.kind).toBe("router");
    const ovs = InspectSchema.parse(fixture("ovs"));
    if (ovs.kind !== "ovs") throw new Error(`ovs fixture is a ${ovs.kind}`);
    expect(ovs.ports).toContainEqual(expect.objectContaining({ endpoint: "s1:eth1", peer: "h1:eth0", vlanMode: "access", tag: 100 }));
    expect(ovs.macs.some((m) => m.owner !== undefined)).toBe(true);
    const bridge = InspectSchema.parse(fixture("bridge"));
    if (bridge.kind !== "bridge") throw new Error(`bridge fixture is a ${bridge.kind}`);
    expect(bridge.fdb.some((f) => f.learned && f.endpoint !== undefined)).toBe(true);
    expect(bridge.ports.some((p) => p.endpoint === "b1:eth2")).toBe(true);
  });

  it("refuses a field of the wrong type, naming it", () => {
    const host = fixture<{ interfaces: { mtu: unknown }[] }>("host");
    host.interfaces[1]!.mtu = "1500";
    expect(refusal(host)).toEqual(['interfaces[1].mtu: must be a number, not the text "1500"']);
  });

  it("refuses a field the contract does not know, naming it (a renamed or added field would cross unchecked)", () => {
    const ovs = fixture<{ ports: Record<string, unknown>[] }>("ovs");
    ovs.ports[0]!["vlan_mode"] = "access";
    expect(refusal(ovs)).toEqual(["ports[0].vlan_mode: is not a known field"]);
    const host = fixture<Record<string, unknown>>("host");
    host["namespace"] = host["ns"];
    expect(refusal(host)).toEqual(["namespace: is not a known field"]);
  });

  it("refuses a missing field, naming it", () => {
    const bridge = fixture<{ fdb: Record<string, unknown>[] }>("bridge");
    delete bridge.fdb[2]!["learned"];
    expect(refusal(bridge)).toEqual(["fdb[2].learned: is required"]);
    const router = fixture<Record<string, unknown>>("router");
    delete router["sockets"];
    expect(refusal(router)).toEqual(["sockets: is required"]);
  });

  it("refuses a value out of its range, and a kind it does not know", () => {
    const ovs = fixture<{ macs: Record<string, unknown>[] }>("ovs");
    ovs.macs[0]!["vlan"] = 4096;
    expect(refusal(ovs)[0]).toMatch(/^macs\[0\]\.vlan: /);
    ovs.macs[0]!["vlan"] = 100;
    ovs.macs[0]!["mac"] = "not a mac";
    expect(refusal(ovs)[0]).toMatch(/^macs\[0\]\.mac: /);
    const nat = { ...fixture("host"), kind: "nat" };
    expect(refusal(nat)[0]).toMatch(/^kind: /);
  });
});
