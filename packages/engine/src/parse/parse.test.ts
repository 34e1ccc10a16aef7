import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ParseError,
  parseAddresses,
  parseBridgeFdb,
  parseLinks,
  parseLossRules,
  parseMonitorLine,
  parseMonitorLines,
  parseNeighbours,
  parseNetnsIds,
  parseNetnsList,
  parseOvsBridgePorts,
  parseOvsFdb,
  parseOvsPortRows,
  parseOvsPorts,
  parseProcNetDev,
  parseRoutes,
  parseSockets,
} from "./index";

// recorded on this machine: namespaces lvfx-h1 and lvfx-h2, h1:eth0 and h2:eth0 on OVS bridge
// lvfxbr0 (tag 100), an internal trunk port lvfx-tr (100,200), h2:eth1 on Linux bridge lvfxlb0
const fx = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", name), "utf8");

describe("ip -j -s -d link", () => {
  it("reads state, carrier, MAC, MTU, peer and counters", () => {
    const links = parseLinks(fx("ip-link-h1.json"));
    expect(links.map((l) => l.name)).toEqual(["lo", "eth0"]);
    const eth0 = links[1]!;
    expect(eth0).toMatchObject({
      kind: "veth",
      adminUp: true,
      carrier: true,
      operstate: "UP",
      mac: "de:19:7f:db:78:a9",
      mtu: 1500,
      peerIfindex: 278,
      peerNetnsid: 0,
    });
    expect(eth0.counters!.rxPackets).toBeGreaterThan(0);
    expect(eth0.counters!.txBytes).toBeGreaterThan(0);
  });
  it("tells NO-CARRIER on an admin-up end whose peer is down", () => {
    const eth0 = parseLinks(fx("ip-link-h1-nocarrier.json")).find((l) => l.name === "eth0")!;
    expect(eth0.adminUp).toBe(true);
    expect(eth0.carrier).toBe(false);
    expect(eth0.operstate).toBe("DOWN");
    expect(eth0.flags).toContain("NO-CARRIER");
  });
  it("reads a bridge port's master", () => {
    expect(parseLinks(fx("ip-link-root-bport.json"))[0]).toMatchObject({ name: "lvfx-p3", master: "lvfxlb0", kind: "veth" });
  });
  it("fails on output it cannot read, naming the command", () => {
    expect(() => parseLinks("")).toThrow(/ip -j -s -d link show: no output/);
    expect(() => parseLinks("{}")).toThrow(ParseError);
    expect(() => parseLinks('[{"ifname":"x"}]')).toThrow(/ifindex/);
  });
});

describe("ip -j addr", () => {
  it("reads v4, v6 and link-local addresses", () => {
    const eth0 = parseAddresses(fx("ip-addr-h1.json")).find((i) => i.name === "eth0")!;
    expect(eth0.addresses.map((a) => a.cidr)).toEqual(["10.77.0.1/24", "fd77::1/64", expect.stringMatching(/^fe80::/)]);
    expect(eth0.addresses[2]!.scope).toBe("link");
  });
  it("fails on garbage", () => expect(() => parseAddresses("not json")).toThrow(/ip -j addr show: not JSON/));
});

describe("ip -j route", () => {
  it("reads v4 routes with proto, telling hand-made from static and kernel", () => {
    const routes = parseRoutes(fx("ip-route-h1-v4.json"), 4).filter((r) => r.table === "main");
    expect(routes).toContainEqual(expect.objectContaining({ to: "0.0.0.0/0", via: "10.77.0.2", proto: "boot" }));
    expect(routes).toContainEqual(expect.objectContaining({ to: "10.99.0.0/16", via: "10.77.0.2", proto: "static" }));
    expect(routes).toContainEqual(expect.objectContaining({ to: "10.77.0.0/24", dev: "eth0", proto: "kernel" }));
    const local = parseRoutes(fx("ip-route-h1-v4.json"), 4).find((r) => r.type === "local" && r.to === "10.77.0.1/32");
    expect(local?.table).toBe("local");
  });
  it("reads v6 routes", () => {
    const routes = parseRoutes(fx("ip-route-h1-v6.json"), 6);
    expect(routes).toContainEqual(expect.objectContaining({ family: 6, to: "fd99::/64", via: "fd77::2", proto: "static", metric: 1024 }));
    expect(routes.find((r) => r.to === "fd77::1/128")?.type).toBe("local");
  });
  it("tells the families apart in a batch's mixed output", () => {
    const routes = parseRoutes(fx("ip-route-h1-mixed.json"), "mixed");
    expect(routes.find((r) => r.to === "0.0.0.0/0")).toMatchObject({ family: 4, via: "10.77.0.2" });
    expect(routes.find((r) => r.to === "fe80::/64")).toMatchObject({ family: 6, proto: "kernel" });
    expect(routes.find((r) => r.to === "::1/128")).toMatchObject({ family: 6, type: "local" });
    expect(routes.find((r) => r.to === "127.0.0.1/32")).toMatchObject({ family: 4, type: "local" });
    expect(parseRoutes('[{"dst":"default","dev":"eth0","protocol":"boot","metric":1024,"pref":"medium"}]', "mixed")[0]).toMatchObject({
      family: 6,
      to: "::/0",
    });
  });
  it("fails on a route without dst", () => expect(() => parseRoutes('[{"dev":"eth0"}]', 4)).toThrow(/field dst/));
});

describe("ip -j neigh", () => {
  it("reads ARP and NDP entries with state", () => {
    expect(parseNeighbours(fx("ip-neigh-h1.json"))).toContainEqual({
      family: 4,
      address: "10.77.0.2",
      dev: "eth0",
      mac: "d6:8a:45:11:8e:ed",
      state: "REACHABLE",
      router: false,
    });
    const h2 = parseNeighbours(fx("ip-neigh-h2.json"));
    expect(h2[0]).toEqual({ family: 4, address: "10.78.0.9", dev: "eth1", state: "FAILED", router: false });
    expect(h2.find((n) => n.family === 6)?.address).toBe("fd77::1");
  });
});

describe("ss -H -ltnup", () => {
  it("reads listening TCP and bound UDP sockets with their processes", () => {
    for (const file of ["ss-h1.txt", "ss-h1-oneline.txt"]) {
      const s = parseSockets(fx(file));
      expect(s).toContainEqual({
        protocol: "tcp",
        state: "LISTEN",
        address: "10.77.0.1",
        port: 8081,
        processes: [{ name: "python3", pid: expect.any(Number), fd: 3 }],
      });
      expect(s).toContainEqual(expect.objectContaining({ protocol: "udp", address: "*", port: 5353 }));
    }
  });
  it("reads bracketed v6 and %dev addresses", () => {
    const [s] = parseSockets('udp UNCONN 0 0 10.0.0.1%eth0:67 0.0.0.0:* users:(("dnsmasq",pid=9,fd=4))\n');
    expect(s).toMatchObject({ address: "10.0.0.1", dev: "eth0", port: 67 });
    expect(parseSockets("tcp LISTEN 0 128 [::]:22 [::]:*\n")[0]).toMatchObject({ address: "::", port: 22, processes: [] });
  });
  it("fails on a line it cannot read", () => expect(() => parseSockets("raw 0 0\n")).toThrow(/ss -H -ltnup/));
  it("an empty output is no sockets (ss prints nothing when none listen)", () => expect(parseSockets("")).toEqual([]));
});

describe("ovs-vsctl ports", () => {
  it("reads VLAN mode, tag, trunks, ofport, type and counters", () => {
    const ports = parseOvsPorts(fx("ovs-bridges.json"), fx("ovs-ports.json"), fx("ovs-interfaces.json"));
    const p1 = ports.find((p) => p.name === "lvfx-p1")!;
    expect(p1).toMatchObject({ bridge: "lvfxbr0", vlanMode: "access", tag: 100, trunks: [], ofport: 1, type: "" });
    expect(p1.statistics["rx_packets"]).toBeGreaterThan(0);
    expect(ports.find((p) => p.name === "lvfx-tr")).toMatchObject({ vlanMode: "trunk", trunks: [100, 200], type: "internal" });
    expect(ports.find((p) => p.name === "lvfxbr0")).toMatchObject({ ofport: 65534, type: "internal" });
  });
  it("fails on a table it cannot read", () => expect(() => parseOvsPorts("{}", "{}", "{}")).toThrow(/ovs-vsctl list Bridge: expected/));
});

// recorded by readOvsPorts' runs for bridges hyfxbr0 (hyfx-p1, a veth, access tag 100; hyfx-tr,
// internal, trunk 100,200) and hyfxbr1 (hyfx-p3, internal): the asked bridges' rows only. The
// first read takes two runs; the next one run, the rows of the ports the first found after the
// bridges (ovs-bridge-ports-known.txt)
describe("ovs-vsctl ports, the asked bridges' only", () => {
  const first = () => parseOvsBridgePorts(fx("ovs-bridge-ports.txt"));
  it("reads the bridges' port uuids and the interfaces to read, each bridge's own among them", () => {
    const q = first();
    expect(q.ports).toHaveLength(5);
    expect(q.ports.every((u) => /^[0-9a-f-]{36}$/.test(u))).toBe(true);
    expect(q.interfaces).toEqual(["hyfxbr0", "hyfxbr1", "hyfx-p1", "hyfx-tr", "hyfx-p3"]);
    expect(JSON.parse(q.bridges)).toMatchObject({ headings: ["_uuid", "name", "ports"] });
    expect(q.rows).toEqual([]);
  });
  it("reads each port with its bridge, VLAN mode, tag, trunks, ofport, type and counters", () => {
    const ports = parseOvsPortRows(first().bridges, fx("ovs-port-rows.json"));
    expect(ports.map((p) => `${p.bridge} ${p.name}`).sort()).toEqual([
      "hyfxbr0 hyfx-p1",
      "hyfxbr0 hyfx-tr",
      "hyfxbr0 hyfxbr0",
      "hyfxbr1 hyfx-p3",
      "hyfxbr1 hyfxbr1",
    ]);
    expect(ports.find((p) => p.name === "hyfx-p1")).toMatchObject({ vlanMode: "access", tag: 100, trunks: [], ofport: 1, type: "", linkState: "up" });
    expect(ports.find((p) => p.name === "hyfx-p1")!.statistics["rx_bytes"]).toBe(176);
    expect(ports.find((p) => p.name === "hyfx-tr")).toMatchObject({ vlanMode: "trunk", trunks: [100, 200], type: "internal", ofport: 2 });
    expect(ports.find((p) => p.name === "hyfxbr1")).toMatchObject({ ofport: 65534, type: "internal" });
  });
  it("reads the same ports from one run that asked for the known ports' rows after the bridges", () => {
    const again = parseOvsBridgePorts(fx("ovs-bridge-ports-known.txt"));
    expect({ ports: again.ports, interfaces: again.interfaces }).toEqual({ ports: first().ports, interfaces: first().interfaces });
    expect(again.rows).toHaveLength(2);
    const ports = parseOvsPortRows(again.bridges, again.rows);
    expect(ports.map((p) => `${p.bridge} ${p.name} ${p.ofport}`).sort()).toEqual([
      "hyfxbr0 hyfx-p1 1",
      "hyfxbr0 hyfx-tr 2",
      "hyfxbr0 hyfxbr0 65534",
      "hyfxbr1 hyfx-p3 1",
      "hyfxbr1 hyfxbr1 65534",
    ]);
    expect(ports.find((p) => p.name === "hyfx-tr")).toMatchObject({ vlanMode: "trunk", trunks: [100, 200] });
  });
  it("leaves out a port gone between the two runs (its row no longer listed)", () => {
    const rows = fx("ovs-port-rows.json").split("\n");
    const portTable = JSON.parse(rows[0]!) as { headings: string[]; data: unknown[][] };
    const without = { ...portTable, data: portTable.data.filter((r) => r[1] !== "hyfx-p3") };
    const ports = parseOvsPortRows(first().bridges, `${JSON.stringify(without)}\n${rows[1]}`);
    expect(ports.map((p) => p.name)).not.toContain("hyfx-p3");
    expect(ports).toHaveLength(4);
  });
  it("fails on output it cannot read", () => {
    expect(() => parseOvsBridgePorts("")).toThrow(/ovs-vsctl list Bridge, list-ifaces: no output at all/);
    expect(() => parseOvsBridgePorts(`${fx("ovs-bridge-ports.txt")}--oops\n`)).toThrow(/"--oops" is not an interface name/);
    expect(() => parseOvsPortRows(first().bridges, fx("ovs-port-rows.json").split("\n")[0]!)).toThrow(/expected 2 tables, got 1/);
  });
});

describe("ovs-appctl fdb/show", () => {
  it("reads port, VLAN, MAC and age", () => {
    const fdb = parseOvsFdb(fx("ovs-fdb.txt"));
    expect(fdb).toEqual([
      { ofport: 1, vlan: 100, mac: "de:19:7f:db:78:a9", age: expect.any(Number) },
      { ofport: 3, vlan: 100, mac: "d6:8a:45:11:8e:ed", age: expect.any(Number) },
    ]);
    expect(parseOvsFdb(" port  VLAN  MAC                Age\nLOCAL     0  aa:bb:cc:dd:ee:ff    ?\n")[0]).toEqual({
      ofport: 65534,
      vlan: 0,
      mac: "aa:bb:cc:dd:ee:ff",
      age: null,
    });
  });
  it("fails without its header", () => expect(() => parseOvsFdb("ovs-appctl: no bridge named x\n")).toThrow(/no table header/));
});

describe("bridge -j fdb", () => {
  it("tells learned entries from the ports' own", () => {
    const fdb = parseBridgeFdb(fx("bridge-fdb.json"));
    const learned = fdb.filter((e) => e.learned);
    expect(learned).toEqual([{ mac: "2a:25:e3:80:5b:24", port: "lvfx-p3", learned: true, state: "", self: false }]);
    expect(fdb.some((e) => e.self)).toBe(true);
  });
});

describe("nft -j list ruleset", () => {
  it("reads a netdev ingress loss rule", () => {
    expect(parseLossRules(fx("nft-h1.json"))).toEqual([{ table: "tl_loss_eth0", chain: "ingress", dev: "eth0", percent: 30 }]);
  });
  it("fails on garbage", () => expect(() => parseLossRules("")).toThrow(/nft -j list ruleset: no output/));
});

describe("ip monitor", () => {
  it("reads one namespace's lines", () => {
    const events = parseMonitorLines(fx("ip-monitor-h1.txt"));
    expect(events[0]).toMatchObject({ kind: "address", nsid: null, deleted: false, dev: "eth0" });
    const down = events.find((e) => e.kind === "link")!;
    expect(down.flags).toEqual(["BROADCAST", "MULTICAST"]);
    expect(events.some((e) => e.kind === "neigh" && e.deleted && e.dev === "eth0")).toBe(true);
    expect(events.some((e) => e.kind === "route" && e.text.startsWith("10.123.0.0/16 via 10.9.9.1"))).toBe(true);
  });
  it("reads all-nsid lines with their nsid, and the root namespace's as null", () => {
    const events = parseMonitorLines(fx("ip-monitor-allnsid.txt"));
    expect(new Set(events.map((e) => e.nsid))).toEqual(new Set([2, 3, null]));
    const root = events.find((e) => e.nsid === null && e.kind === "link")!;
    expect(root.dev).toBe("lvfx-p1");
    expect(root.flags).toContain("NO-CARRIER");
  });
  it("fails on a line without a label", () => expect(() => parseMonitorLine("2: eth0: <UP>")).toThrow(/without a \[KIND\]/));
  it("reads ip -j netns list", () => {
    expect(parseNetnsList(fx("ip-netns-list.json"))).toEqual(
      new Map([
        [2, "lvfx-h1"],
        [3, "lvfx-h2"],
      ]),
    );
    expect(parseNetnsList('[{"name":"x"}]')).toEqual(new Map());
    expect(() => parseNetnsList("")).toThrow(/ip -j netns list/);
  });
  it("reads ip netns list-id", () => {
    expect(parseNetnsIds(fx("ip-netns-list-id.txt"))).toEqual(
      new Map([
        [2, "lvfx-h1"],
        [3, "lvfx-h2"],
      ]),
    );
  });
});

// recorded on this machine: a veth lbfx-p1 in the root namespace, its peer eth0 in lbfx-h1, after three pings
describe("/proc/net/dev", () => {
  it("reads every interface's counters, and a veth's two ends mirror each other", () => {
    const root = parseProcNetDev(fx("proc-net-dev-root.txt"));
    expect([...root.keys()]).toEqual(["lo", "lbfx-p1"]);
    expect(root.get("lbfx-p1")).toEqual({ rxBytes: 512, rxPackets: 6, rxErrors: 0, rxDropped: 0, txBytes: 602, txPackets: 7, txErrors: 0, txDropped: 0 });
    const h1 = parseProcNetDev(fx("proc-net-dev-h1.txt"));
    expect(h1.get("eth0")).toMatchObject({ rxBytes: 602, rxPackets: 7, txBytes: 512, txPackets: 6 });
    expect(h1.get("lo")!.rxBytes).toBe(0);
  });
  it("reads names as long as the kernel allows, right after the colon", () => {
    const text = `${fx("proc-net-dev-root.txt").split("\n").slice(0, 2).join("\n")}\nabcdefghijklmno:1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n`;
    expect(parseProcNetDev(text).get("abcdefghijklmno")).toEqual({
      rxBytes: 1,
      rxPackets: 2,
      rxErrors: 3,
      rxDropped: 4,
      txBytes: 9,
      txPackets: 10,
      txErrors: 11,
      txDropped: 12,
    });
  });
  it("fails on what it cannot read, naming the file", () => {
    expect(() => parseProcNetDev("")).toThrow(/\/proc\/net\/dev: no output at all/);
    expect(() => parseProcNetDev("hello\n")).toThrow(/unexpected header/);
    const head = fx("proc-net-dev-root.txt").split("\n").slice(0, 2).join("\n");
    expect(() => parseProcNetDev(`${head}\n  eth0: 1 2 3\n`)).toThrow(/eth0: expected 16 numbers/);
    expect(() => parseProcNetDev(`${head}\n  garbage\n`)).toThrow(/without an interface name/);
  });
});
