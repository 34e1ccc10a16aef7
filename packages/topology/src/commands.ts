// Commands: the plain `ip`, `tc`, `ovs-vsctl`, `sysctl` and `ethtool` invocations that create,
// change or remove each kind of resource, as argument vectors.
//
// Knows: the command for every resource change, and the stage it runs in, so that the engine
// can batch commands of one stage and one namespace into a single `ip -batch` (or one
// `ovs-vsctl` transaction), and the exported script can print them one per line.
// Leaves to others: running them (engine), deciding which to run (plan.ts).

import { lossTableName, natComment, natTableName, netnsEtcDir, type NsRef, type Resource } from "./resources";

/**
 * Delete stages run first, in this order, then create/update stages. (When a plan moves no
 * internal port, the planner runs configure and extras in the OVS stage: see plan.ts.)
 */
export const Stage = {
  /** inside namespaces: processes stopped, routes, addresses, qdiscs, links removed */
  delInside: 0,
  /** OVS ports and bridges removed (one transaction) */
  delOvs: 1,
  /** root-namespace links and Linux bridges removed */
  delRoot: 2,
  /** namespaces removed: the same root batch as root-namespace links, after them */
  delNetns: 2,
  /** namespaces created */
  netns: 10,
  /** veth pairs and Linux bridges created: the same root batch as the namespaces, after them */
  rootLinks: 10,
  /** a big bring-up only (plan.ts carrierLast): the namespaces configured, and OVS, before the root ends come up */
  inside: 11,
  /** a big bring-up only: the root-side ends set up, in one root batch, once OVS has them as ports */
  carrier: 12,
  /** OVS bridges and ports created or changed (one transaction) */
  ovs: 13,
  /** OVS internal ports moved into their namespaces */
  move: 14,
  /** interface settings, addresses and routes, one batch per namespace */
  configure: 15,
  /** qdiscs, sysctls, offloads, files and NAT rules */
  extras: 16,
  /** services started, once the network is there */
  services: 17,
} as const;

interface CommandBase {
  stage: number;
  /** a delete whose target is already gone counts as done */
  missingOk?: boolean;
}

export type Command = CommandBase &
  (
    | { tool: "ip"; ns: NsRef; args: string[] }
    | { tool: "tc"; ns: NsRef; args: string[] }
    /** one sub-command of an `ovs-vsctl` transaction */
    | { tool: "ovs-vsctl"; args: string[] }
    /** a program run inside a namespace (root when ns is null) */
    | { tool: "exec"; ns: NsRef; argv: string[] }
    | { tool: "write"; path: string; content: string }
    /** remove a file or a directory tree */
    | { tool: "remove"; path: string }
    /** stop every process inside a namespace, so that removing it frees its interfaces */
    | { tool: "killns"; ns: string }
    /** start a service inside a node, watched by topolab (pid file, log, exit code) */
    | { tool: "start"; ns: string; lab: string; node: string; name: string; argv: string[]; env?: Record<string, string> }
    /** stop a service (its process group, by PID) */
    | { tool: "stop"; lab: string; node: string; name: string }
    /** an nftables script, given to `nft -f -` */
    | { tool: "nft"; script: string }
  );

const ip = (stage: number, ns: NsRef, ...args: string[]): Command => ({ tool: "ip", ns, args, stage });
const tc = (stage: number, ns: NsRef, ...args: string[]): Command => ({ tool: "tc", ns, args, stage });
const ovs = (...args: string[]): Command => ({ tool: "ovs-vsctl", args, stage: Stage.ovs });
const gone = (c: Command): Command => ({ ...c, missingOk: true });

function ovsExternalIds(table: string, name: string, ids: Record<string, string>): string[] {
  return ["set", table, name, ...Object.entries(ids).map(([k, v]) => `external_ids:${k}=${v}`)];
}

function vlanArgs(r: { tag?: number; trunks?: number[] }): string[] {
  const out: string[] = [];
  if (r.tag !== undefined) out.push(`tag=${r.tag}`);
  if (r.trunks && r.trunks.length) out.push(`trunks=${r.trunks.join(",")}`);
  return out;
}

function routeArgs(r: Extract<Resource, { kind: "route" }>): string[] {
  const args = [r.to];
  if (r.via !== undefined) args.push("via", r.via);
  if (r.dev !== undefined) args.push("dev", r.dev);
  if (r.metric !== undefined) args.push("metric", String(r.metric));
  args.push("proto", "static");
  return args;
}

function qdiscArgs(r: Extract<Resource, { kind: "qdisc" }>): string[] {
  const netem = r.delay !== undefined || r.loss !== undefined;
  if (netem) {
    const args = ["netem"];
    if (r.delay !== undefined) args.push("delay", `${r.delay}ms`);
    if (r.jitter !== undefined) args.push(`${r.jitter}ms`);
    if (r.loss !== undefined) args.push("loss", `${r.loss}%`);
    if (r.rate !== undefined) args.push("rate", `${r.rate}bit`);
    return args;
  }
  const rate = r.rate!;
  // burst: at least one full-size frame, and enough for a 100 Hz timer at this rate
  const burst = Math.max(16_000, Math.ceil(rate / 8 / 100));
  return ["tbf", "rate", `${rate}bit`, "burst", String(burst), "latency", "50ms"];
}

/** Commands that create a resource (idempotent where the tools allow it). */
export function createCommands(r: Resource): Command[] {
  switch (r.kind) {
    case "netns":
      return [ip(Stage.netns, null, "netns", "add", r.ns)];
    case "sysctl":
      return [sysctl(r.ns, r.values)];
    case "lbridge":
      return [
        ip(Stage.rootLinks, null, "link", "add", "name", r.name, "type", "bridge", "stp_state", r.stp ? "1" : "0"),
        ...(r.ipv6Off ? noIpv6(r.name) : []),
        ip(Stage.rootLinks, null, "link", "set", "dev", r.name, "alias", r.alias, "up"),
      ];
    case "veth": {
      const [a, b] = r.ends;
      const side = (e: typeof a) => (e.ns === null ? [] : ["netns", e.ns]);
      return [
        ip(Stage.rootLinks, null, "link", "add", "name", a.name, ...side(a), "type", "veth", "peer", "name", b.name, ...side(b)),
        // mark the root-side ends at once, so that a crash cannot leave an unmarked interface
        ...r.ends.filter((e) => e.ns === null).map((e) => ip(Stage.rootLinks, null, "link", "set", "dev", e.name, "alias", r.alias)),
      ];
    }
    case "ovsBridge":
      return [
        ovs("--may-exist", "add-br", r.name),
        ovs(
          "set",
          "Bridge",
          r.name,
          `datapath_type=${r.datapath}`,
          `stp_enable=${r.stp}`,
          "other_config:disable-in-band=true",
          `external_ids:topolab-lab=${r.lab}`,
          `external_ids:topolab-node=${r.node}`,
          ...(r.owner ? [`external_ids:topolab-owner=${r.owner}`] : []),
        ),
      ];
    case "ovsPort": {
      const cmds = [ovs("--may-exist", "add-port", r.bridge, r.name, ...vlanArgs(r))];
      if (r.type === "internal") cmds.push(ovs("set", "Interface", r.name, "type=internal"));
      if (r.type === "patch") cmds.push(ovs("set", "Interface", r.name, "type=patch", `options:peer=${r.peer}`));
      cmds.push(ovs(...ovsExternalIds("Port", r.name, { "topolab-lab": r.lab, ...(r.owner ? { "topolab-owner": r.owner } : {}) })));
      return cmds;
    }
    case "iface": {
      const cmds: Command[] = [];
      if (r.moveFromRoot) cmds.push(ip(Stage.move, null, "link", "set", "dev", r.name, "netns", r.ns!));
      if (r.altname) cmds.push(ip(Stage.configure, r.ns, "link", "property", "add", "dev", r.name, "altname", r.altname));
      if (r.ipv6Off && r.ns === null) cmds.push(...noIpv6(r.name));
      // a root-namespace end is set up in the batch that creates it, before OVS takes it as a
      // port: ovs-vswitchd (userspace datapath) adding a port while its MTU and state change
      // sometimes never forwards on it
      cmds.push(ip(r.ns === null ? Stage.rootLinks : Stage.configure, r.ns, ...ifaceSet(r)));
      if (r.offloadOff) cmds.push({ tool: "exec", ns: r.ns, argv: ["ethtool", "-K", r.name, "tx", "off"], stage: Stage.extras });
      return cmds;
    }
    case "bport":
      return [ip(Stage.configure, null, "link", "set", "dev", r.name, "master", r.bridge)];
    case "addr":
      return [ip(Stage.configure, r.ns, "addr", "replace", r.cidr, "dev", r.dev, ...(r.cidr.includes(":") ? ["nodad"] : []))];
    case "route":
      return [ip(Stage.configure, r.ns, "route", "replace", ...routeArgs(r))];
    case "qdisc":
      return [tc(Stage.extras, r.ns, "qdisc", "replace", "dev", r.dev, "root", ...qdiscArgs(r))];
    case "file":
      return [{ tool: "write", path: r.path, content: r.content, stage: Stage.extras }];
    case "proc":
      return [
        {
          tool: "start",
          ns: r.ns,
          lab: labOfNs(r.ns),
          node: r.node,
          name: r.name,
          argv: r.argv,
          ...(r.env ? { env: r.env } : {}),
          stage: Stage.services,
        },
      ];
    case "nat":
      return natCreate(r);
    case "loss":
      return [{ tool: "exec", ns: r.ns, argv: ["nft", lossRule(r)], stage: Stage.extras }];
  }
}

/** The nftables table that drops `percent` of the packets coming into `dev` (no netem needed). */
export function lossRule(r: Extract<Resource, { kind: "loss" }>): string {
  const n = Math.round(r.percent * 100) / 100;
  // numgen gives whole numbers: a fraction of a percent is taken from 0..9999
  const [mod, below] = Number.isInteger(n) ? [100, n] : [10000, Math.round(n * 100)];
  return `table netdev ${lossTableName(r.dev)} { chain ingress { type filter hook ingress device "${r.dev}" priority 0; numgen random mod ${mod} < ${below} drop; }; }`;
}

/** The lab of a namespace tl.<lab>.<node>. */
function labOfNs(ns: string): string {
  return ns.slice(3, ns.indexOf(".", 3));
}

/** Commands that remove a resource; removing one that is already gone succeeds. */
export function deleteCommands(r: Resource): Command[] {
  switch (r.kind) {
    case "netns":
      return [
        { tool: "killns", ns: r.ns, stage: Stage.delInside },
        gone(ip(Stage.delNetns, null, "netns", "del", r.ns)),
        { tool: "remove", path: netnsEtcDir(r.ns), stage: Stage.delNetns },
      ];
    case "sysctl":
      return [{ ...sysctl(r.ns, Object.fromEntries(Object.keys(r.values).map((k) => [k, "0"]))), stage: Stage.delInside }];
    case "lbridge":
      return [gone(ip(Stage.delRoot, null, "link", "del", "dev", r.name))];
    case "veth": {
      const root = r.ends.find((e) => e.ns === null);
      const end = root ?? r.ends[0];
      return [gone(ip(root ? Stage.delRoot : Stage.delInside, end.ns, "link", "del", "dev", end.name))];
    }
    case "ovsBridge":
      return [{ ...ovs("--if-exists", "del-br", r.name), stage: Stage.delOvs }];
    case "ovsPort":
      return [{ ...ovs("--if-exists", "del-port", r.bridge, r.name), stage: Stage.delOvs }];
    case "iface":
      // an interface goes with its veth or port; an internal port moved out is removed with its port
      return [];
    case "bport":
      return [gone(ip(Stage.delRoot, null, "link", "set", "dev", r.name, "nomaster"))];
    case "addr":
      return [gone(ip(Stage.delInside, r.ns, "addr", "del", r.cidr, "dev", r.dev))];
    case "route":
      return [gone(ip(Stage.delInside, r.ns, "route", "del", ...routeArgs(r)))];
    case "qdisc":
      return [gone(tc(Stage.delInside, r.ns, "qdisc", "del", "dev", r.dev, "root"))];
    case "file":
      return [{ tool: "remove", path: r.path, stage: Stage.delInside }];
    case "proc":
      return [{ tool: "stop", lab: labOfNs(r.ns), node: r.node, name: r.name, stage: Stage.delInside }];
    case "nat":
      return natDelete(r);
    case "loss":
      return [gone({ tool: "exec", ns: r.ns, argv: ["nft", "delete", "table", "netdev", lossTableName(r.dev)], stage: Stage.delInside })];
  }
}

/**
 * Commands that turn `actual` into `desired` in place, or null when the resource has to be
 * removed and created again.
 */
export function updateCommands(desired: Resource, actual: Resource): Command[] | null {
  switch (desired.kind) {
    case "sysctl":
      return [sysctl(desired.ns, desired.values)];
    case "lbridge":
      return [ip(Stage.configure, null, "link", "set", "dev", desired.name, "type", "bridge", "stp_state", desired.stp ? "1" : "0")];
    case "ovsBridge": {
      const a = actual as typeof desired;
      if (a.datapath !== desired.datapath) return null;
      return [ovs("set", "Bridge", desired.name, `stp_enable=${desired.stp}`)];
    }
    case "ovsPort": {
      const a = actual as typeof desired;
      if (a.type !== desired.type || a.bridge !== desired.bridge || a.peer !== desired.peer) return null;
      const cmds: Command[] = [];
      cmds.push(desired.tag !== undefined ? ovs("set", "Port", desired.name, `tag=${desired.tag}`) : ovs("clear", "Port", desired.name, "tag"));
      cmds.push(desired.trunks?.length ? ovs("set", "Port", desired.name, `trunks=${desired.trunks.join(",")}`) : ovs("clear", "Port", desired.name, "trunks"));
      return cmds;
    }
    case "iface":
      return [ip(Stage.configure, desired.ns, ...ifaceSet(desired))];
    case "bport":
      return [ip(Stage.configure, null, "link", "set", "dev", desired.name, "master", desired.bridge)];
    case "route":
      return [...deleteCommands(actual).map((c) => ({ ...c, stage: Stage.configure })), ...createCommands(desired)];
    case "qdisc":
    case "file":
      return createCommands(desired);
    case "nat":
      return [...natDelete(actual as typeof desired).map((c) => ({ ...c, stage: Stage.extras })), ...natCreate(desired)];
    case "loss":
      return [...deleteCommands(actual).map((c) => ({ ...c, stage: Stage.extras })), ...createCommands(desired)];
    case "proc":
      return [{ ...deleteCommands(actual)[0]!, stage: Stage.services }, ...createCommands(desired)];
    default:
      return null;
  }
}

/**
 * Commands that apply a resource again after something it builds on was re-created (a route
 * whose addresses changed, a service whose interface was re-made). An OVS port is not one of
 * them: the planner makes it again in two transactions (plan.ts, remakePort).
 */
export function reapplyCommands(r: Resource): Command[] {
  if (r.kind === "proc") return [{ ...deleteCommands(r)[0]!, stage: Stage.services }, ...createCommands(r)];
  return createCommands(r);
}

/** The nftables table of a NAT gateway: MASQUERADE out of the lab, and forwarding allowed. */
export function natNftScript(r: Extract<Resource, { kind: "nat" }>): string {
  const table = natTableName(r.lab, r.node);
  const saddr = r.subnets.length === 1 ? r.subnets[0]! : `{ ${r.subnets.join(", ")} }`;
  return [
    `table ip ${table} {`,
    `  chain postrouting {`,
    `    type nat hook postrouting priority srcnat; policy accept;`,
    `    ip saddr ${saddr} oifname != "${r.iface}" masquerade`,
    `  }`,
    `  chain forward {`,
    `    type filter hook forward priority filter; policy accept;`,
    `    iifname "${r.iface}" accept`,
    `    oifname "${r.iface}" ct state established,related accept`,
    `  }`,
    `}`,
    "",
  ].join("\n");
}

/** The iptables rules of a NAT gateway, each as the arguments after -A/-D. */
export function natIptablesRules(r: Extract<Resource, { kind: "nat" }>): { table: string; chain: string; args: string[] }[] {
  const mark = ["-m", "comment", "--comment", natComment(r.lab, r.node)];
  return [
    ...r.subnets.map((s) => ({ table: "nat", chain: "POSTROUTING", args: ["-s", s, "!", "-o", r.iface, ...mark, "-j", "MASQUERADE"] })),
    { table: "filter", chain: "FORWARD", args: ["-i", r.iface, ...mark, "-j", "ACCEPT"] },
    { table: "filter", chain: "FORWARD", args: ["-o", r.iface, "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", ...mark, "-j", "ACCEPT"] },
  ];
}

function natCreate(r: Extract<Resource, { kind: "nat" }>): Command[] {
  if (r.backend === "nft") return [{ tool: "nft", script: natNftScript(r), stage: Stage.extras }];
  return natIptablesRules(r).map((rule) => ({
    tool: "exec",
    ns: null,
    argv: ["iptables", "-t", rule.table, rule.chain === "POSTROUTING" ? "-A" : "-I", rule.chain, ...rule.args],
    stage: Stage.extras,
  }));
}

function natDelete(r: Extract<Resource, { kind: "nat" }>): Command[] {
  if (r.backend === "nft") {
    return [{ tool: "exec", ns: null, argv: ["nft", "delete", "table", "ip", natTableName(r.lab, r.node)], stage: Stage.delRoot, missingOk: true }];
  }
  return natIptablesRules(r).map((rule) => ({
    tool: "exec",
    ns: null,
    argv: ["iptables", "-t", rule.table, "-D", rule.chain, ...rule.args],
    stage: Stage.delRoot,
    missingOk: true,
  }));
}

function ifaceSet(r: Extract<Resource, { kind: "iface" }>): string[] {
  const args = ["link", "set", "dev", r.name];
  if (r.alias !== undefined) args.push("alias", r.alias);
  if (r.mtu !== undefined) args.push("mtu", String(r.mtu));
  if (r.mac !== undefined) args.push("address", r.mac);
  args.push(r.up ? "up" : "down");
  return args;
}

/** Where a root-namespace interface's IPv6 is turned off (the executor writes only such paths and /etc/netns). */
export function ipv6OffPath(dev: string): string {
  return `/proc/sys/net/ipv6/conf/${dev}/disable_ipv6`;
}

/**
 * A root-namespace switch port or bridge without IPv6 (RealizeEnv.rootIpv6Off): no link-local
 * address is made when it comes up (so no DAD, MLD or router solicitation from it, no route
 * for it), in the batch that creates it, before `up`; then IPv6 is turned off on it, so
 * that the root's stack drops the IPv6 packets it receives at once instead of looking up a
 * route for each. The sysctl is per device: nothing machine-wide changes.
 */
function noIpv6(dev: string): Command[] {
  return [
    ip(Stage.rootLinks, null, "link", "set", "dev", dev, "addrgenmode", "none"),
    { tool: "write", path: ipv6OffPath(dev), content: "1\n", stage: Stage.ovs },
  ];
}

function sysctl(ns: string, values: Record<string, string>): Command {
  return {
    tool: "exec",
    ns,
    argv: ["sysctl", "-q", "-w", ...Object.entries(values).map(([k, v]) => `${k}=${v}`)],
    stage: Stage.extras,
  };
}
