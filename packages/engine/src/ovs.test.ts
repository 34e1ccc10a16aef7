// ovs-vsctl's JSON read back, and the check that a port's kernel device is the one Open vSwitch
// has open, on output recorded on this kind of machine (OVS 3.1, userspace datapath):
// netdev-stale: lab da-rename after its h2 veth was deleted and made again by hand behind the
// port darfs-s1-p2 (darfs-s1-p1 was made again with del-port and add-port in two transactions);
// netdev-nodev: a port added for a device that does not exist.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseOvsList, portDeviceProblem, type OvsInterfaceRow } from "./ovs";
import type { IpLink } from "./actual";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures/ovs", name), "utf8");
const byName = (rows: Iterable<OvsInterfaceRow>, name: string) => [...rows].find((r) => r.name === name)!;

describe("parseOvsList", () => {
  const snap = parseOvsList(fixture("netdev-stale.json"));

  it("reads bridges with their external ids and ports", () => {
    const b = snap.bridges.find((x) => x.name === "darfs-s1")!;
    expect(b).toMatchObject({ datapathType: "netdev", stp: false, externalIds: { "topolab-lab": "da-rename", "topolab-node": "s1" } });
    expect(b.ports.map((id) => snap.ports.get(id)!.name).sort()).toEqual(["darfs-s1", "darfs-s1-p1", "darfs-s1-p2"]);
  });

  it("reads ports with tags and trunks", () => {
    const ports = [...snap.ports.values()];
    expect(ports.find((p) => p.name === "lvfx-p1")).toMatchObject({ tag: 100, trunks: [] });
    expect(ports.find((p) => p.name === "lvfx-tr")).toMatchObject({ trunks: [100, 200] });
    expect(ports.find((p) => p.name === "darfs-s1-p2")!.tag).toBeUndefined();
  });

  it("reads the Interface columns that tell whether ovs-vswitchd has the device open", () => {
    expect(byName(snap.interfaces.values(), "darfs-s1-p2")).toMatchObject({ type: "", ifindex: 276, ofport: 2, adminState: "up", linkState: "up" });
    expect(byName(snap.interfaces.values(), "darfs-s1-p2").error).toBeUndefined();
    expect(byName(snap.interfaces.values(), "darfs-s1")).toMatchObject({ type: "internal", ofport: 65534, adminState: "down" });
    const nodev = byName(parseOvsList(fixture("netdev-nodev.json")).interfaces.values(), "darfs-nodev");
    expect(nodev).toMatchObject({ ofport: -1, error: "could not open network device darfs-nodev (No such device)" });
    expect(nodev.ifindex).toBeUndefined();
    expect(nodev.adminState).toBeUndefined();
  });

  it("says what is wrong with output it cannot read, never returns nothing", () => {
    expect(() => parseOvsList("")).toThrow(/printed 0 tables where 3/);
    const [b, p] = fixture("netdev-stale.json").split("\n");
    expect(() => parseOvsList(`${b}\n${p}\n{"data": [`)).toThrow(/table 3 as JSON that does not parse/);
  });
});

describe("portDeviceProblem", () => {
  const snap = parseOvsList(fixture("netdev-stale.json"));
  const links = new Map((JSON.parse(fixture("netdev-stale.ip.json")) as IpLink[]).map((l) => [l.ifname, l]));
  const iface = (name: string) => byName(snap.interfaces.values(), name);

  it("a port made again in two transactions is open: its device is promiscuous", () => {
    expect(portDeviceProblem(iface("darfs-s1-p1"), links.get("darfs-s1-p1"))).toBeNull();
  });

  it("a veth made again behind the port is not, though OVS reports the new ifindex", () => {
    expect(iface("darfs-s1-p2").ifindex).toBe(links.get("darfs-s1-p2")!.ifindex);
    expect(portDeviceProblem(iface("darfs-s1-p2"), links.get("darfs-s1-p2"))).toMatch(/does not have its kernel device open/);
  });

  it("a port OVS could not add, a missing device, another ifindex", () => {
    const nodev = byName(parseOvsList(fixture("netdev-nodev.json")).interfaces.values(), "darfs-nodev");
    expect(portDeviceProblem(nodev, undefined)).toBe("Open vSwitch could not add it: could not open network device darfs-nodev (No such device)");
    expect(portDeviceProblem(iface("darfs-s1-p1"), undefined)).toBe("its kernel device is missing");
    expect(portDeviceProblem(iface("darfs-s1-p1"), { ...links.get("darfs-s1-p1")!, ifindex: 999 })).toBe(
      "Open vSwitch has the device with ifindex 275 open, the kernel's is 999",
    );
  });

  it("internal and patch ports have no device of this kind to check", () => {
    expect(portDeviceProblem(iface("darfs-s1"), undefined)).toBeNull();
    expect(portDeviceProblem({ ...iface("darfs-s1-p2"), type: "patch" }, undefined)).toBeNull();
  });
});
