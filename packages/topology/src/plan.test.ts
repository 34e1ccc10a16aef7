import { describe, expect, it } from "vitest";
import { CARRIER_LAST_FROM, plan, sameResource, summarize, type ActualState, type Op, type Plan } from "./plan";
import { createCommands, Stage, type Command } from "./commands";
import { realize, type RealizeEnv } from "./realize";
import { parseLab } from "./validate";
import { topoLab } from "./topos";
import { KIND_ORDER, type Resource } from "./resources";
import type { Lab } from "./schema";

const env: RealizeEnv = { tag: "demo", ovsDatapath: "system" };

const H = (name: string, extra: Record<string, unknown> = {}) => ({ name, kind: "host", ...extra });
const S = (name: string, extra: Record<string, unknown> = {}) => ({ name, kind: "switch", ...extra });

const lab = (nodes: unknown[], links: unknown[] = [], name = "demo") => parseLab({ name, nodes, links });

/** Scenario 1 and 2 of the design: red and green on one OVS switch, VLANs, internal ports. */
const vlanLab = () =>
  lab(
    [
      H("red", { interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } }),
      H("green", { interfaces: { eth0: { addresses: ["10.0.0.2/24"] } } }),
      H("dhcp-r", { interfaces: { eth0: { addresses: ["10.50.50.2/24"] } } }),
      H("dhcp-g", { interfaces: { eth0: { addresses: ["10.50.50.2/24"] } } }),
      S("ovs1"),
    ],
    [
      { endpoints: ["red", "ovs1"], vlan: 100 },
      { endpoints: ["green", "ovs1"], vlan: 200 },
      { endpoints: ["dhcp-r", "ovs1"], vlan: 100, internal: true },
      { endpoints: ["dhcp-g", "ovs1"], vlan: 200, internal: true },
    ],
  );

/** Scenario 3: two subnets and a router, static routes. */
const routedLab = () =>
  lab(
    [
      H("ns0", { interfaces: { eth0: { addresses: ["10.1.10.2/24"] } }, routes: [{ to: "default", via: "10.1.10.1" }] }),
      H("ns1", { interfaces: { eth0: { addresses: ["10.1.20.2/24"] } }, routes: [{ to: "10.1.10.0/24", via: "10.1.20.1" }] }),
      { name: "r", kind: "router", interfaces: { eth0: { addresses: ["10.1.10.1/24"] }, eth1: { addresses: ["10.1.20.1/24", "fd00:20::1/64"] } } },
    ],
    [{ endpoints: ["ns0", "r"] }, { endpoints: ["ns1", "r"] }],
  );

/** A bit of everything: Linux bridge, patch ports, shaped links, trunks, STP. */
const mixedLab = () =>
  lab(
    [
      H("a", { interfaces: { eth0: { addresses: ["10.0.0.1/24"], mtu: 9000 } } }),
      H("b", { interfaces: { eth0: { addresses: ["10.0.0.2/24"], mac: "02:00:00:00:00:02", up: false } } }),
      S("s1", { stp: true }),
      S("s2", { stp: true }), // two links between s1 and s2: a loop, which needs spanning tree on both
      S("br", { type: "bridge" }),
      H("c"),
    ],
    [
      { endpoints: ["a", "s1"], trunk: [10, 20] },
      { endpoints: ["s1", "s2"] },
      { endpoints: ["s1", "s2"], bandwidth: 100, delay: "2ms" },
      { endpoints: ["b", "br"] },
      { endpoints: ["c", "a"], loss: 5 },
      { endpoints: ["c", "s2"], bandwidth: "500kbit" },
    ],
  );

const tree = () => parseLab(topoLab({ kind: "tree", args: [2, 3] }, "tree"));

/** The names each namespace would hold if the kernel matched `resources`. */
function namesOf(resources: Resource[]): Map<string, Set<string>> {
  const names = new Map<string, Set<string>>();
  const add = (ns: string | null, name: string) => {
    const k = ns ?? "root";
    if (!names.has(k)) names.set(k, new Set());
    names.get(k)!.add(name);
  };
  for (const r of resources) {
    if (r.kind === "netns") add(r.ns, "lo");
    if (r.kind === "veth") for (const e of r.ends) add(e.ns, e.name);
    if (r.kind === "ovsBridge" || r.kind === "lbridge") add(null, r.name);
    if (r.kind === "iface") add(r.ns, r.name);
  }
  return names;
}

const actualOf = (resources: Resource[], withNames = true): ActualState => ({
  resources,
  ...(withNames ? { names: namesOf(resources) } : {}),
});

const brief = (p: Plan) => p.ops.map((o) => `${o.action} ${o.key}`);
const allCommands = (p: Plan): (Command & { op: number })[] =>
  p.ops.flatMap((o, i) => o.commands.map((c) => ({ ...c, op: i }))).sort((a, b) => a.stage - b.stage || a.op - b.op);

/** a command as compact text, close to its shell line */
function text(c: Command): string {
  switch (c.tool) {
    case "ip":
    case "tc":
      return [c.tool, ...(c.ns ? ["-n", c.ns] : []), ...c.args].join(" ");
    case "ovs-vsctl":
      return ["ovs-vsctl", ...c.args].join(" ");
    case "exec":
      return [...(c.ns ? [`[${c.ns}]`] : []), ...c.argv].join(" ");
    case "write":
      return `write ${c.path}`;
    case "remove":
      return `remove ${c.path}`;
    case "killns":
      return `killns ${c.ns}`;
    case "start":
      return `start ${c.node}/${c.name}: ${c.argv.join(" ")}`;
    case "stop":
      return `stop ${c.node}/${c.name}`;
    case "nft":
      return `nft ${c.script.split("\n")[0]}`;
  }
}

describe("plan(x, x) is empty", () => {
  it.each([
    ["vlans and internal ports", vlanLab],
    ["router and routes", routedLab],
    ["bridge, patch, shaping", mixedLab],
    ["mininet tree,2,3", tree],
    ["empty lab", () => lab([])],
  ])("%s", (_, make) => {
    const l = make();
    for (const e of [env, { tag: "x", ovsDatapath: "netdev", checksumOffloadOff: true }]) {
      const p = plan(realize(l, e), actualOf(realize(l, e)));
      expect(p).toEqual({ ops: [], conflicts: [] });
      expect(plan(realize(l, e), { resources: realize(l, e) }, { previous: realize(l, e) })).toEqual({ ops: [], conflicts: [] });
    }
  });

  it("and from x to nothing removes only top-level things", () => {
    const res = realize(vlanLab(), env);
    const p = plan([], actualOf(res));
    // namespaces take their interfaces, addresses, files and veths with them; the bridge its ports
    expect(brief(p).sort()).toEqual(
      [
        "delete netns:tl.demo.red",
        "delete netns:tl.demo.green",
        "delete netns:tl.demo.dhcp-r",
        "delete netns:tl.demo.dhcp-g",
        "delete ovsBridge:demo-ovs1",
      ].sort(),
    );
    expect(p.conflicts).toEqual([]);
  });
});

describe("plan from nothing", () => {
  it.each([
    ["vlans and internal ports", vlanLab],
    ["router and routes", routedLab],
    ["bridge, patch, shaping", mixedLab],
    ["mininet tree,2,3", tree],
  ])("%s: creates every resource once, each after what it builds on", (_, make) => {
    const desired = realize(make(), env);
    const p = plan(desired, actualOf([]));
    expect(p.conflicts).toEqual([]);
    expect(p.ops.every((o) => o.action === "create")).toBe(true);
    expect(p.ops.map((o) => o.key).sort()).toEqual(desired.map((r) => r.key).sort());

    // ops come in kind order
    const kinds = p.ops.map((o) => KIND_ORDER.indexOf(o.kind));
    expect(kinds).toEqual([...kinds].sort((a, b) => a - b));

    // each op's commands run (by stage) no earlier than those of the resources it needs
    const at = new Map(p.ops.map((o, i) => [o.key, i]));
    const stages = (o: Op) => o.commands.map((c) => c.stage);
    for (const r of desired) {
      const o = p.ops[at.get(r.key)!]!;
      for (const dep of [...r.deps, ...(r.after ?? [])]) {
        const d = at.get(dep);
        if (d === undefined) continue;
        expect(d, `${dep} before ${r.key}`).toBeLessThan(at.get(r.key)!);
        if (o.commands.length && p.ops[d]!.commands.length) {
          expect(Math.max(...stages(p.ops[d]!)), `${dep} stages before ${r.key}`).toBeLessThanOrEqual(Math.min(...stages(o)));
        }
      }
    }
    // every create runs in a create stage
    for (const c of allCommands(p)) expect(c.stage).toBeGreaterThanOrEqual(Stage.netns);
  });

  it("red on VLAN 100 through OVS: the commands, in run order", () => {
    const l = lab([H("red", { interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } }), S("ovs1")], [{ endpoints: ["red", "ovs1"], vlan: 100 }]);
    const p = plan(realize(l, env), actualOf([]));
    const alias = "topolab:demo:link:ovs1:eth1|red:eth0";
    expect(allCommands(p).map(text)).toEqual([
      "ip netns add tl.demo.red",
      "ip link add name eth0 netns tl.demo.red type veth peer name demo-ovs1-eth1",
      `ip link set dev demo-ovs1-eth1 alias ${alias}`,
      // the switch's end is up before OVS takes it as a port
      `ip link set dev demo-ovs1-eth1 alias ${alias} mtu 1500 up`,
      "ovs-vsctl --may-exist add-br demo-ovs1",
      "ovs-vsctl set Bridge demo-ovs1 datapath_type=system stp_enable=false other_config:disable-in-band=true external_ids:topolab-lab=demo external_ids:topolab-node=ovs1",
      "ovs-vsctl --may-exist add-port demo-ovs1 demo-ovs1-eth1 tag=100",
      "ovs-vsctl set Port demo-ovs1-eth1 external_ids:topolab-lab=demo",
      "ip -n tl.demo.red link set dev lo up",
      `ip -n tl.demo.red link set dev eth0 alias ${alias} mtu 1500 up`,
      "ip -n tl.demo.red addr replace 10.0.0.1/24 dev eth0",
      "write /etc/netns/tl.demo.red/hosts",
    ]);
  });

  it("an internal port is added to OVS, then moved, then configured", () => {
    const l = lab([H("dr", { interfaces: { eth0: { addresses: ["10.50.50.2/24"] } } }), S("s1")], [{ endpoints: ["dr", "s1"], internal: true, vlan: 100 }]);
    const p = plan(realize(l, env), actualOf([]));
    const cmds = allCommands(p).map(text);
    expect(cmds).toEqual([
      "ip netns add tl.demo.dr",
      "ovs-vsctl --may-exist add-br demo-s1",
      "ovs-vsctl set Bridge demo-s1 datapath_type=system stp_enable=false other_config:disable-in-band=true external_ids:topolab-lab=demo external_ids:topolab-node=s1",
      "ovs-vsctl --may-exist add-port demo-s1 demo-dr-eth0 tag=100",
      "ovs-vsctl set Interface demo-dr-eth0 type=internal",
      "ovs-vsctl set Port demo-dr-eth0 external_ids:topolab-lab=demo",
      "ip link set dev demo-dr-eth0 netns tl.demo.dr",
      "ip -n tl.demo.dr link set dev lo up",
      "ip -n tl.demo.dr link property add dev demo-dr-eth0 altname eth0",
      "ip -n tl.demo.dr link set dev demo-dr-eth0 mtu 1500 up",
      "ip -n tl.demo.dr addr replace 10.50.50.2/24 dev demo-dr-eth0",
      "write /etc/netns/tl.demo.dr/hosts",
    ]);
  });

  it("patch ports, a Linux bridge, shaping and a router's sysctls", () => {
    const l = lab(
      [S("s1"), S("s2"), S("br", { type: "bridge" }), { name: "r", kind: "router" }, H("h")],
      [
        { endpoints: ["s1", "s2"], trunk: [10, 20] },
        { endpoints: ["r", "br"] },
        { endpoints: ["h", "r"], delay: "10ms", jitter: "1ms", loss: 2 },
        { endpoints: ["h", "s1"], bandwidth: 8 },
      ],
    );
    const cmds = allCommands(plan(realize(l, env), actualOf([]))).map(text);
    expect(cmds).toContain("ovs-vsctl --may-exist add-port demo-s1 demo-s1-eth1 trunks=10,20");
    expect(cmds).toContain("ovs-vsctl set Interface demo-s1-eth1 type=patch options:peer=demo-s2-eth1");
    expect(cmds).toContain("ovs-vsctl set Interface demo-s2-eth1 type=patch options:peer=demo-s1-eth1");
    expect(cmds).toContain("ip link add name demo-br type bridge stp_state 0");
    expect(cmds).toContain("ip link set dev demo-br alias topolab:demo:node:br up");
    expect(cmds).toContain("ip link set dev demo-br-eth1 master demo-br");
    expect(cmds).toContain("tc -n tl.demo.h qdisc replace dev eth0 root netem delay 10ms 1ms");
    expect(cmds).toContain("tc -n tl.demo.r qdisc replace dev eth1 root netem delay 10ms 1ms");
    // loss: an nftables rule on the first end only (no netem needed)
    expect(cmds.filter((c) => c.includes("numgen random mod 100 < 2 drop"))).toEqual([
      expect.stringMatching(/tl\.demo\.h.*table netdev tl_loss_eth0 \{ chain ingress \{ type filter hook ingress device "eth0"/),
    ]);
    expect(cmds).toContain("tc -n tl.demo.h qdisc replace dev eth1 root tbf rate 8000000bit burst 16000 latency 50ms");
    expect(cmds).toContain("tc qdisc replace dev demo-s1-eth2 root tbf rate 8000000bit burst 16000 latency 50ms");
    expect(cmds).toContain("[tl.demo.r] sysctl -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1");
    expect(cmds).toContain("ip link add name eth0 netns tl.demo.h type veth peer name eth1 netns tl.demo.r");
    // the bridge exists before its port is enslaved
    expect(cmds.indexOf("ip link add name demo-br type bridge stp_state 0")).toBeLessThan(cmds.indexOf("ip link set dev demo-br-eth1 master demo-br"));
    expect(cmds.indexOf("ip link set dev demo-br-eth1 alias topolab:demo:link:br:eth1|r:eth0 mtu 1500 up")).toBeLessThan(
      cmds.indexOf("ip link set dev demo-br-eth1 master demo-br"),
    );
  });
});

describe("plan from one lab to another", () => {
  const twoHosts = (extra: { redEth0?: Record<string, unknown>; vlan?: number; links?: unknown[]; nodes?: unknown[] } = {}) =>
    lab(
      [
        H("red", { interfaces: { eth0: { addresses: ["10.0.0.1/24"], ...extra.redEth0 } }, routes: [{ to: "default", via: "10.0.0.254" }] }),
        H("green", { interfaces: { eth0: { addresses: ["10.0.0.2/24"] } } }),
        S("ovs1"),
        ...(extra.nodes ?? []),
      ],
      [{ endpoints: ["red", "ovs1"], vlan: extra.vlan ?? 100 }, { endpoints: ["green", "ovs1"] }, ...(extra.links ?? [])],
    );

  const diff = (from: Lab, to: Lab, withNames = true) => plan(realize(to, env), actualOf(realize(from, env), withNames));

  it("removing a host removes its namespace and its OVS port; the rest goes with the namespace", () => {
    const from = lab([H("red"), H("green"), S("ovs1")], [{ endpoints: ["red", "ovs1"] }, { endpoints: ["green", "ovs1"] }]);
    const to = lab([H("red"), S("ovs1")], [{ endpoints: ["red", "ovs1"] }]);
    const p = diff(from, to);
    expect(brief(p)).toEqual(["delete ovsPort:demo-ovs1-eth2", "delete netns:tl.demo.green"]);
    expect(p.ops.map((o) => o.commands.map(text))).toEqual([
      ["ovs-vsctl --if-exists del-port demo-ovs1 demo-ovs1-eth2"],
      ["killns tl.demo.green", "ip netns del tl.demo.green", "remove /etc/netns/tl.demo.green"],
    ]);
    expect(p.ops[1]!.commands.map((c) => c.stage)).toEqual([Stage.delInside, Stage.delNetns, Stage.delNetns]);
    expect(p.ops[1]!.commands[1]!.missingOk).toBe(true);
    expect(p.ops[0]!.commands[0]!.stage).toBe(Stage.delOvs);
    expect(summarize(p)).toEqual({ create: 0, update: 0, delete: 2 });
  });

  it("removing a host with addresses also rewrites the other hosts' /etc/hosts", () => {
    const p = diff(
      twoHosts(),
      lab(
        [H("red", { interfaces: { eth0: { addresses: ["10.0.0.1/24"] } }, routes: [{ to: "default", via: "10.0.0.254" }] }), S("ovs1")],
        [{ endpoints: ["red", "ovs1"], vlan: 100 }],
      ),
    );
    expect(brief(p)).toEqual(["delete ovsPort:demo-ovs1-eth2", "delete netns:tl.demo.green", "update file:/etc/netns/tl.demo.red/hosts"]);
    expect(p.ops[2]!.commands).toEqual([
      {
        tool: "write",
        path: "/etc/netns/tl.demo.red/hosts",
        content:
          "# /etc/hosts of lab demo, written by topolab (edits are overwritten)\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.0.0.1\tred\n",
        stage: Stage.ovs,
      },
    ]);
  });

  it("removing a host on a Linux bridge removes only its namespace", () => {
    const from = lab([H("a"), H("b"), S("br", { type: "bridge" })], [{ endpoints: ["a", "br"] }, { endpoints: ["b", "br"] }]);
    const to = lab([H("a"), S("br", { type: "bridge" })], [{ endpoints: ["a", "br"] }]);
    expect(brief(diff(from, to))).toEqual(["delete netns:tl.demo.b"]);
  });

  it("removing a host-to-host link deletes the veth inside a namespace", () => {
    const from = lab([H("a"), H("b")], [{ endpoints: ["a", "b"] }]);
    const p = diff(from, lab([H("a"), H("b")]));
    expect(brief(p)).toEqual(["delete veth:a:eth0|b:eth0"]);
    expect(p.ops[0]!.commands).toEqual([{ tool: "ip", ns: "tl.demo.a", args: ["link", "del", "dev", "eth0"], stage: Stage.delInside, missingOk: true }]);
  });

  it("removing a switch deletes the bridge and the veths to it", () => {
    const from = lab([H("a"), S("s1")], [{ endpoints: ["a", "s1"] }]);
    const p = diff(from, lab([H("a")]));
    expect(brief(p)).toEqual(["delete ovsBridge:demo-s1", "delete veth:a:eth0|s1:eth1"]);
    expect(p.ops.map((o) => o.commands.map(text))).toEqual([["ovs-vsctl --if-exists del-br demo-s1"], ["ip link del dev demo-s1-eth1"]]);
    expect(p.ops[1]!.commands[0]).toMatchObject({ stage: Stage.delRoot, missingOk: true });
  });

  it("changing an address deletes and creates that address only (and the hosts files), and re-applies routes", () => {
    const p = diff(twoHosts(), twoHosts({ redEth0: { addresses: ["10.0.0.9/24"] } }));
    expect(brief(p)).toEqual([
      "delete addr:tl.demo.red/eth0/10.0.0.1/24",
      "create addr:tl.demo.red/eth0/10.0.0.9/24",
      "reapply route:tl.demo.red/0.0.0.0/0",
      "update file:/etc/netns/tl.demo.red/hosts",
      "update file:/etc/netns/tl.demo.green/hosts",
    ]);
    expect(p.ops[0]!.commands).toEqual([
      { tool: "ip", ns: "tl.demo.red", args: ["addr", "del", "10.0.0.1/24", "dev", "eth0"], stage: Stage.delInside, missingOk: true },
    ]);
    expect(p.ops[1]!.commands).toEqual([{ tool: "ip", ns: "tl.demo.red", args: ["addr", "replace", "10.0.0.9/24", "dev", "eth0"], stage: Stage.ovs }]);
    expect(p.ops[2]!.commands.map(text)).toEqual(["ip -n tl.demo.red route replace 0.0.0.0/0 via 10.0.0.254 proto static"]);
  });

  it("an IPv6 address is added without duplicate address detection", () => {
    const p = diff(twoHosts(), twoHosts({ redEth0: { addresses: ["10.0.0.1/24", "fd00::1/64"] } }));
    const create = p.ops.find((o) => o.key === "addr:tl.demo.red/eth0/fd00::1/64")!;
    expect(create.commands.map(text)).toEqual(["ip -n tl.demo.red addr replace fd00::1/64 dev eth0 nodad"]);
  });

  it("changing a VLAN tag is one update of the OVS port", () => {
    const p = diff(twoHosts(), twoHosts({ vlan: 200 }));
    expect(brief(p)).toEqual(["update ovsPort:demo-ovs1-eth1"]);
    expect(p.ops[0]!.commands).toEqual([
      { tool: "ovs-vsctl", args: ["set", "Port", "demo-ovs1-eth1", "tag=200"], stage: Stage.ovs },
      { tool: "ovs-vsctl", args: ["clear", "Port", "demo-ovs1-eth1", "trunks"], stage: Stage.ovs },
    ]);
    expect(summarize(p)).toEqual({ create: 0, update: 1, delete: 0 });
  });

  it("from access port to trunk and back", () => {
    const trunked = lab([H("a"), S("s1")], [{ endpoints: ["a", "s1"], trunk: [10, 20] }]);
    const access = lab([H("a"), S("s1")], [{ endpoints: ["a", "s1"], vlan: 10 }]);
    expect(diff(access, trunked).ops.map((o) => o.commands.map(text))).toEqual([
      ["ovs-vsctl clear Port demo-s1-eth1 tag", "ovs-vsctl set Port demo-s1-eth1 trunks=10,20"],
    ]);
    expect(diff(trunked, access).ops.map((o) => o.commands.map(text))).toEqual([
      ["ovs-vsctl set Port demo-s1-eth1 tag=10", "ovs-vsctl clear Port demo-s1-eth1 trunks"],
    ]);
  });

  it("changing mtu updates the interface (and the switch side that follows it)", () => {
    const p = diff(twoHosts(), twoHosts({ redEth0: { mtu: 9000 } }));
    expect(brief(p)).toEqual(["update iface:tl.demo.red/eth0", "update iface:root/demo-ovs1-eth1"]);
    expect(p.ops.map((o) => o.commands.map(text))).toEqual([
      ["ip -n tl.demo.red link set dev eth0 alias topolab:demo:link:ovs1:eth1|red:eth0 mtu 9000 up"],
      ["ip link set dev demo-ovs1-eth1 alias topolab:demo:link:ovs1:eth1|red:eth0 mtu 9000 up"],
    ]);
  });

  it("taking an interface down is one interface update", () => {
    const p = diff(twoHosts(), twoHosts({ redEth0: { up: false } }));
    expect(brief(p)).toEqual(["update iface:tl.demo.red/eth0"]);
    expect(p.ops[0]!.commands).toEqual([
      {
        tool: "ip",
        ns: "tl.demo.red",
        args: ["link", "set", "dev", "eth0", "alias", "topolab:demo:link:ovs1:eth1|red:eth0", "mtu", "1500", "down"],
        stage: Stage.ovs,
      },
    ]);
  });

  it("adding a link creates only that link's resources", () => {
    const p = diff(twoHosts(), twoHosts({ nodes: [H("blue")], links: [{ endpoints: ["blue", "ovs1"], vlan: 300 }] }));
    expect(brief(p)).toEqual([
      "create netns:tl.demo.blue",
      "create veth:blue:eth0|ovs1:eth3",
      "create ovsPort:demo-ovs1-eth3",
      "create iface:tl.demo.blue/lo",
      "create iface:tl.demo.blue/eth0",
      "create iface:root/demo-ovs1-eth3",
      "create file:/etc/netns/tl.demo.blue/hosts",
    ]);
    expect(p.conflicts).toEqual([]);
  });

  it("adding a link between existing nodes touches nothing else", () => {
    const p = diff(twoHosts(), twoHosts({ links: [{ endpoints: ["red", "green"] }] }));
    expect(brief(p)).toEqual(["create veth:green:eth1|red:eth1", "create iface:tl.demo.red/eth1", "create iface:tl.demo.green/eth1"]);
  });

  it("renaming an interface re-creates its veth, its addresses and what hangs off them", () => {
    const from = twoHosts();
    const to = lab(
      [
        H("red", { interfaces: { lan: { addresses: ["10.0.0.1/24"] } }, routes: [{ to: "default", via: "10.0.0.254" }] }),
        H("green", { interfaces: { eth0: { addresses: ["10.0.0.2/24"] } } }),
        S("ovs1"),
      ],
      [{ endpoints: ["red:lan", "ovs1"], vlan: 100 }, { endpoints: ["green", "ovs1"] }],
    );
    const p = diff(from, to);
    expect(brief(p)).toEqual([
      "delete veth:ovs1:eth1|red:eth0",
      "create veth:ovs1:eth1|red:lan",
      "reapply ovsPort:demo-ovs1-eth1",
      "create iface:tl.demo.red/lan",
      "create iface:root/demo-ovs1-eth1",
      "create addr:tl.demo.red/lan/10.0.0.1/24",
      "reapply route:tl.demo.red/0.0.0.0/0",
    ]);
    // the root-side name is freed by the delete in the same plan: not a conflict
    expect(p.conflicts).toEqual([]);
    expect(p.ops[0]!.commands).toEqual([{ tool: "ip", ns: null, args: ["link", "del", "dev", "demo-ovs1-eth1"], stage: Stage.delRoot, missingOk: true }]);
    expect(p.ops[2]!.commands.map(text)).toEqual([
      "ovs-vsctl --if-exists del-port demo-ovs1 demo-ovs1-eth1",
      "ovs-vsctl --may-exist add-port demo-ovs1 demo-ovs1-eth1 tag=100",
      "ovs-vsctl set Port demo-ovs1-eth1 external_ids:topolab-lab=demo",
    ]);
    // del-port and add-port in two transactions: in one, ovs-vswitchd keeps the old device open
    expect(p.ops[2]!.commands.map((c) => c.stage)).toEqual([Stage.delOvs, Stage.ovs, Stage.ovs]);
  });

  it("moving a link to another switch port re-creates the veth without a conflict", () => {
    const from = lab([H("a"), S("s1")], [{ endpoints: ["a", "s1:eth1"] }]);
    const to = lab([H("a"), S("s1")], [{ endpoints: ["a", "s1:eth2"] }]);
    const p = diff(from, to);
    expect(p.conflicts).toEqual([]);
    expect(brief(p)).toEqual([
      "delete ovsPort:demo-s1-eth1",
      "delete veth:a:eth0|s1:eth1",
      "create veth:a:eth0|s1:eth2",
      "create ovsPort:demo-s1-eth2",
      "create iface:tl.demo.a/eth0",
      "create iface:root/demo-s1-eth2",
    ]);
  });

  it("an interface setting that cannot change in place is re-created: an OVS bridge's datapath", () => {
    const l = lab([S("s1")]);
    const p = plan(realize(l, { tag: "demo", ovsDatapath: "netdev" }), actualOf(realize(l, env)));
    expect(brief(p)).toEqual(["delete ovsBridge:demo-s1", "create ovsBridge:demo-s1"]);
  });

  it("deletes run before creates, in delete stages", () => {
    const p = diff(mixedLab(), twoHosts());
    const cmds = allCommands(p);
    const firstCreate = cmds.findIndex((c) => c.stage >= Stage.netns);
    expect(firstCreate).toBeGreaterThan(0);
    expect(cmds.slice(0, firstCreate).every((c) => c.stage <= Stage.delNetns)).toBe(true);
    expect(cmds.slice(firstCreate).every((c) => c.stage >= Stage.netns)).toBe(true);
    for (const o of p.ops) {
      for (const c of o.commands) {
        if (o.action === "delete") expect(c.stage).toBeLessThanOrEqual(Stage.delNetns);
        else expect(c.stage).toBeGreaterThanOrEqual(Stage.netns);
      }
    }
    // every delete op comes before every create op
    const lastDelete = p.ops.map((o) => o.action).lastIndexOf("delete");
    const firstCreateOp = p.ops.findIndex((o) => o.action !== "delete");
    expect(lastDelete).toBeLessThan(firstCreateOp);
  });

  it("deletes of kernel objects that may be gone already are marked missingOk", () => {
    const l = lab(
      [
        H("a", { interfaces: { eth0: { addresses: ["10.0.0.1/24"] } }, routes: [{ to: "10.9.0.0/16", via: "10.0.0.254" }] }),
        { name: "r", kind: "router" },
        S("s1"),
        S("br", { type: "bridge" }),
      ],
      [{ endpoints: ["a", "s1"], delay: "1ms" }, { endpoints: ["r", "br"] }, { endpoints: ["a", "r"] }],
    );
    const res = realize(l, env);
    // only the leaves, so that each is deleted on its own rather than with what holds it
    const leaves = res.filter((r) => !["netns", "iface", "ovsBridge", "lbridge"].includes(r.kind));
    const p = plan([], { resources: leaves });
    expect(p.ops.flatMap((o) => o.commands).map((c) => `${c.missingOk ? "ok-if-missing " : ""}${text(c)}`)).toEqual([
      // deletes go in reverse creation order
      "remove /etc/netns/tl.demo.r/hosts",
      "remove /etc/netns/tl.demo.a/hosts",
      "[tl.demo.r] sysctl -q -w net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0",
      "ok-if-missing tc qdisc del dev demo-s1-eth1 root",
      "ok-if-missing tc -n tl.demo.a qdisc del dev eth0 root",
      "ok-if-missing ip -n tl.demo.a route del 10.9.0.0/16 via 10.0.0.254 proto static",
      "ok-if-missing ip -n tl.demo.a addr del 10.0.0.1/24 dev eth0",
      "ok-if-missing ip link set dev demo-br-eth1 nomaster",
      "ovs-vsctl --if-exists del-port demo-s1 demo-s1-eth1",
      "ok-if-missing ip -n tl.demo.a link del dev eth1",
      "ok-if-missing ip link del dev demo-br-eth1",
      "ok-if-missing ip link del dev demo-s1-eth1",
    ]);
    // and the containers themselves
    const tops = plan([], { resources: res.filter((r) => ["netns", "ovsBridge", "lbridge"].includes(r.kind)) });
    expect(tops.ops.flatMap((o) => o.commands).map((c) => `${c.missingOk ? "ok-if-missing " : ""}${text(c)}`)).toEqual([
      "ovs-vsctl --if-exists del-br demo-s1",
      "ok-if-missing ip link del dev demo-br",
      "killns tl.demo.r",
      "ok-if-missing ip netns del tl.demo.r",
      "remove /etc/netns/tl.demo.r",
      "killns tl.demo.a",
      "ok-if-missing ip netns del tl.demo.a",
      "remove /etc/netns/tl.demo.a",
    ]);
    for (const o of [...p.ops, ...tops.ops]) expect(o.action).toBe("delete");
  });
});

describe("previous: addresses added by hand", () => {
  const l = () => lab([H("h1", { interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } }), S("s1")], [{ endpoints: ["h1", "s1"] }]);
  const handAdded: Resource = {
    kind: "addr",
    key: "addr:tl.demo.h1/eth0/192.168.1.1/24",
    deps: ["iface:tl.demo.h1/eth0"],
    ns: "tl.demo.h1",
    dev: "eth0",
    cidr: "192.168.1.1/24",
  };

  it("without previous, an address the lab does not have is removed", () => {
    const res = realize(l(), env);
    const p = plan(res, { resources: [...res, handAdded] });
    expect(brief(p)).toEqual(["delete addr:tl.demo.h1/eth0/192.168.1.1/24"]);
  });

  it("with previous, an address topolab did not put there is kept", () => {
    const res = realize(l(), env);
    expect(plan(res, { resources: [...res, handAdded] }, { previous: res })).toEqual({ ops: [], conflicts: [] });
  });

  it("with previous, an address topolab put there and the lab dropped is removed", () => {
    const before = realize(l(), env);
    const after = realize(lab([H("h1", { interfaces: { eth0: { addresses: ["10.0.0.5/24"] } } }), S("s1")], [{ endpoints: ["h1", "s1"] }]), env);
    const p = plan(after, { resources: [...before, handAdded] }, { previous: before });
    expect(brief(p).filter((b) => b.includes("addr:"))).toEqual(["delete addr:tl.demo.h1/eth0/10.0.0.1/24", "create addr:tl.demo.h1/eth0/10.0.0.5/24"]);
  });
});

describe("names in the way", () => {
  const l = () => lab([H("h1"), S("s1")], [{ endpoints: ["h1", "s1"] }]);

  it("a leftover interface inside a lab namespace is deleted first", () => {
    const res = realize(l(), env);
    const actual: ActualState = {
      resources: res.filter((r) => r.kind === "netns" || r.kind === "ovsBridge"),
      names: new Map([
        ["tl.demo.h1", new Set(["lo", "eth0"])],
        ["root", new Set(["demo-s1"])],
      ]),
    };
    const p = plan(res, actual);
    expect(p.conflicts).toEqual([]);
    const stale = p.ops.find((o) => o.key === "stale-interfaces")!;
    expect(stale).toEqual({
      action: "delete",
      kind: "iface",
      key: "stale-interfaces",
      summary: "delete leftover interfaces tl.demo.h1:eth0",
      commands: [{ tool: "ip", ns: "tl.demo.h1", args: ["link", "del", "dev", "eth0"], stage: Stage.delInside, missingOk: true }],
    });
    expect(p.ops.indexOf(stale)).toBeLessThan(p.ops.findIndex((o) => o.action === "create"));
  });

  it("a name someone else uses in the root namespace is a conflict, and is not touched", () => {
    const res = realize(l(), env);
    const p = plan(res, { resources: [], names: new Map([["root", new Set(["demo-s1-eth1", "eth0"])]]) });
    expect(p.conflicts).toEqual(["demo-s1-eth1"]);
    expect(p.ops.flatMap((o) => o.commands).some((c) => c.tool === "ip" && c.args.includes("del"))).toBe(false);
  });

  it("a bridge name in use by someone else is a conflict", () => {
    const res = realize(l(), env);
    expect(plan(res, { resources: [], names: new Map([["root", new Set(["demo-s1"])]]) }).conflicts).toEqual(["demo-s1"]);
  });

  it("names of the lab's own objects are not in the way", () => {
    const res = realize(l(), env);
    expect(plan(res, actualOf(res))).toEqual({ ops: [], conflicts: [] });
  });

  it("a namespace removed in the same plan needs no cleaning inside", () => {
    const res = realize(l(), env);
    // names reported inside a namespace that stays: the leftover is deleted
    const p = plan(res, { resources: [], names: new Map([["tl.demo.h1", new Set(["eth0"])]]) });
    expect(p.ops.some((o) => o.key === "stale-interfaces")).toBe(true);
    // the namespace goes (with what it is built on) and is made anew: whatever was inside goes with it
    const gone = plan(res, {
      resources: [
        { kind: "netns", key: "netns:tl.demo.h1", deps: ["x"], ns: "tl.demo.h1", node: "h1" },
        { kind: "netns", key: "x", deps: [], ns: "x", node: "x" },
      ],
      names: new Map([["tl.demo.h1", new Set(["eth0"])]]),
    });
    expect(gone.ops.some((o) => o.key === "stale-interfaces")).toBe(false);
  });
});

describe("sameResource", () => {
  it("compares what matters, and treats undefined desired fields as any", () => {
    const iface: Resource = { kind: "iface", key: "k", deps: [], ns: "n", name: "eth0", up: true };
    expect(sameResource(iface, { ...iface, mtu: 1400, mac: "02:00:00:00:00:01", alias: "x" })).toBe(true);
    expect(sameResource({ ...iface, mtu: 1500 }, { ...iface, mtu: 1400 })).toBe(false);
    expect(sameResource(iface, { ...iface, up: false })).toBe(false);
    const q: Resource = { kind: "qdisc", key: "q", deps: [], ns: null, dev: "x", rate: 1_000_000, delay: 10 };
    expect(sameResource(q, { ...q, rate: 1_005_000, delay: 10.05 })).toBe(true);
    expect(sameResource(q, { ...q, rate: 1_100_000 })).toBe(false);
    expect(sameResource(q, { ...q, loss: 1 })).toBe(false);
    const veth: Resource = {
      kind: "veth",
      key: "v",
      deps: [],
      link: "l",
      alias: "a",
      ends: [
        { ns: "n", name: "eth0" },
        { ns: null, name: "x" },
      ],
    };
    expect(
      sameResource(veth, {
        ...veth,
        ends: [
          { ns: null, name: "x" },
          { ns: "n", name: "eth0" },
        ],
      }),
    ).toBe(true);
    expect(
      sameResource(veth, {
        ...veth,
        ends: [
          { ns: "m", name: "eth0" },
          { ns: null, name: "x" },
        ],
      }),
    ).toBe(false);
    const route: Resource = { kind: "route", key: "r", deps: [], ns: "n", to: "0.0.0.0/0", via: "10.0.0.1" };
    expect(sameResource(route, { ...route, dev: "eth0", metric: 0 })).toBe(true);
    expect(sameResource(route, { ...route, via: "10.0.0.2" })).toBe(false);
  });

  it("a changed route is replaced in place", () => {
    const before = lab(
      [H("h1", { interfaces: { eth0: { addresses: ["10.0.0.1/24"] } }, routes: [{ to: "default", via: "10.0.0.254" }] }), S("s1")],
      [{ endpoints: ["h1", "s1"] }],
    );
    const after = lab(
      [H("h1", { interfaces: { eth0: { addresses: ["10.0.0.1/24"] } }, routes: [{ to: "default", via: "10.0.0.253" }] }), S("s1")],
      [{ endpoints: ["h1", "s1"] }],
    );
    const p = plan(realize(after, env), actualOf(realize(before, env)));
    expect(brief(p)).toEqual(["update route:tl.demo.h1/0.0.0.0/0"]);
    expect(p.ops[0]!.commands).toEqual([
      { tool: "ip", ns: "tl.demo.h1", args: ["route", "del", "0.0.0.0/0", "via", "10.0.0.254", "proto", "static"], stage: Stage.ovs, missingOk: true },
      { tool: "ip", ns: "tl.demo.h1", args: ["route", "replace", "0.0.0.0/0", "via", "10.0.0.253", "proto", "static"], stage: Stage.ovs },
    ]);
  });
});

describe("internal ports and their namespace", () => {
  it("makes the internal port again when its namespace is gone (its tap went with it)", () => {
    const desired = realize(vlanLab(), env);
    const ns = "tl.demo.dhcp-r";
    // the namespace was removed behind topolab's back: everything in it is gone, the OVS row stays
    const actual = desired.filter((r) => !("ns" in r && r.ns === ns) && r.key !== `netns:${ns}`);
    const p = plan(desired, { resources: actual });
    const moved = desired.find((r) => r.kind === "iface" && r.ns === ns && r.moveFromRoot)!;
    const port = desired.find((r) => r.kind === "ovsPort" && r.name === (moved as { name: string }).name)!;
    const reapply = p.ops.find((o) => o.key === port.key)!;
    expect(reapply.action).toBe("reapply");
    expect(reapply.commands.map((c) => (c.tool === "ovs-vsctl" ? c.args.slice(0, 2).join(" ") : c.tool))).toEqual([
      "--if-exists del-port",
      "--may-exist add-port",
      "set Interface",
      "set Port",
    ]);
    // and the port is moved into the new namespace after it exists
    const move = p.ops.find((o) => o.key === moved.key)!;
    expect(move.commands[0]).toMatchObject({
      tool: "ip",
      ns: null,
      args: ["link", "set", "dev", port.kind === "ovsPort" ? port.name : "", "netns", ns],
      stage: Stage.move,
    });
  });
});

describe("stages", () => {
  it("configures interfaces while OVS works, unless an internal port must move into a namespace first", () => {
    const plain = plan(realize(routedLab(), env), { resources: [] });
    const stages = new Set(plain.ops.flatMap((o) => o.commands.map((c) => c.stage)));
    expect(stages.has(Stage.configure)).toBe(false);
    expect(stages.has(Stage.extras)).toBe(false);
    const withMove = plan(realize(vlanLab(), env), { resources: [] });
    const all = allCommands(withMove);
    const move = all.find((c) => c.stage === Stage.move)!;
    expect(move).toBeDefined();
    // the moved port's addresses come after the move
    const addr = all.find((c) => c.tool === "ip" && c.args[0] === "addr" && c.ns === "tl.demo.dhcp-r")!;
    expect(addr.stage).toBe(Stage.configure);
    expect(addr.stage).toBeGreaterThan(move.stage);
  });
});

describe("a big bring-up: the namespaces and OVS first, then the root ends' carrier (carrierLast)", () => {
  const star = (hosts: number) => parseLab(topoLab({ kind: "single", args: [hosts] }, "demo"));
  const stageOf = (p: Plan, pred: (c: Command) => boolean) => [
    ...new Set(
      allCommands(p)
        .filter(pred)
        .map((c) => c.stage),
    ),
  ];
  const isUp = (c: Command, ns: string | null) => c.tool === "ip" && c.ns === ns && c.args[0] === "link" && c.args.at(-1) === "up";

  it(`orders a star of ${CARRIER_LAST_FROM} hosts so: no root end comes up before every namespace is configured and OVS has its ports`, () => {
    const p = plan(realize(star(CARRIER_LAST_FROM), env), { resources: [] });
    const all = allCommands(p);
    // every namespace command (ends up, addresses, routes) in the inside stage
    expect(stageOf(p, (c) => c.tool === "ip" && c.ns !== null)).toEqual([Stage.inside]);
    // the root-side ends: made and marked in the root batch, still down; up in the carrier stage
    const rootEnds = all.filter(
      (c): c is Extract<Command, { tool: "ip" }> & { op: number } => c.tool === "ip" && c.ns === null && c.args[0] === "link" && c.args[1] === "set",
    );
    const ups = rootEnds.filter((c) => c.args.at(-1) === "up");
    expect(ups.length).toBe(CARRIER_LAST_FROM);
    for (const c of ups) expect(c).toMatchObject({ stage: Stage.carrier, args: ["link", "set", "dev", expect.stringMatching(/^demo-s1-eth\d+$/), "up"] });
    for (const c of rootEnds.filter((c) => !ups.includes(c))) {
      expect(c.stage).toBe(Stage.rootLinks);
      expect(c.args).not.toContain("up");
    }
    // OVS adds the ports while the namespaces are configured, before the root ends come up
    expect(stageOf(p, (c) => c.tool === "ovs-vsctl")).toEqual([Stage.inside]);
    expect(Stage.rootLinks < Stage.inside && Stage.inside < Stage.carrier).toBe(true);
    // the hosts files and the root ports' IPv6 switch are written while the namespaces are configured
    expect(stageOf(p, (c) => c.tool === "write")).toEqual([Stage.inside]);
    // nothing is lost or added: the resources' own commands, only each root end's "up" split off its line
    const norm = (cs: Command[]) =>
      cs
        .map((c) => text(c).replace(/ up$/, ""))
        .filter((l) => !/^ip link set dev demo-s1-eth\d+$/.test(l))
        .sort();
    const resources = realize(star(CARRIER_LAST_FROM), env);
    expect(norm(all)).toEqual(norm(resources.flatMap((r) => createCommands(r))));
  });

  it("leaves an edit (fewer namespaces) in the overlapped order: OVS works while the namespaces are configured", () => {
    const p = plan(realize(star(CARRIER_LAST_FROM - 1), env), { resources: [] });
    expect(stageOf(p, (c) => c.tool === "ip" && c.ns !== null)).toEqual([Stage.ovs]);
    expect(stageOf(p, (c) => isUp(c, null) && c.tool === "ip" && c.args[3]!.startsWith("demo-s1-"))).toEqual([Stage.rootLinks]);
    expect(stageOf(p, (c) => c.stage === Stage.inside || c.stage === Stage.carrier)).toEqual([]);
  });

  it("keeps the internal ports' order (moved into their namespace after OVS made them), however many namespaces", () => {
    const nodes = [...Array.from({ length: CARRIER_LAST_FROM }, (_, i) => H(`h${i + 1}`)), H("d"), S("ovs1")];
    const links = [
      ...Array.from({ length: CARRIER_LAST_FROM }, (_, i) => ({ endpoints: [`h${i + 1}`, "ovs1"] })),
      { endpoints: ["d", "ovs1"], internal: true },
    ];
    const p = plan(realize(lab(nodes, links), env), { resources: [] });
    expect(stageOf(p, (c) => c.stage === Stage.inside || c.stage === Stage.carrier)).toEqual([]);
    expect(stageOf(p, (c) => c.tool === "ip" && c.ns === "tl.demo.h1")).toEqual([Stage.configure]);
  });
});

describe("stale OVS ports (the kernel device is not the one OVS has open)", () => {
  const desired = () => realize(vlanLab(), env);
  const portName = "demo-ovs1-eth1";

  it("makes a stale port again: del-port with the deletes, add-port in the later OVS transaction", () => {
    const d = desired();
    const port = d.find((r) => r.kind === "ovsPort" && r.name === portName)!;
    const p = plan(d, { ...actualOf(d), stale: new Map([[port.key, "not promiscuous"]]) });
    expect(brief(p)).toEqual([`reapply ${port.key}`]);
    expect(p.ops[0]!.summary).toBe(`reapply OVS port ${portName} on demo-ovs1 (not promiscuous)`);
    expect(p.ops[0]!.commands.map((c) => [c.stage, text(c)])).toEqual([
      [Stage.delOvs, `ovs-vsctl --if-exists del-port demo-ovs1 ${portName}`],
      [Stage.ovs, `ovs-vsctl --may-exist add-port demo-ovs1 ${portName} tag=100`],
      [Stage.ovs, `ovs-vsctl set Port ${portName} external_ids:topolab-lab=demo`],
    ]);
    expect(p.conflicts).toEqual([]);
  });

  it("a stale port that also differs is made again as desired, once", () => {
    const d = desired();
    const port = d.find((r) => r.kind === "ovsPort" && r.name === portName)!;
    const a = d.map((r) => (r.key === port.key ? { ...r, tag: 300 } : r)) as Resource[];
    const p = plan(d, { ...actualOf(a), stale: new Map([[port.key, "gone"]]) });
    expect(brief(p)).toEqual([`reapply ${port.key}`]);
    expect(p.ops[0]!.commands.map(text)).toContain(`ovs-vsctl --may-exist add-port demo-ovs1 ${portName} tag=100`);
  });

  it("staleness of a port the document no longer has, or of another kind, changes nothing more", () => {
    const d = desired();
    const p = plan(d, {
      ...actualOf(d),
      stale: new Map([
        ["netns:tl.demo.red", "?"],
        ["ovsPort:other", "?"],
      ]),
    });
    expect(p.ops).toEqual([]);
  });
});
