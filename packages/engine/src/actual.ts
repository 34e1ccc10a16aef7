// Reading the kernel back: what of a lab exists right now, as the planner's resources.
//
// Knows: where each kind of object shows up (`ip -j -d` per namespace in one batch, the root
// namespace's links with their topolab alias, OVS rows with their external_ids, qdiscs, sysctls,
// /etc/netns files), and how to turn each into the same resource shape realize() produces, so
// that plan(desired, actual) compares like with like. Objects are recognised by their marks
// (namespace name, alias, external_ids), never by guessing.
// Leaves to others: deciding what to change (planner).

import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import {
  aliasLab,
  canonicalIp,
  keys,
  natTableName,
  netnsEtcDir,
  nsName,
  parseNsName,
  OVS_LAB_KEY,
  OVS_NODE_KEY,
  withoutLeaseLines,
  type ActualState,
  type Resource,
} from "@topolab/topology";
import { findTool, pool, run, shares } from "./exec";
import { parseNamespaceReads, type NamespaceRead } from "./parse/nsreads";
import { portDeviceProblem, readOvs, type OvsSnapshot } from "./ovs";
import { NETNS_DIR } from "./processes";
import type { Services } from "./services";

/** One interface as `ip -j -d addr show` prints it (the parts we read). */
export interface IpLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  qdisc?: string;
  operstate?: string;
  address?: string;
  master?: string;
  ifalias?: string;
  altnames?: string[];
  link_index?: number;
  /** set on a veth end whose peer is in another namespace */
  link_netnsid?: number;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string; dynamic?: boolean; label?: string }[];
}

export interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  metric?: number;
  pref?: string;
  protocol?: string;
  table?: string;
  type?: string;
}

/** What is found once for the whole machine; per-lab reads build on it. */
export interface KernelSnapshot {
  namespaces: string[];
  rootLinks: IpLink[];
  ovs: OvsSnapshot | null;
}

export interface NsInfo {
  links: IpLink[];
  routes: IpRoute[];
}

export interface LabActual extends ActualState {
  /** raw per-namespace reads, for status */
  ns: Map<string, NsInfo>;
  /** the root namespace's links, for status */
  rootLinks: IpLink[];
}

export async function listNamespaces(): Promise<string[]> {
  try {
    return (await readdir(NETNS_DIR)).sort();
  } catch {
    return [];
  }
}

function parseJsonLines<T>(text: string): T[] {
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

/** Root-namespace links with their details and addresses, in one call. */
export async function readRootLinks(): Promise<IpLink[]> {
  const r = await run(["ip", "-j", "-d", "addr", "show"]);
  if (r.code !== 0) throw new Error(`ip -j -d addr show failed: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout || "[]") as IpLink[];
}

export async function readSnapshot(options: { ovs: boolean }): Promise<KernelSnapshot> {
  const [namespaces, rootLinks, ovs] = await Promise.all([listNamespaces(), readRootLinks(), options.ovs ? readOvs() : Promise.resolve(null)]);
  return { namespaces, rootLinks, ovs };
}

/** Links with addresses, and topolab's static routes, of one namespace in one `ip` call. */
export async function readNamespace(ns: string): Promise<NsInfo | null> {
  const r = await run(["ip", "-n", ns, "-d", "-j", "-batch", "-"], { input: NAMESPACE_READ });
  return nsInfoOf(ns, r.code, r.code === 0 ? parseJsonLines<unknown>(r.stdout) : [], r.stderr);
}

/** What one namespace's read asks `ip -n NS -d -j -batch -`: its links with addresses, then topolab's routes. */
const NAMESPACE_READ = "addr show\nroute show table all proto static\n";

/** From this many namespaces, readNamespaces reads them through a few `sh` runners instead of one spawn each. */
const MANY_NAMESPACES = 8;
/** `sh` runners at a time for them. */
const NAMESPACE_READERS = 4;

/**
 * What each runner runs (constant: the namespace names are its arguments, never part of it):
 * every namespace's read of readNamespace, between marks that say whose output it is (parse/nsreads.ts).
 */
const READ_NAMESPACES_SCRIPT = `ip="$1"; shift
for ns do
  printf '\\036ns %s\\n' "$ns"
  "$ip" -n "$ns" -d -j -batch - 2>&1 <<'END'
${NAMESPACE_READ}END
  printf '\\036exit %s\\n' "$?"
done`;

/**
 * readNamespace of many namespaces (null for one removed meanwhile), in the same order. A big
 * lab's reads go through a few `sh` runners, each running \`ip\` for its share one after the
 * other: Node.js forks its whole process for every spawn, and 200 spawns held the server's
 * thread for 125 to 196 ms at a time while a 200-host lab came up (bench:server).
 */
export async function readNamespaces(namespaces: string[]): Promise<(NsInfo | null)[]> {
  if (namespaces.length < MANY_NAMESPACES)
    return pool(
      namespaces.map((n) => () => readNamespace(n)),
      8,
    );
  const reads = new Map<string, NamespaceRead>();
  await Promise.all(
    shares(namespaces, MANY_NAMESPACES, NAMESPACE_READERS).map(async (share) => {
      const r = await run([findTool("sh") ?? "sh", "-c", READ_NAMESPACES_SCRIPT, "sh", findTool("ip") ?? "ip", ...share], {
        timeoutMs: 60_000 + 200 * share.length,
      });
      if (r.code !== 0)
        throw new Error(
          `reading ${share.length} namespaces failed (sh running ip -n NS -batch for each): ${r.stderr.trim() || `exit ${r.code}${r.timedOut ? " (timed out)" : ""}`}`,
        );
      for (const [ns, read] of parseNamespaceReads(r.stdout, share)) reads.set(ns, read);
    }),
  );
  return namespaces.map((ns) => {
    const read = reads.get(ns)!;
    return nsInfoOf(ns, read.code, read.documents, read.text);
  });
}

/** One namespace's read as NsInfo: null when it failed because the namespace is gone, an error when it failed otherwise. */
function nsInfoOf(ns: string, code: number, documents: unknown[], text: string): NsInfo | null {
  if (code !== 0) {
    // a namespace removed while the lab was read is absent; any other failure is an error,
    // never "nothing there" (that would make the planner create it all again)
    if (!existsSync(`${NETNS_DIR}/${ns}`)) return null;
    throw new Error(`reading namespace ${ns} failed (ip -n ${ns} -batch): ${text.trim() || `exit ${code}`}`);
  }
  const [links, routes] = documents as [IpLink[] | undefined, IpRoute[] | undefined];
  return { links: links ?? [], routes: routes ?? [] };
}

interface TcQdisc {
  kind: string;
  dev: string;
  root?: boolean;
  options?: Record<string, unknown>;
}

async function readQdiscs(ns: string | null): Promise<TcQdisc[]> {
  const r = await run(["tc", ...(ns ? ["-n", ns] : []), "-j", "qdisc", "show"]);
  if (r.code !== 0) {
    if (ns && !existsSync(`${NETNS_DIR}/${ns}`)) return [];
    throw new Error(`reading the qdiscs of ${ns ?? "the root namespace"} failed (tc -j qdisc show): ${r.stderr.trim() || `exit ${r.code}`}`);
  }
  try {
    return JSON.parse(r.stdout) as TcQdisc[];
  } catch (e) {
    throw new Error(`tc -j qdisc show printed what is not JSON: ${(e as Error).message}`);
  }
}

function qdiscFields(q: TcQdisc): { rate?: number; delay?: number; jitter?: number; loss?: number } {
  const o = q.options ?? {};
  const num = (v: unknown) => (typeof v === "number" ? v : undefined);
  if (q.kind === "tbf") {
    const rate = num(o["rate"]);
    return rate !== undefined ? { rate: rate * 8 } : {};
  }
  if (q.kind === "netem") {
    const out: { rate?: number; delay?: number; jitter?: number; loss?: number } = {};
    const delay = num(o["delay"]) ?? num((o["delay"] as Record<string, unknown> | undefined)?.["delay"]);
    const jitter = num(o["jitter"]) ?? num((o["delay"] as Record<string, unknown> | undefined)?.["jitter"]);
    // iproute2 prints netem times in seconds
    if (delay !== undefined && delay > 0) out.delay = delay * 1000;
    if (jitter !== undefined && jitter > 0) out.jitter = jitter * 1000;
    const loss = num(o["loss-random"]) ?? num((o["loss-random"] as Record<string, unknown> | undefined)?.["loss"]) ?? num(o["loss"]);
    if (loss !== undefined && loss > 0) out.loss = loss > 1 ? loss : loss * 100;
    const rate = num((o["rate"] as Record<string, unknown> | undefined)?.["rate"]) ?? num(o["rate"]);
    if (rate !== undefined && rate > 0) out.rate = rate * 8;
    return out;
  }
  return {};
}

const SHAPING = new Set(["tbf", "netem"]);

/** "default" with the family told by the gateway or IPv6-only fields; bare addresses get /32 or /128. */
function routeTarget(r: IpRoute): string {
  const v6 = r.dst.includes(":") || (r.gateway ?? "").includes(":") || r.pref !== undefined;
  if (r.dst === "default") return v6 ? "::/0" : "0.0.0.0/0";
  if (r.dst.includes("/")) {
    const [ip, len] = r.dst.split("/");
    return `${canonicalIp(ip!) ?? ip}/${len}`;
  }
  return `${canonicalIp(r.dst) ?? r.dst}/${v6 ? 128 : 32}`;
}

export interface ReadLabOptions {
  lab: string;
  /** where the lab's services keep their records (omit: services are not read) */
  services?: Services;
  /** read NAT rules, and with which tool (when a NAT node is in the document, now or before) */
  nat?: "nft" | "iptables";
  /** only what exists at the top (namespaces, bridges, root-side links): enough to remove a lab */
  shallow?: boolean;
  /** nodes whose sysctls to read, with the keys (routers' forwarding, nodes' own; now or in the last applied document) */
  sysctlNodes?: Map<string, string[]>;
}

/** The lab's resources as the kernel has them. */
export async function readLab(snapshotOrPromise: KernelSnapshot | Promise<KernelSnapshot>, options: ReadLabOptions): Promise<LabActual> {
  const { lab } = options;
  const resources: Resource[] = [];
  /** resources that exist but are not in use by the dataplane, with why (see plan's ActualState) */
  const stale = new Map<string, string>();
  const names = new Map<string, Set<string>>();
  const prefix = nsName(lab, "");
  const ofLab = (list: string[]) => list.filter((n) => n.startsWith(prefix) && parseNsName(n)?.lab === lab);
  // the namespaces are read while the root namespace and OVS are (one spawn each, side by side)
  const namespaces = ofLab("namespaces" in snapshotOrPromise ? snapshotOrPromise.namespaces : await listNamespaces());
  const nsReads = options.shallow ? null : readNamespaces(namespaces);
  const servicesRead = options.services?.records(lab);
  const natRead = options.nat ? readNat(lab, options.nat) : null;
  const snapshot = await snapshotOrPromise;

  // root namespace: marked links, and every name (for conflicts)
  names.set("root", new Set(snapshot.rootLinks.map((l) => l.ifname)));
  const vethEnds = new Map<string, { ns: string | null; name: string }[]>();
  const aliasOf = (link: string) => `topolab:${lab}:link:${link}`;
  const ownedRootLinks = snapshot.rootLinks.filter((l) => aliasLab(l.ifalias)?.lab === lab);
  const lbridges = new Set<string>();
  for (const l of ownedRootLinks) {
    const what = aliasLab(l.ifalias)!.what;
    if (l.linkinfo?.info_kind === "bridge" && what.startsWith("node:")) {
      lbridges.add(l.ifname);
      resources.push({
        kind: "lbridge",
        key: keys.lbridge(l.ifname),
        deps: [],
        name: l.ifname,
        node: what.slice(5),
        alias: l.ifalias!,
        stp: Number(l.linkinfo.info_data?.["stp_state"] ?? 0) !== 0,
      });
    }
  }

  // OVS: the lab's bridges and their ports
  const internalPorts = new Set<string>();
  const rootByName = new Map(snapshot.rootLinks.map((l) => [l.ifname, l]));
  if (snapshot.ovs) {
    for (const name of snapshot.ovs.bridges.map((b) => b.name)) names.get("root")!.add(name);
    for (const p of snapshot.ovs.ports.values()) names.get("root")!.add(p.name);
    for (const b of snapshot.ovs.bridges) {
      if (b.externalIds[OVS_LAB_KEY] !== lab) continue;
      resources.push({
        kind: "ovsBridge",
        key: keys.ovsBridge(b.name),
        deps: [],
        lab,
        name: b.name,
        node: b.externalIds[OVS_NODE_KEY] ?? "",
        datapath: b.datapathType || "system",
        stp: b.stp,
      });
      for (const portId of b.ports) {
        const p = snapshot.ovs.ports.get(portId);
        if (!p || p.name === b.name) continue;
        const iface = snapshot.ovs.interfaces.get(p.interfaces[0] ?? "");
        const type = iface?.type === "internal" ? "internal" : iface?.type === "patch" ? "patch" : "system";
        if (type === "internal") internalPorts.add(p.name);
        // a port whose kernel device is not the one ovs-vswitchd has open forwards nothing
        if (type === "system" && iface) {
          const problem = portDeviceProblem(iface, rootByName.get(p.name));
          if (problem) stale.set(keys.ovsPort(p.name), problem);
        }
        resources.push({
          kind: "ovsPort",
          key: keys.ovsPort(p.name),
          deps: [keys.ovsBridge(b.name)],
          lab,
          bridge: b.name,
          name: p.name,
          type,
          ...(type === "patch" && iface?.options["peer"] ? { peer: iface.options["peer"] } : {}),
          ...(p.tag !== undefined ? { tag: p.tag } : {}),
          ...(p.trunks.length ? { trunks: p.trunks } : {}),
        });
      }
    }
  }

  const ifaceOf = (ns: string | null, l: IpLink, deps: string[]): Resource => ({
    kind: "iface",
    key: keys.iface(ns, l.ifname),
    deps,
    ns,
    name: l.ifname,
    ...(l.ifalias ? { alias: l.ifalias } : {}),
    ...(l.altnames?.length ? { altname: l.altnames[0]! } : {}),
    mtu: l.mtu,
    ...(l.address ? { mac: l.address } : {}),
    up: l.flags.includes("UP"),
  });

  const rootShaped: string[] = [];
  for (const l of ownedRootLinks) {
    const what = aliasLab(l.ifalias)!.what;
    if (l.linkinfo?.info_kind !== "veth" || !what.startsWith("link:")) continue;
    const link = what.slice(5);
    (vethEnds.get(link) ?? vethEnds.set(link, []).get(link)!).push({ ns: null, name: l.ifname });
    resources.push(ifaceOf(null, l, [keys.veth(link)]));
    // a NAT gateway's address, in the root namespace
    for (const a of l.addr_info ?? []) {
      if (a.scope === "link" || a.scope === "host" || a.dynamic) continue;
      const cidr = `${canonicalIp(a.local) ?? a.local}/${a.prefixlen}`;
      resources.push({ kind: "addr", key: keys.addr(null, l.ifname, cidr), deps: [keys.iface(null, l.ifname)], ns: null, dev: l.ifname, cidr });
    }
    if (l.master && lbridges.has(l.master)) {
      resources.push({
        kind: "bport",
        key: keys.bport(l.ifname),
        deps: [keys.iface(null, l.ifname), keys.lbridge(l.master)],
        bridge: l.master,
        name: l.ifname,
      });
    }
    if (l.qdisc && SHAPING.has(l.qdisc)) rootShaped.push(l.ifname);
  }

  // namespaces, read side by side
  const sysctlNodes = options.sysctlNodes ?? new Map<string, string[]>();
  const nsInfo = new Map<string, NsInfo>();
  const infos = nsReads ? await nsReads : [];
  await pool(
    namespaces.map((n, index) => async () => {
      const node = parseNsName(n)!.node;
      resources.push({ kind: "netns", key: keys.netns(n), deps: [], ns: n, node });
      if (options.shallow) return;
      const info = infos[index];
      if (!info) return;
      nsInfo.set(n, info);
      names.set(n, new Set(info.links.map((l) => l.ifname)));
      const shaped: string[] = [];
      for (const l of info.links) {
        const owner = aliasLab(l.ifalias);
        let deps: string[] | null = null;
        if (l.ifname === "lo") deps = [keys.netns(n)];
        else if (owner?.lab === lab && owner.what.startsWith("link:") && l.linkinfo?.info_kind === "veth") {
          const link = owner.what.slice(5);
          (vethEnds.get(link) ?? vethEnds.set(link, []).get(link)!).push({ ns: n, name: l.ifname });
          deps = [keys.veth(link), keys.netns(n)];
        } else if (internalPorts.has(l.ifname)) deps = [keys.ovsPort(l.ifname), keys.netns(n)];
        if (!deps) continue; // not topolab's: a person made it in a shell
        const iface = ifaceOf(n, l, deps);
        if (l.ifname === "lo") {
          delete (iface as { mtu?: number }).mtu;
          delete (iface as { mac?: string }).mac;
        }
        resources.push(iface);
        for (const a of l.addr_info ?? []) {
          if (a.scope === "link" || a.scope === "host" || a.dynamic) continue;
          const cidr = `${canonicalIp(a.local) ?? a.local}/${a.prefixlen}`;
          resources.push({ kind: "addr", key: keys.addr(n, l.ifname, cidr), deps: [keys.iface(n, l.ifname)], ns: n, dev: l.ifname, cidr });
        }
        if (l.qdisc && SHAPING.has(l.qdisc)) shaped.push(l.ifname);
      }
      for (const r of info.routes) {
        if (r.protocol !== undefined && r.protocol !== "static") continue;
        if (r.table !== undefined && r.table !== "main") continue;
        const to = routeTarget(r);
        resources.push({
          kind: "route",
          key: keys.route(n, to),
          deps: r.dev ? [keys.netns(n), keys.iface(n, r.dev)] : [keys.netns(n)],
          ns: n,
          to,
          ...(r.gateway ? { via: canonicalIp(r.gateway) ?? r.gateway } : {}),
          ...(r.dev ? { dev: r.dev } : {}),
          ...(r.metric !== undefined ? { metric: r.metric } : {}),
        });
      }
      if (shaped.length) {
        for (const q of await readQdiscs(n)) {
          if (!q.root || !shaped.includes(q.dev) || !SHAPING.has(q.kind)) continue;
          resources.push({ kind: "qdisc", key: keys.qdisc(n, q.dev), deps: [keys.iface(n, q.dev)], ns: n, dev: q.dev, ...qdiscFields(q) });
        }
      }
      const sysctlKeys = sysctlNodes.get(node);
      if (sysctlKeys?.length) {
        const s = await run(["ip", "netns", "exec", n, "sysctl", "-n", ...sysctlKeys]);
        const values = s.stdout.trim().split("\n");
        if (s.code !== 0 || values.length !== sysctlKeys.length) {
          throw new Error(`cannot read the sysctls ${sysctlKeys.join(", ")} of ${n}: ${s.stderr.trim() || `exit ${s.code}`}`);
        }
        resources.push({
          kind: "sysctl",
          key: keys.sysctl(n),
          deps: [keys.netns(n)],
          ns: n,
          values: Object.fromEntries(sysctlKeys.map((k, i) => [k, values[i]!.trim().replace(/\s+/g, " ")])),
        });
      }
      const path = `${netnsEtcDir(n)}/hosts`;
      try {
        // the names of DHCP leases are not the document's (topology's leases.ts): no drift
        resources.push({ kind: "file", key: `file:${path}`, deps: [keys.netns(n)], ns: n, path, content: withoutLeaseLines(await readFile(path, "utf8")) });
      } catch {
        /* not written yet */
      }
    }),
    8,
  );
  if (rootShaped.length) {
    for (const q of await readQdiscs(null)) {
      if (!q.root || !rootShaped.includes(q.dev) || !SHAPING.has(q.kind)) continue;
      resources.push({ kind: "qdisc", key: keys.qdisc(null, q.dev), deps: [keys.iface(null, q.dev)], ns: null, dev: q.dev, ...qdiscFields(q) });
    }
  }

  if (servicesRead) {
    for (const svc of await servicesRead) {
      const n = nsName(lab, svc.node);
      resources.push({
        kind: "proc",
        key: keys.proc(n, svc.name),
        deps: [keys.netns(n)],
        ns: n,
        node: svc.node,
        name: svc.name,
        argv: svc.record.argv,
        ...(svc.record.env ? { env: svc.record.env } : {}),
      });
    }
  }
  if (natRead) resources.push(...(await natRead));

  const peerInNetns = new Set(ownedRootLinks.filter((l) => l.link_netnsid !== undefined).map((l) => l.ifname));
  for (const [link, ends] of vethEnds) {
    const pair = ends.length >= 2 ? [ends[0]!, ends[1]!] : [ends[0]!, { ns: "?", name: "?" }];
    // a shallow read does not look inside namespaces: a root end whose peer is in one of them
    // goes when the lab's namespaces go
    const unseenPeer = options.shallow && ends.length === 1 && peerInNetns.has(ends[0]!.name);
    resources.push({
      kind: "veth",
      key: keys.veth(link),
      deps: unseenPeer ? namespaces.map((n) => keys.netns(n)) : pair.filter((e) => e.ns !== null && e.ns !== "?").map((e) => keys.netns(e.ns!)),
      link,
      alias: aliasOf(link),
      ends: pair as [{ ns: string | null; name: string }, { ns: string | null; name: string }],
    });
  }
  return { resources, names, stale, ns: nsInfo, rootLinks: snapshot.rootLinks };
}

interface NftItem {
  table?: { family: string; name: string };
  rule?: { family: string; table: string; chain: string; expr: unknown[] };
}

/** Subnets and interface of the MASQUERADE rule in a nft rule's expressions. */
function nftMasquerade(expr: unknown[]): { subnets: string[]; iface: string } | null {
  let subnets: string[] = [];
  let iface = "";
  let masq = false;
  for (const e of expr as Record<string, unknown>[]) {
    if ("masquerade" in e) masq = true;
    const m = e["match"] as { left?: Record<string, unknown>; right?: unknown } | undefined;
    if (!m) continue;
    const prefix = (v: unknown): string | null => {
      const p = typeof v === "object" && v !== null ? (v as { prefix?: { addr: string; len: number } }).prefix : undefined;
      if (p) return `${p.addr}/${p.len}`;
      return typeof v === "string" ? `${v}/32` : null;
    };
    if ((m.left?.["payload"] as { field?: string } | undefined)?.field === "saddr") {
      const right = m.right;
      const items = typeof right === "object" && right !== null && "set" in right && Array.isArray(right.set) ? (right.set as unknown[]) : [right];
      subnets = items.map(prefix).filter((x): x is string => x !== null);
    }
    if ((m.left?.["meta"] as { key?: string } | undefined)?.key === "oifname" && typeof m.right === "string") iface = m.right;
  }
  return masq ? { subnets, iface } : null;
}

/** The lab's NAT rules as resources: nftables tables topolab.<lab>.<node>, or iptables rules with its comment. */
export async function readNat(lab: string, backend: "nft" | "iptables"): Promise<Resource[]> {
  const out: Resource[] = [];
  if (backend === "nft") {
    const r = await run(["nft", "-j", "list", "ruleset", "ip"]);
    if (r.code !== 0) throw new Error(`reading the NAT rules failed (nft -j list ruleset ip): ${r.stderr.trim() || `exit ${r.code}`}`);
    const items = (JSON.parse(r.stdout) as { nftables: NftItem[] }).nftables;
    const prefix = natTableName(lab, "");
    for (const t of items) {
      if (!t.table || !t.table.name.startsWith(prefix)) continue;
      const node = t.table.name.slice(prefix.length);
      const rule = items.find((i) => i.rule?.table === t.table!.name && i.rule.chain === "postrouting");
      const m = rule?.rule ? nftMasquerade(rule.rule.expr) : null;
      out.push({ kind: "nat", key: keys.nat(lab, node), deps: [], lab, node, backend, iface: m?.iface ?? "", subnets: m?.subnets ?? [] });
    }
    return out;
  }
  const r = await run(["iptables-save"]);
  if (r.code !== 0) return out;
  const found = new Map<string, { subnets: string[]; iface: string }>();
  const mark = `topolab:${lab}:nat:`;
  for (const line of r.stdout.split("\n")) {
    const m = /--comment "?([^"\s]+)"?/.exec(line);
    if (!m || !m[1]!.startsWith(mark)) continue;
    const node = m[1]!.slice(mark.length);
    const entry = found.get(node) ?? found.set(node, { subnets: [], iface: "" }).get(node)!;
    const masq = /-A POSTROUTING -s (\S+) ! -o (\S+)/.exec(line);
    if (masq) {
      entry.subnets.push(masq[1]!.includes("/") ? masq[1]! : `${masq[1]}/32`);
      entry.iface = masq[2]!;
    }
  }
  for (const [node, e] of found) out.push({ kind: "nat", key: keys.nat(lab, node), deps: [], lab, node, backend, iface: e.iface, subnets: e.subnets });
  return out;
}

/** Root-side interfaces and namespaces of a lab still present (for waiting until a removal is done). */
export function labLeftovers(snapshot: KernelSnapshot, lab: string): string[] {
  const left: string[] = [];
  for (const n of snapshot.namespaces) if (parseNsName(n)?.lab === lab) left.push(`namespace ${n}`);
  for (const l of snapshot.rootLinks) if (aliasLab(l.ifalias)?.lab === lab) left.push(`interface ${l.ifname}`);
  for (const b of snapshot.ovs?.bridges ?? []) if (b.externalIds[OVS_LAB_KEY] === lab) left.push(`OVS bridge ${b.name}`);
  return left;
}
