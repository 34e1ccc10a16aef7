import { describe, expect, it } from "vitest";
import { parseLab, plan, realize, topoLab } from "@topolab/topology";
import { ownedPath, ovsTransactionOrder } from "./executor";

describe("the files the executor may write", () => {
  it("its namespaces' /etc/netns files, and the IPv6 switch of one root-side interface", () => {
    expect(ownedPath("/etc/netns/tl.demo.h1/hosts")).toBe(true);
    expect(ownedPath("/proc/sys/net/ipv6/conf/demo-s1-eth1/disable_ipv6")).toBe(true);
    expect(ownedPath("/proc/sys/net/ipv6/conf/a.b/disable_ipv6")).toBe(true);
  });

  it("never a machine-wide sysctl, another sysctl of an interface, or a path that climbs out", () => {
    for (const p of [
      "/proc/sys/net/ipv6/conf/all/disable_ipv6",
      "/proc/sys/net/ipv6/conf/default/disable_ipv6",
      "/proc/sys/net/ipv6/conf/lo/disable_ipv6",
      "/proc/sys/net/ipv6/conf/../disable_ipv6",
      "/proc/sys/net/ipv6/conf/demo-s1-eth1/forwarding",
      "/proc/sys/net/ipv4/ip_forward",
      "/proc/sys/net/ipv6/conf/name-longer-than-15/disable_ipv6",
      "/proc/sys/net/ipv6/conf/a/b/disable_ipv6",
      "/etc/netns/tl.demo.h1/../../passwd",
      "/etc/hosts",
    ])
      expect(ownedPath(p), p).toBe(false);
  });
});

describe("the order of an OVS transaction's sub-commands", () => {
  // a chain of OVS switches (patch ports between them): the plan's own commands
  const lab = parseLab(topoLab({ kind: "linear", args: [4] }, "ord"));
  const ops = plan(realize(lab, { tag: "ord", ovsDatapath: "netdev" }), { resources: [] }).ops;
  const subcommands = ops.flatMap((o) => o.commands).flatMap((c) => (c.tool === "ovs-vsctl" ? [c.args] : []));
  const ordered = ovsTransactionOrder(subcommands).map((i) => subcommands[i]!);
  const verb = (args: readonly string[]) => args.find((a) => !a.startsWith("--"))!;

  it("every add-br, then every add-port, then the columns, each kind in the plan's order", () => {
    expect(new Set(subcommands.map(verb))).toEqual(new Set(["add-br", "add-port", "set"]));
    const kinds = ordered.map(verb);
    expect(kinds.lastIndexOf("add-br")).toBeLessThan(kinds.indexOf("add-port"));
    expect(kinds.lastIndexOf("add-port")).toBeLessThan(kinds.indexOf("set"));
    for (const k of ["add-br", "add-port", "set"]) expect(ordered.filter((a) => verb(a) === k)).toEqual(subcommands.filter((a) => verb(a) === k));
    expect(ovsTransactionOrder(subcommands).toSorted((a, b) => a - b)).toEqual(subcommands.map((_, i) => i));
  });

  it("a row's columns are set after the sub-command that makes it", () => {
    const made = new Map<string, number>();
    ordered.forEach((a, i) => {
      if (verb(a) === "add-br") made.set(a.at(-1)!, i);
      if (verb(a) === "add-port") made.set(a[a.indexOf("add-port") + 2]!, i);
    });
    for (const [i, a] of ordered.entries()) {
      if (verb(a) !== "set") continue;
      const row = a[a.indexOf("set") + 2]!;
      expect(made.get(row), `${a.join(" ")}`).toBeLessThan(i);
    }
  });

  it("removals first", () => {
    const order = ovsTransactionOrder([
      ["set", "Port", "p", "tag=1"],
      ["--may-exist", "add-port", "b", "p"],
      ["--if-exists", "del-port", "q"],
      ["--may-exist", "add-br", "b"],
    ]);
    expect(order).toEqual([2, 3, 1, 0]);
  });
});
