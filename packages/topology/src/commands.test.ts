import { describe, expect, it } from "vitest";
import { createCommands, deleteCommands, ipv6OffPath, Stage, updateCommands, type Command } from "./commands";
import { commandToShell } from "./script";
import { plan } from "./plan";
import { realize } from "./realize";
import { parseLab } from "./validate";
import type { Resource } from "./resources";

const args = (cs: Command[] | null) =>
  cs?.map((c) => {
    if (c.tool === "ip" || c.tool === "tc") return [c.tool, c.ns ?? "-", ...c.args].join(" ");
    if (c.tool === "ovs-vsctl") return ["ovs-vsctl", ...c.args].join(" ");
    if (c.tool === "exec") return [`exec@${c.ns ?? "-"}`, ...c.argv].join(" ");
    return c.tool;
  }) ?? null;

describe("qdiscs", () => {
  const q = (extra: Partial<Extract<Resource, { kind: "qdisc" }>>): Resource => ({ kind: "qdisc", key: "q", deps: [], ns: "n", dev: "eth0", ...extra });

  it("netem for delay, jitter and loss, with a rate when there is one", () => {
    expect(args(createCommands(q({ delay: 10, jitter: 2, loss: 0.5, rate: 1_000_000 })))).toEqual([
      "tc n qdisc replace dev eth0 root netem delay 10ms 2ms loss 0.5% rate 1000000bit",
    ]);
    expect(args(createCommands(q({ loss: 3 })))).toEqual(["tc n qdisc replace dev eth0 root netem loss 3%"]);
  });

  it("tbf for a rate alone, with a burst of at least 16000 bytes and enough for a 100 Hz timer", () => {
    expect(args(createCommands(q({ rate: 500_000 })))).toEqual(["tc n qdisc replace dev eth0 root tbf rate 500000bit burst 16000 latency 50ms"]);
    expect(args(createCommands(q({ rate: 1_000_000_000 })))).toEqual(["tc n qdisc replace dev eth0 root tbf rate 1000000000bit burst 1250000 latency 50ms"]);
  });

  it("a changed qdisc is replaced in place; a removed one deleted (ok if gone)", () => {
    expect(args(updateCommands(q({ rate: 2_000_000 }), q({ rate: 1_000_000 })))).toEqual([
      "tc n qdisc replace dev eth0 root tbf rate 2000000bit burst 16000 latency 50ms",
    ]);
    expect(deleteCommands(q({ rate: 1 }))).toEqual([
      { tool: "tc", ns: "n", args: ["qdisc", "del", "dev", "eth0", "root"], stage: Stage.delInside, missingOk: true },
    ]);
  });
});

describe("updates in place", () => {
  it("Linux bridge STP", () => {
    const br: Resource = { kind: "lbridge", key: "lbridge:b", deps: [], name: "b", node: "b", alias: "a", stp: true };
    expect(args(updateCommands(br, { ...br, stp: false }))).toEqual(["ip - link set dev b type bridge stp_state 1"]);
  });

  it("OVS bridge STP in place, datapath by re-creation", () => {
    const br: Resource = { kind: "ovsBridge", key: "ovsBridge:b", deps: [], lab: "l", name: "b", node: "b", datapath: "system", stp: true };
    expect(args(updateCommands(br, { ...br, stp: false }))).toEqual(["ovs-vsctl set Bridge b stp_enable=true"]);
    expect(updateCommands(br, { ...br, datapath: "netdev" })).toBeNull();
  });

  it("OVS ports: VLANs in place; type, bridge or peer by re-creation", () => {
    const port: Resource = { kind: "ovsPort", key: "ovsPort:p", deps: [], lab: "l", bridge: "b", name: "p", type: "patch", peer: "q", trunks: [1, 2] };
    expect(args(updateCommands(port, { ...port, trunks: [1] }))).toEqual(["ovs-vsctl clear Port p tag", "ovs-vsctl set Port p trunks=1,2"]);
    expect(updateCommands(port, { ...port, peer: "r" })).toBeNull();
    expect(updateCommands(port, { ...port, bridge: "c" })).toBeNull();
    expect(updateCommands(port, { ...port, type: "system" })).toBeNull();
  });

  it("sysctls, bridge ports and files are simply applied again", () => {
    const s: Resource = { kind: "sysctl", key: "s", deps: [], ns: "n", values: { "net.ipv4.ip_forward": "1" } };
    expect(args(updateCommands(s, { ...s, values: { "net.ipv4.ip_forward": "0" } }))).toEqual(["exec@n sysctl -q -w net.ipv4.ip_forward=1"]);
    const bp: Resource = { kind: "bport", key: "bp", deps: [], bridge: "b2", name: "x" };
    expect(args(updateCommands(bp, { ...bp, bridge: "b1" }))).toEqual(["ip - link set dev x master b2"]);
    const f: Resource = { kind: "file", key: "f", deps: [], ns: "n", path: "/etc/netns/n/hosts", content: "new" };
    expect(updateCommands(f, { ...f, content: "old" })).toEqual([{ tool: "write", path: "/etc/netns/n/hosts", content: "new", stage: Stage.extras }]);
  });

  it("namespaces, veths and addresses cannot change in place", () => {
    const ns: Resource = { kind: "netns", key: "netns:n", deps: [], ns: "n", node: "n" };
    expect(updateCommands(ns, ns)).toBeNull();
    const a: Resource = { kind: "addr", key: "a", deps: [], ns: "n", dev: "eth0", cidr: "10.0.0.1/24" };
    expect(updateCommands(a, a)).toBeNull();
  });
});

describe("whole-plan updates", () => {
  const mk = (stp: boolean, type: "ovs" | "bridge", router: boolean) =>
    realize(
      parseLab({
        name: "demo",
        nodes: [
          { name: "s", kind: "switch", type, stp },
          { name: "h", kind: router ? "router" : "host" },
        ],
        links: [{ endpoints: ["h", "s"] }],
      }),
      { tag: "demo", ovsDatapath: "system" },
    );

  it("turning STP on is one update", () => {
    for (const type of ["ovs", "bridge"] as const) {
      const p = plan(mk(true, type, false), { resources: mk(false, type, false) });
      expect(p.ops.map((o) => `${o.action} ${o.key}`)).toEqual([`update ${type === "ovs" ? "ovsBridge" : "lbridge"}:demo-s`]);
    }
  });

  it("a router becoming a host turns forwarding off; a host becoming a router turns it on", () => {
    const down = plan(mk(false, "ovs", false), { resources: mk(false, "ovs", true) });
    expect(down.ops.map((o) => [o.action, o.key, args(o.commands)])).toEqual([
      ["delete", "sysctl:tl.demo.h", ["exec@tl.demo.h sysctl -q -w net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0"]],
    ]);
    expect(down.ops[0]!.commands[0]!.stage).toBe(Stage.delInside);
    const up = plan(mk(false, "ovs", true), { resources: mk(false, "ovs", false) });
    expect(up.ops.map((o) => [o.action, o.key, args(o.commands)])).toEqual([
      ["create", "sysctl:tl.demo.h", ["exec@tl.demo.h sysctl -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1"]],
    ]);
  });

  it("switching an OVS switch to a Linux bridge swaps the bridge and its ports", () => {
    // with the kernel's names: the bridge's own name is freed by del-br first, so it is no conflict
    const names = new Map([
      ["root", new Set(["demo-s", "demo-s-eth1"])],
      ["tl.demo.h", new Set(["lo", "eth0"])],
    ]);
    const p = plan(mk(false, "bridge", false), { resources: mk(false, "ovs", false), names });
    expect(p.ops.map((o) => `${o.action} ${o.key}`)).toEqual(["delete ovsBridge:demo-s", "create lbridge:demo-s", "create bport:demo-s-eth1"]);
    expect(p.conflicts).toEqual([]);
  });
});

describe("switch ports without IPv6 in the root namespace (rootIpv6Off)", () => {
  const doc = (type: "ovs" | "bridge") =>
    parseLab({
      name: "demo",
      nodes: [
        { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } },
        { name: "s1", kind: "switch", type },
      ],
      links: [{ endpoints: ["h1", "s1"] }],
    });
  const flat = (type: "ovs" | "bridge", rootIpv6Off: boolean) =>
    plan(realize(doc(type), { tag: "demo", ovsDatapath: "netdev", rootIpv6Off }), { resources: [] }).ops;

  it("a switch's root-side port gets no link-local address before it comes up, then IPv6 off by its own sysctl", () => {
    for (const type of ["ovs", "bridge"] as const) {
      const cmds = flat(type, true).flatMap((o) => o.commands);
      const root = cmds.filter((c) => c.tool === "ip" && c.ns === null).map((c) => (c as { args: string[] }).args.join(" "));
      const none = root.indexOf("link set dev demo-s1-eth1 addrgenmode none");
      const up = root.findIndex((a) => a.startsWith("link set dev demo-s1-eth1 ") && a.endsWith(" up"));
      expect(none).toBeGreaterThan(root.findIndex((a) => a.startsWith("link add name demo-s1-eth1 ")));
      expect(up).toBeGreaterThan(none);
      const writes = cmds.filter((c) => c.tool === "write" && c.path.startsWith("/proc/"));
      const expected = ["/proc/sys/net/ipv6/conf/demo-s1-eth1/disable_ipv6", ...(type === "bridge" ? ["/proc/sys/net/ipv6/conf/demo-s1/disable_ipv6"] : [])];
      expect(writes.map((w) => (w as { path: string }).path).sort()).toEqual(expected.sort());
      // after the batch that made the devices
      for (const w of writes) expect(w.stage).toBeGreaterThan(Stage.rootLinks);
      // the host's own end keeps IPv6: the lab's addresses are the person's
      expect(cmds.some((c) => c.tool === "ip" && c.ns !== null && c.args.includes("addrgenmode"))).toBe(false);
    }
  });

  it("a Linux bridge gets no link-local address before it comes up", () => {
    const root = flat("bridge", true)
      .flatMap((o) => o.commands)
      .filter((c) => c.tool === "ip" && c.ns === null)
      .map((c) => (c as { args: string[] }).args.join(" "));
    const add = root.findIndex((a) => a.startsWith("link add name demo-s1 type bridge"));
    const none = root.indexOf("link set dev demo-s1 addrgenmode none");
    const up = root.findIndex((a) => a.startsWith("link set dev demo-s1 alias ") && a.endsWith(" up"));
    expect(add).toBeGreaterThanOrEqual(0);
    expect(none).toBeGreaterThan(add);
    expect(up).toBeGreaterThan(none);
  });

  it("without it (a kernel without IPv6) nothing of the kind is run", () => {
    for (const type of ["ovs", "bridge"] as const) {
      const cmds = flat(type, false).flatMap((o) => o.commands);
      expect(cmds.filter((c) => (c.tool === "ip" && c.args.includes("addrgenmode")) || c.tool === "write").map((c) => c.tool)).toEqual(["write"]);
      expect(cmds.some((c) => c.tool === "write" && c.path.startsWith("/proc/"))).toBe(false);
    }
  });

  it("the exported script says it as a sysctl of that one interface", () => {
    const w = flat("ovs", true)
      .flatMap((o) => o.commands)
      .find((c) => c.tool === "write" && c.path.startsWith("/proc/"))!;
    expect(commandToShell(w)).toBe("sysctl -qw net.ipv6.conf.demo-s1-eth1.disable_ipv6=1");
    expect(commandToShell({ tool: "write", path: ipv6OffPath("a.b"), content: "1\n", stage: Stage.ovs })).toBe("sysctl -qw net/ipv6/conf/a.b/disable_ipv6=1");
  });
});
