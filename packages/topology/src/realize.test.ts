import { describe, expect, it } from "vitest";
import { duplicateRootNames, hostIfNames, hostsFileContent, realize, rootNames, type RealizeEnv } from "./realize";
import { parseLab } from "./validate";
import { rootIfName } from "./names";
import { linkKey, type Resource } from "./resources";

const env: RealizeEnv = { tag: "demo", ovsDatapath: "system" };

const H = (name: string, extra: Record<string, unknown> = {}) => ({ name, kind: "host", ...extra });
const S = (name: string, extra: Record<string, unknown> = {}) => ({ name, kind: "switch", ...extra });

function lab(nodes: unknown[], links: unknown[], name = "demo") {
  return parseLab({ name, nodes, links });
}

function get(res: Resource[], key: string): Resource {
  const found = res.filter((r) => r.key === key);
  if (found.length !== 1) throw new Error(`${found.length} resources with key ${key}; keys: ${res.map((r) => r.key).join(", ")}`);
  return found[0]!;
}

const keysOf = (res: Resource[], kind?: Resource["kind"]) =>
  res
    .filter((r) => !kind || r.kind === kind)
    .map((r) => r.key)
    .sort();

describe("realize: hosts", () => {
  it("a host is a namespace with lo up and an /etc/netns hosts file", () => {
    const res = realize(lab([H("h1")], []), env);
    expect(res).toEqual([
      { kind: "netns", key: "netns:tl.demo.h1", deps: [], ns: "tl.demo.h1", node: "h1" },
      { kind: "iface", key: "iface:tl.demo.h1/lo", deps: ["netns:tl.demo.h1"], ns: "tl.demo.h1", name: "lo", up: true },
      {
        kind: "file",
        key: "file:/etc/netns/tl.demo.h1/hosts",
        deps: ["netns:tl.demo.h1"],
        ns: "tl.demo.h1",
        path: "/etc/netns/tl.demo.h1/hosts",
        content: "# /etc/hosts of lab demo, written by topolab (edits are overwritten)\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
      },
    ]);
  });

  it("a router also gets forwarding sysctls", () => {
    const res = realize(lab([{ name: "r1", kind: "router" }], []), env);
    expect(get(res, "sysctl:tl.demo.r1")).toEqual({
      kind: "sysctl",
      key: "sysctl:tl.demo.r1",
      deps: ["netns:tl.demo.r1"],
      ns: "tl.demo.r1",
      values: { "net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "1" },
    });
    expect(realize(lab([H("h1")], []), env).some((r) => r.kind === "sysctl")).toBe(false);
  });

  it("addresses and routes hang off their interface and namespace", () => {
    const res = realize(
      lab(
        [
          H("h1", {
            interfaces: { eth0: { addresses: ["10.0.0.1/24", "fd00::1/64"] } },
            routes: [
              { to: "default", via: "10.0.0.254" },
              { to: "10.9.0.0/16", dev: "eth0", metric: 7 },
            ],
          }),
          S("s1"),
        ],
        [{ endpoints: ["h1", "s1"] }],
      ),
      env,
    );
    expect(get(res, "addr:tl.demo.h1/eth0/10.0.0.1/24")).toEqual({
      kind: "addr",
      key: "addr:tl.demo.h1/eth0/10.0.0.1/24",
      deps: ["iface:tl.demo.h1/eth0"],
      ns: "tl.demo.h1",
      dev: "eth0",
      cidr: "10.0.0.1/24",
    });
    expect(get(res, "addr:tl.demo.h1/eth0/fd00::1/64")).toMatchObject({ cidr: "fd00::1/64", dev: "eth0" });
    const addrKeys = ["addr:tl.demo.h1/eth0/10.0.0.1/24", "addr:tl.demo.h1/eth0/fd00::1/64"];
    expect(get(res, "route:tl.demo.h1/0.0.0.0/0")).toEqual({
      kind: "route",
      key: "route:tl.demo.h1/0.0.0.0/0",
      deps: ["netns:tl.demo.h1"],
      after: addrKeys,
      ns: "tl.demo.h1",
      to: "0.0.0.0/0",
      via: "10.0.0.254",
    });
    expect(get(res, "route:tl.demo.h1/10.9.0.0/16")).toEqual({
      kind: "route",
      key: "route:tl.demo.h1/10.9.0.0/16",
      deps: ["netns:tl.demo.h1", "iface:tl.demo.h1/eth0"],
      after: addrKeys,
      ns: "tl.demo.h1",
      to: "10.9.0.0/16",
      dev: "eth0",
      metric: 7,
    });
  });
});

describe("realize: links", () => {
  it("host to OVS switch: a veth whose root end is named by rootIfName, and an OVS system port", () => {
    const l = lab([H("h1", { interfaces: { eth0: { mtu: 9000, mac: "02:00:00:00:00:01" } } }), S("s1")], [{ endpoints: ["h1", "s1"], vlan: 100 }]);
    const res = realize(l, env);
    const id = "h1:eth0|s1:eth1";
    const alias = `topolab:demo:link:${id}`;
    const root = rootIfName("demo", "s1", "eth1");
    expect(root).toBe("demo-s1-eth1");
    expect(get(res, "ovsBridge:demo-s1")).toEqual({
      kind: "ovsBridge",
      lab: "demo",
      key: "ovsBridge:demo-s1",
      deps: [],
      name: "demo-s1",
      node: "s1",
      datapath: "system",
      stp: false,
    });
    expect(get(res, `veth:${id}`)).toEqual({
      kind: "veth",
      key: `veth:${id}`,
      deps: ["netns:tl.demo.h1"],
      link: id,
      alias,
      ends: [
        { ns: "tl.demo.h1", name: "eth0" },
        { ns: null, name: root },
      ],
    });
    expect(get(res, "iface:tl.demo.h1/eth0")).toEqual({
      kind: "iface",
      key: "iface:tl.demo.h1/eth0",
      deps: [`veth:${id}`, "netns:tl.demo.h1"],
      ns: "tl.demo.h1",
      name: "eth0",
      mtu: 9000,
      mac: "02:00:00:00:00:01",
      up: true,
      alias,
    });
    // the switch side follows the host's MTU
    expect(get(res, `iface:root/${root}`)).toEqual({
      kind: "iface",
      key: `iface:root/${root}`,
      deps: [`veth:${id}`],
      ns: null,
      name: root,
      alias,
      mtu: 9000,
      up: true,
    });
    expect(get(res, `ovsPort:${root}`)).toEqual({
      kind: "ovsPort",
      lab: "demo",
      key: `ovsPort:${root}`,
      deps: ["ovsBridge:demo-s1"],
      after: [`veth:${id}`],
      bridge: "demo-s1",
      name: root,
      type: "system",
      tag: 100,
    });
  });

  it("trunks go on the OVS port; checksum offload off when asked", () => {
    const l = lab([H("h1"), S("s1")], [{ endpoints: ["h1", "s1"], trunk: [20, 10] }]);
    const res = realize(l, { tag: "t", ovsDatapath: "netdev", checksumOffloadOff: true });
    expect(get(res, "ovsPort:t-s1-eth1")).toMatchObject({ type: "system", trunks: [10, 20] });
    expect(get(res, "ovsPort:t-s1-eth1")).not.toHaveProperty("tag");
    expect(get(res, "ovsBridge:t-s1")).toMatchObject({ datapath: "netdev" });
    expect(get(res, "iface:tl.demo.h1/eth0")).toMatchObject({ offloadOff: true });
    expect(get(res, "iface:root/t-s1-eth1")).toMatchObject({ offloadOff: true });
  });

  it("host to host: both ends in namespaces", () => {
    const res = realize(lab([H("a"), H("b")], [{ endpoints: ["a", "b"] }]), { ...env, checksumOffloadOff: true });
    expect(get(res, "veth:a:eth0|b:eth0")).toEqual({
      kind: "veth",
      key: "veth:a:eth0|b:eth0",
      deps: ["netns:tl.demo.a", "netns:tl.demo.b"],
      link: "a:eth0|b:eth0",
      alias: "topolab:demo:link:a:eth0|b:eth0",
      ends: [
        { ns: "tl.demo.a", name: "eth0" },
        { ns: "tl.demo.b", name: "eth0" },
      ],
    });
    // no OVS involved: no offload change, nothing in the root namespace
    expect(get(res, "iface:tl.demo.a/eth0")).not.toHaveProperty("offloadOff");
    expect(rootNames(res)).toEqual([]);
    expect(res.filter((r) => r.kind === "iface" && r.ns === null)).toEqual([]);
  });

  it("OVS to OVS: a pair of patch ports, no veth", () => {
    const res = realize(lab([S("s1"), S("s2")], [{ endpoints: ["s1", "s2"], vlan: 5 }]), env);
    expect(keysOf(res)).toEqual(["ovsBridge:demo-s1", "ovsBridge:demo-s2", "ovsPort:demo-s1-eth1", "ovsPort:demo-s2-eth1"]);
    expect(get(res, "ovsPort:demo-s1-eth1")).toEqual({
      kind: "ovsPort",
      lab: "demo",
      key: "ovsPort:demo-s1-eth1",
      deps: ["ovsBridge:demo-s1"],
      bridge: "demo-s1",
      name: "demo-s1-eth1",
      type: "patch",
      peer: "demo-s2-eth1",
      tag: 5,
    });
    expect(get(res, "ovsPort:demo-s2-eth1")).toMatchObject({ bridge: "demo-s2", type: "patch", peer: "demo-s1-eth1", tag: 5 });
  });

  it("OVS to OVS with shaping: a veth between two system ports, with a qdisc on each end", () => {
    const res = realize(lab([S("s1"), S("s2")], [{ endpoints: ["s1", "s2"], bandwidth: 10, delay: "5ms" }]), env);
    expect(keysOf(res, "ovsPort")).toEqual(["ovsPort:demo-s1-eth1", "ovsPort:demo-s2-eth1"]);
    expect(res.filter((r) => r.kind === "ovsPort").map((r) => (r as { type: string }).type)).toEqual(["system", "system"]);
    expect(get(res, "veth:s1:eth1|s2:eth1")).toMatchObject({
      deps: [],
      ends: [
        { ns: null, name: "demo-s1-eth1" },
        { ns: null, name: "demo-s2-eth1" },
      ],
    });
    expect(get(res, "qdisc:root/demo-s1-eth1")).toEqual({
      kind: "qdisc",
      key: "qdisc:root/demo-s1-eth1",
      deps: ["iface:root/demo-s1-eth1"],
      ns: null,
      dev: "demo-s1-eth1",
      rate: 10_000_000,
      delay: 5,
    });
    expect(get(res, "qdisc:root/demo-s2-eth1")).toMatchObject({ rate: 10_000_000, delay: 5 });
    expect(rootNames(res).sort()).toEqual(["demo-s1", "demo-s1-eth1", "demo-s2", "demo-s2-eth1"]);
  });

  it("shaping on a host link puts a qdisc on both ends, in their namespaces", () => {
    const res = realize(lab([H("a"), H("b")], [{ endpoints: ["a", "b"], delay: "10ms", jitter: "1ms", bandwidth: "500kbit" }]), env);
    expect(get(res, "qdisc:tl.demo.a/eth0")).toEqual({
      kind: "qdisc",
      key: "qdisc:tl.demo.a/eth0",
      deps: ["iface:tl.demo.a/eth0"],
      ns: "tl.demo.a",
      dev: "eth0",
      rate: 500_000,
      delay: 10,
      jitter: 1,
    });
    expect(get(res, "qdisc:tl.demo.b/eth0")).toMatchObject({ ns: "tl.demo.b", dev: "eth0" });
  });

  it("an internal port: an OVS port of type internal, moved into the host, keeping its name as altname", () => {
    const l = lab(
      [
        H("dhcp-r", {
          interfaces: { eth0: { addresses: ["10.50.50.2/24"], mtu: 1400 } },
          routes: [{ to: "default", via: "10.50.50.1", dev: "eth0" }],
        }),
        S("s1"),
      ],
      [{ endpoints: ["s1", "dhcp-r"], internal: true, vlan: 100 }],
    );
    const res = realize(l, env);
    const port = rootIfName("demo", "dhcp-r", "eth0");
    // "demo-dhcp-r-eth0" would be 16 bytes: hashed
    expect(port).toMatch(/^demo_[0-9a-z]{10}$/);
    expect(hostIfNames(l, "demo")).toEqual(new Map([["dhcp-r", new Map([["eth0", port]])]]));
    expect(res.filter((r) => r.kind === "veth")).toEqual([]);
    expect(get(res, `ovsPort:${port}`)).toEqual({
      kind: "ovsPort",
      lab: "demo",
      key: `ovsPort:${port}`,
      deps: ["ovsBridge:demo-s1"],
      after: ["netns:tl.demo.dhcp-r"],
      bridge: "demo-s1",
      name: port,
      type: "internal",
      tag: 100,
    });
    expect(get(res, `iface:tl.demo.dhcp-r/${port}`)).toEqual({
      kind: "iface",
      key: `iface:tl.demo.dhcp-r/${port}`,
      deps: [`ovsPort:${port}`, "netns:tl.demo.dhcp-r"],
      ns: "tl.demo.dhcp-r",
      name: port,
      mtu: 1400,
      up: true,
      moveFromRoot: true,
      altname: "eth0",
    });
    // addresses and routes use the kernel name
    expect(get(res, `addr:tl.demo.dhcp-r/${port}/10.50.50.2/24`)).toMatchObject({ dev: port, deps: [`iface:tl.demo.dhcp-r/${port}`] });
    expect(get(res, "route:tl.demo.dhcp-r/0.0.0.0/0")).toMatchObject({ dev: port, deps: ["netns:tl.demo.dhcp-r", `iface:tl.demo.dhcp-r/${port}`] });
    expect(rootNames(res).sort()).toEqual([port, "demo-s1"].sort());
  });

  it("an internal port with a short enough name is readable", () => {
    const res = realize(lab([H("dr"), S("s1")], [{ endpoints: ["dr", "s1"], internal: true }]), env);
    expect(get(res, "ovsPort:demo-dr-eth0")).toMatchObject({ type: "internal", bridge: "demo-s1" });
    expect(get(res, "ovsPort:demo-dr-eth0")).not.toHaveProperty("tag");
    expect(get(res, "iface:tl.demo.dr/demo-dr-eth0")).toMatchObject({ moveFromRoot: true, altname: "eth0", ns: "tl.demo.dr" });
  });

  it("Linux bridge: an lbridge and a bport; no OVS", () => {
    const res = realize(lab([H("h1"), S("b1", { type: "bridge", stp: true })], [{ endpoints: ["h1", "b1"] }]), { ...env, checksumOffloadOff: true });
    expect(get(res, "lbridge:demo-b1")).toEqual({
      kind: "lbridge",
      key: "lbridge:demo-b1",
      deps: [],
      name: "demo-b1",
      node: "b1",
      alias: "topolab:demo:node:b1",
      stp: true,
    });
    expect(get(res, "bport:demo-b1-eth1")).toEqual({
      kind: "bport",
      key: "bport:demo-b1-eth1",
      deps: ["iface:root/demo-b1-eth1", "lbridge:demo-b1"],
      bridge: "demo-b1",
      name: "demo-b1-eth1",
    });
    expect(res.some((r) => r.kind === "ovsBridge" || r.kind === "ovsPort")).toBe(false);
    expect(get(res, "iface:root/demo-b1-eth1")).not.toHaveProperty("offloadOff");
  });

  it("long names fall back to hashed root names of at most 15 bytes", () => {
    const res = realize(lab([H("host-with-a-long-name"), S("switch-long")], [{ endpoints: ["host-with-a-long-name", "switch-long"] }]), env);
    const names = rootNames(res);
    expect(names).toHaveLength(2);
    for (const n of names) {
      expect(n).toMatch(/^demo_[0-9a-z]{10}$/);
    }
    expect(names).toContain(rootIfName("demo", "switch-long"));
    expect(names).toContain(rootIfName("demo", "switch-long", "eth1"));
  });

  it("every key is unique", () => {
    const l = lab(
      [H("a"), H("b"), { name: "r", kind: "router" }, S("s1"), S("s2"), S("br", { type: "bridge" })],
      [
        { endpoints: ["a", "s1"] },
        { endpoints: ["b", "s2"] },
        { endpoints: ["s1", "s2"] },
        { endpoints: ["r", "br"] },
        { endpoints: ["a", "b"], delay: "1ms" },
        { endpoints: ["r", "s1"], internal: true },
      ],
    );
    const res = realize(l, env);
    const keys = res.map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(duplicateRootNames(res)).toEqual([]);
  });
});

describe("hostsFileContent", () => {
  it("lists every host's addresses, v4 first, in link order, lo only when there is nothing else", () => {
    const l = lab(
      [
        H("h1", {
          interfaces: { eth1: { addresses: ["10.0.1.1/24"] }, eth0: { addresses: ["fd00::1/64", "10.0.0.1/24"] }, lo: { addresses: ["10.255.0.1/32"] } },
        }),
        H("h2"),
        { name: "r1", kind: "router", interfaces: { lo: { addresses: ["10.255.0.9/32"] } } },
        S("s1"),
      ],
      [{ endpoints: ["h1", "s1"] }, { endpoints: ["h1", "h2"] }],
    );
    expect(hostsFileContent(l)).toBe(
      [
        "# /etc/hosts of lab demo, written by topolab (edits are overwritten)",
        "127.0.0.1\tlocalhost",
        "::1\tlocalhost ip6-localhost ip6-loopback",
        "10.0.0.1\th1",
        "10.0.1.1\th1",
        "fd00::1\th1",
        "10.255.0.9\tr1",
        "",
      ].join("\n"),
    );
    // every namespace gets the same file
    const files = realize(l, env).filter((r) => r.kind === "file");
    expect(files.map((f) => (f as { path: string }).path)).toEqual([
      "/etc/netns/tl.demo.h1/hosts",
      "/etc/netns/tl.demo.h2/hosts",
      "/etc/netns/tl.demo.r1/hosts",
    ]);
    expect(new Set(files.map((f) => (f as { content: string }).content)).size).toBe(1);
  });
});

describe("root names", () => {
  it("duplicateRootNames finds node names that collide once joined", () => {
    // switch "s1" port eth1 and a switch called "s1-eth1" both want demo-s1-eth1
    const l = lab([H("h1"), S("s1"), S("s1-eth1")], [{ endpoints: ["h1", "s1"] }]);
    const res = realize(l, env);
    expect(duplicateRootNames(res)).toEqual(["demo-s1-eth1"]);
    expect(rootNames(res).sort()).toEqual(["demo-s1", "demo-s1-eth1"]);
  });

  it("an OVS system port shares its name with its veth end and is not a duplicate", () => {
    const res = realize(lab([H("h1"), S("s1")], [{ endpoints: ["h1", "s1"] }]), env);
    expect(duplicateRootNames(res)).toEqual([]);
    expect(rootNames(res).sort()).toEqual(["demo-s1", "demo-s1-eth1"]);
  });

  it("linkKey sorts its endpoints", () => {
    expect(linkKey({ node: "s1", interface: "eth1" }, { node: "h1", interface: "eth0" })).toBe("h1:eth0|s1:eth1");
    expect(linkKey({ node: "h1", interface: "eth0" }, { node: "s1", interface: "eth1" })).toBe("h1:eth0|s1:eth1");
  });
});
