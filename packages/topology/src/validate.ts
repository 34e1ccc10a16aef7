// Validation: an untrusted lab document in, a canonical Lab or every problem with its place out.
//
// Knows: the rules a lab must follow beyond its shape (names unique, links between existing
// nodes, one use per interface, VLANs only where there is an OVS port, addresses and routes
// that make sense), the defaults a beginner expects (eth0.. on hosts, eth1.. on switches),
// and how to say what is wrong in a sentence with a path such as `links[3].vlan`.
// Leaves to others: whether this machine can build it (capabilities.ts), kernel names (names.ts).

import type { z } from "zod";
import { contains, formatCidr, formatIp, networkOf, parseCidr, parseIp, parseMac, type Cidr } from "./address";
import { validateExercise, type Exercise } from "./exercise";
import { LabValidationError, type LabIssue } from "./issues";
import { isHostLike } from "./kinds";
import { dhcpClientName, ifNameProblem, labNameProblem, nodeNameProblem } from "./names";
import { labWarnings, type LabWarning } from "./suggest";
import { switchLoops } from "./switchlinks";
import {
  LabInputSchema,
  LinkSchema,
  NodeSchema,
  type Endpoint,
  type HostNode,
  type Interface,
  type Lab,
  type LabNode,
  type Link,
  type LinkInput,
  type NodeInput,
  type NatNode,
  type Route,
  type Service,
  type SwitchNode,
} from "./schema";

export type PathPart = string | number;

// LabIssue, LabValidationError and formatIssue are in issues.ts, which does not load zod
export { formatIssue, LabValidationError, type LabIssue } from "./issues";

/** `warnings`: the lab is valid, but these will not work as a person expects (suggest.ts's labWarnings) */
export type Validated = { ok: true; lab: Lab; warnings: LabWarning[] } | { ok: false; issues: LabIssue[] };

/**
 * Bounds on a lab's size. A document beyond them is refused at once, before any rule is
 * checked, so that no document can make validation (or what follows it) take long.
 */
export interface LabLimits {
  maxNodes: number;
  maxLinks: number;
}

/** Big enough for the largest generated topology (linear,1000: 2,000 nodes, 1,999 links). */
export const DEFAULT_LAB_LIMITS: Readonly<LabLimits> = { maxNodes: 2500, maxLinks: 5000 };

/** Problems reported at most; the rest are counted in one last line ("… and 29,900 more"). */
export const MAX_ISSUES = 100;
/** Longest path or message of one problem; a person's 100 KB name is cut, not echoed. */
const MAX_ISSUE_TEXT = 300;

const count = (n: number) => n.toLocaleString("en-US");
const clip = (text: string) => (text.length > MAX_ISSUE_TEXT ? `${text.slice(0, MAX_ISSUE_TEXT)}…` : text);

/**
 * At most `max` problems, each cut to a readable length, and a last one that says how many
 * more there were: an answer stays small whatever the document.
 */
export function capIssues<T extends LabIssue>(issues: readonly T[], max = MAX_ISSUES): T[] {
  const out = issues.slice(0, max).map((i) => ({ ...i, path: clip(i.path), message: clip(i.message) }));
  if (issues.length > max) out.push({ path: "", message: `… and ${count(issues.length - max)} more problems` } as T);
  return out;
}

/** ["links", 3, "vlan"] -> links[3].vlan; odd keys are quoted: interfaces["eth0.100"] */
export function formatPath(path: readonly PathPart[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === "object") return "an object";
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return `${typeof value} ${String(value)}`;
  return `a ${typeof value}`;
}

/** zod's issues, reworded for a person and placed under `prefix`. */
export function zodIssues(error: z.ZodError, prefix: readonly PathPart[]): LabIssue[] {
  const out: LabIssue[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...(issue.path as PathPart[])];
    const input = (issue as { input?: unknown }).input;
    switch (issue.code) {
      case "unrecognized_keys":
        for (const key of issue.keys) out.push({ path: formatPath([...path, key]), message: "is not a known field" });
        break;
      case "invalid_type":
        out.push({
          path: formatPath(path),
          message: input === undefined ? "is required" : `must be ${article(issue.expected)}, not ${describe(input)}`,
        });
        break;
      case "invalid_value":
        out.push({
          path: formatPath(path),
          message: `must be ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}, not ${describe(input)}`,
        });
        break;
      case "invalid_union":
        out.push({ path: formatPath(path), message: `has an unexpected form (${describe(input)})` });
        break;
      case "too_big":
        out.push({ path: formatPath(path), message: `is too long (at most ${String(issue.maximum)})` });
        break;
      case "too_small":
        out.push({ path: formatPath(path), message: `is too short (at least ${String(issue.minimum)})` });
        break;
      default:
        out.push({ path: formatPath(path), message: issue.message });
    }
  }
  return out;
}

function article(type: string): string {
  const names: Record<string, string> = {
    string: "a text",
    number: "a number",
    boolean: "true or false",
    object: "an object",
    array: "a list",
    // zod 4 names these by schema type: interfaces is a record, endpoints a tuple
    record: "an object",
    tuple: "a list",
  };
  return names[type] ?? type;
}

const KINDS = ["host", "router", "switch", "nat"];

const BANDWIDTH = /^(\d+(?:\.\d+)?)\s*(bit|kbit|mbit|gbit)$/i;
const DURATION = /^(\d+(?:\.\d+)?)\s*(us|ms|s)$/;

/** Mbit/s from a number (already Mbit/s) or a text like "10mbit"; or a reason. */
export function parseBandwidth(value: number | string): number | string {
  let mbit: number;
  if (typeof value === "number") mbit = value;
  else {
    const m = BANDWIDTH.exec(value.trim());
    if (!m) return `"${value}" is not a rate (write it like 10mbit, 500kbit, 1gbit, or a number of Mbit/s)`;
    const scale: Record<string, number> = { bit: 1e-6, kbit: 1e-3, mbit: 1, gbit: 1e3 };
    mbit = Number(m[1]) * scale[m[2]!.toLowerCase()]!;
  }
  if (!(mbit > 0)) return `${String(value)} is not a positive rate`;
  if (mbit < 0.008) return `${String(value)} is below the lowest rate, 8kbit`;
  if (mbit > 100_000) return `${String(value)} is above the highest rate, 100gbit`;
  return mbit;
}

/** Milliseconds from a text like "10ms", "1s", "500us"; or a reason. */
export function parseDuration(value: string): number | string {
  const m = DURATION.exec(value.trim());
  if (!m) return `"${value}" is not a duration (write it like 10ms, 500us or 1s)`;
  const ms = Number(m[1]) * (m[2] === "s" ? 1000 : m[2] === "us" ? 0.001 : 1);
  if (ms > 60_000) return `${value} is longer than the longest allowed, 60s`;
  return ms;
}

interface Collector {
  issues: LabIssue[];
  add(path: readonly PathPart[], message: string): void;
}

function collector(): Collector {
  const issues: LabIssue[] = [];
  return { issues, add: (path, message) => issues.push({ path: formatPath(path), message }) };
}

function parseEndpoint(raw: string | { node: string; interface?: string }): { node: string; interface?: string } {
  if (typeof raw !== "string") return raw;
  const colon = raw.indexOf(":");
  if (colon < 0) return { node: raw };
  return { node: raw.slice(0, colon), interface: raw.slice(colon + 1) };
}

/** "10.0.0.0/24" from "10.0.0.0/24"; "default" to 0.0.0.0/0 or ::/0 by the family of `via`. */
function parseRouteTarget(to: string, via: string | undefined): Cidr | string {
  if (to === "default" || to === "default4") {
    const viaIp = via ? parseIp(via) : null;
    return parseCidr(to === "default" && viaIp?.family === 6 ? "::/0" : "0.0.0.0/0");
  }
  if (to === "default6") return parseCidr("::/0");
  const c = parseCidr(to);
  if (typeof c === "string") return c;
  const net = networkOf(c);
  if (net.ip.value !== c.ip.value) return `"${to}" has host bits set; did you mean ${formatCidr(net)}?`;
  return c;
}

/**
 * Validates a lab document and returns it in canonical form, or all of its problems at once.
 * `name` overrides the document's own name (the CLI's --name).
 */
export function validateLab(input: unknown, options: { name?: string; limits?: Partial<LabLimits> } = {}): Validated {
  const c = collector();
  const limits = { ...DEFAULT_LAB_LIMITS, ...options.limits };
  const tooBig = sizeProblems(input, limits);
  if (tooBig.length) return { ok: false, issues: tooBig };
  const top = LabInputSchema.safeParse(input, { reportInput: true });
  if (!top.success) {
    c.issues.push(...zodIssues(top.error, []));
    // go on with what can be read, so that every problem is reported at once
  }
  const raw = (typeof input === "object" && input !== null ? input : {}) as Record<string, unknown>;
  const labName = options.name ?? raw["name"];
  if (labName === undefined) c.add(["name"], "is required (or give one with --name)");
  else if (options.name !== undefined) {
    // the CLI option, not a place in the document (formatPath would print it as ["--name"])
    const problem = labNameProblem(labName);
    if (problem) c.issues.push({ path: "--name", message: problem });
  } else if (typeof labName === "string") {
    // a name that is not a text was reported by the schema above already
    const problem = labNameProblem(labName);
    if (problem) c.add(["name"], problem);
  }

  // 1. each node on its own
  const nodes: LabNode[] = [];
  const nodeIndex = new Map<string, number>();
  const nodeAt = new Map<number, LabNode>(); // nodes[i] of the document, when it is valid
  const rawNodes = Array.isArray(raw["nodes"]) ? raw["nodes"] : [];
  rawNodes.forEach((rawNode, i) => {
    const kind = (rawNode as { kind?: unknown } | null)?.kind;
    if (typeof rawNode === "object" && rawNode !== null && !KINDS.includes(kind as string)) {
      c.add(
        ["nodes", i, "kind"],
        kind === undefined ? `is required (one of ${KINDS.join(", ")})` : `must be one of ${KINDS.join(", ")}, not ${describe(kind)}`,
      );
      // like any other invalid node: its name still exists, so links to it are not reported too
      const name = (rawNode as { name?: unknown }).name;
      if (typeof name === "string" && !nodeNameProblem(name) && !nodeIndex.has(name)) nodeIndex.set(name, -1);
      return;
    }
    const parsed = NodeSchema.safeParse(rawNode, { reportInput: true });
    if (!parsed.success) {
      c.issues.push(...zodIssues(parsed.error, ["nodes", i]));
      // a node whose name is fine still counts as existing, so links to it are not reported too
      const name = (rawNode as { name?: unknown } | null)?.name;
      if (typeof name === "string" && !nodeNameProblem(name) && !nodeIndex.has(name)) nodeIndex.set(name, -1);
      return;
    }
    const node = canonicalNode(parsed.data);
    const earlier = nodeIndex.get(node.name);
    if (earlier !== undefined) {
      c.add(["nodes", i, "name"], `"${node.name}" is already the name of nodes[${earlier}]`);
      return;
    }
    nodeIndex.set(node.name, i);
    nodeAt.set(i, node);
    nodes.push(node);
  });
  const byName = new Map(nodes.map((n) => [n.name, n]));

  // 2. each link on its own, then endpoints against the nodes
  const rawLinks = Array.isArray(raw["links"]) ? raw["links"] : [];
  interface Pending {
    index: number;
    /** null when something about the link is wrong: it makes no link, but its good ends still use their interfaces */
    input: LinkInput | null;
    ends: [{ node: string; interface?: string }, { node: string; interface?: string }];
    /** ends whose node and interface name are fine: they claim their interface even when the link is wrong,
     * so that a node's interface settings are checked rather than reported as unlinked too */
    usable: [boolean, boolean];
  }
  const pending: Pending[] = [];
  // the names a missing node could have meant: a few, made once (not once per link)
  let names: string | undefined;
  const someNames = () => {
    if (names === undefined) {
      const first = [...nodeIndex.keys()].slice(0, 10);
      names = first.join(", ") + (nodeIndex.size > first.length ? `, … ${count(nodeIndex.size - first.length)} more` : "");
    }
    return names;
  };
  rawLinks.forEach((rawLink, i) => {
    const parsed = LinkSchema.safeParse(rawLink, { reportInput: true });
    let rawEnds: LinkInput["endpoints"];
    if (!parsed.success) {
      c.issues.push(...zodIssues(parsed.error, ["links", i]));
      // a link with, say, a bad VLAN still has endpoints worth checking
      const endsOnly = LinkSchema.shape.endpoints.safeParse((rawLink as { endpoints?: unknown } | null)?.endpoints);
      if (!endsOnly.success) return;
      rawEnds = endsOnly.data;
    } else {
      rawEnds = parsed.data.endpoints;
    }
    const ends = rawEnds.map(parseEndpoint) as Pending["ends"];
    let ok = parsed.success;
    const usable: Pending["usable"] = [true, true];
    ends.forEach((end, j) => {
      const path = ["links", i, "endpoints", j];
      const fail = () => {
        ok = false;
        usable[j] = false;
      };
      const known = nodeIndex.has(end.node);
      if (!known) {
        c.add(path, `no node is named "${end.node}"${nodeIndex.size ? ` (nodes: ${someNames()})` : ""}`);
        fail();
      }
      if (end.interface !== undefined) {
        const problem = ifNameProblem(end.interface);
        if (problem) {
          c.add(path, `interface ${problem}`);
          fail();
        } else if (end.interface === "lo") {
          c.add(path, `"lo" is the loopback interface; a link needs an interface of its own`);
          fail();
        }
      }
      if (known && !byName.has(end.node)) fail(); // the node itself was invalid
    });
    if (usable[0] && usable[1] && ends[0].node === ends[1].node) {
      c.add(["links", i, "endpoints"], `a link cannot join ${ends[0].node} to itself`);
      ok = false;
      usable[1] = false;
    }
    pending.push({ index: i, input: ok && parsed.success ? parsed.data : null, ends, usable });
  });

  // 3. interface names: explicit ones first, then defaults in link order
  const used = new Map<string, Map<string, number>>(); // node -> interface -> link index
  const claim = (node: string, ifname: string, index: number, path: PathPart[]) => {
    let ifs = used.get(node);
    if (!ifs) used.set(node, (ifs = new Map<string, number>()));
    const earlier = ifs.get(ifname);
    if (earlier !== undefined) {
      c.add(path, `${node}:${ifname} is already used by links[${earlier}]`);
      return false;
    }
    ifs.set(ifname, index);
    return true;
  };
  const explicitOk = new Set<number>();
  for (const p of pending) {
    let ok = true;
    p.ends.forEach((end, j) => {
      if (p.usable[j] && end.interface !== undefined && !claim(end.node, end.interface, p.index, ["links", p.index, "endpoints", j])) ok = false;
    });
    if (ok) explicitOk.add(p.index);
  }
  const links: Link[] = [];
  const linkIndexOf = new Map<Link, number>();
  // where each node's search for its next free ethN goes on from (names are only ever taken:
  // a switch with thousands of links is not searched from eth1 again for each)
  const nextEth = new Map<string, number>();
  for (const p of pending) {
    const endpoints = p.ends.map((end, j) => {
      if (end.interface !== undefined || !p.usable[j]) return { node: end.node, interface: end.interface ?? "" };
      const node = byName.get(end.node)!;
      const ifs = used.get(end.node) ?? new Map<string, number>();
      let n = nextEth.get(end.node) ?? (node.kind === "switch" ? 1 : 0);
      while (ifs.has(`eth${n}`)) n++;
      nextEth.set(end.node, n + 1);
      claim(end.node, `eth${n}`, p.index, []);
      return { node: end.node, interface: `eth${n}` };
    }) as [Endpoint, Endpoint];
    if (!p.input || !explicitOk.has(p.index)) continue;
    const link = canonicalLink(p.input, endpoints, ["links", p.index], byName, c);
    if (link) {
      links.push(link);
      linkIndexOf.set(link, p.index);
    }
  }

  // 4. node-level checks that need the links: interface settings, addresses, routes
  const macs = new Map<string, string>();
  rawNodes.forEach((_, i) => {
    const node = nodeAt.get(i);
    if (!node || node.kind === "switch") return;
    if (node.kind === "nat") checkNat(node, ["nodes", i], used.get(node.name) ?? new Map<string, number>(), c);
    else checkHost(node, ["nodes", i], used.get(node.name) ?? new Map<string, number>(), c, macs);
  });

  // 5. loops of switches flood broadcasts for ever unless spanning tree blocks a link
  for (const loop of switchLoops(nodes, links)) {
    const without = loop.switches.filter((s) => !(byName.get(s) as SwitchNode).stp);
    if (without.length === 0) continue;
    c.add(
      ["links", linkIndexOf.get(links[loop.link]!)!],
      `closes a loop of switches (${loop.switches.join(" – ")} – ${loop.switches[0]}), which would flood broadcasts for ever: ` +
        `set "stp: true" on ${without.join(", ")} (spanning tree then blocks one link of the loop), or remove a link`,
    );
  }

  let plan: string | undefined;
  if (typeof raw["addressPlan"] === "string") {
    const parsed = parseCidr(raw["addressPlan"]);
    if (typeof parsed === "string") c.add(["addressPlan"], parsed);
    else if (parsed.ip.family !== 4) c.add(["addressPlan"], "the address plan is an IPv4 network, e.g. 10.0.0.0/24");
    else if (parsed.prefix > 30) c.add(["addressPlan"], "the address plan needs room for hosts (a prefix of /30 or shorter)");
    else plan = formatCidr(networkOf(parsed));
  }
  let exercise: Exercise | undefined;
  if (raw["exercise"] !== undefined) {
    const checked = validateExercise(raw["exercise"], nodes);
    c.issues.push(...checked.issues);
    exercise = checked.exercise;
  }
  if (c.issues.length > 0) return { ok: false, issues: capIssues(c.issues) };
  const lab: Lab = { version: 1, name: labName as string, nodes, links };
  if (exercise) lab.exercise = exercise;
  if (typeof raw["description"] === "string") lab.description = raw["description"];
  if (plan) lab.addressPlan = plan;
  const warnings = labWarnings(lab);
  if (warnings.length > MAX_ISSUES) {
    return {
      ok: true,
      lab,
      warnings: [...warnings.slice(0, MAX_ISSUES), { path: "", node: "", message: `… and ${count(warnings.length - MAX_ISSUES)} more warnings` }],
    };
  }
  return { ok: true, lab, warnings };
}

/** The document has more nodes or links than `limits` allow: said at once, nothing else checked. */
function sizeProblems(input: unknown, limits: LabLimits): LabIssue[] {
  if (typeof input !== "object" || input === null) return [];
  const out: LabIssue[] = [];
  for (const [field, max, what] of [
    ["nodes", limits.maxNodes, "node"],
    ["links", limits.maxLinks, "link"],
  ] as const) {
    const list = (input as Record<string, unknown>)[field];
    if (Array.isArray(list) && list.length > max) {
      out.push({ path: field, message: `the lab has ${count(list.length)} ${what}s; a lab may have at most ${count(max)}` });
    }
  }
  return out;
}

function canonicalNode(input: NodeInput): LabNode {
  const base = {
    name: input.name,
    ...(input.label !== undefined ? { label: input.label } : {}),
    ...(input.position ? { position: { x: input.position.x, y: input.position.y } } : {}),
    ...(input.state === "stopped" ? { state: "stopped" as const } : {}),
  };
  if (input.kind === "switch") {
    return { kind: "switch", ...base, type: input.type ?? "ovs", stp: input.stp ?? false };
  }
  if (input.kind === "nat") {
    const interfaces: Record<string, { addresses: string[] }> = {};
    for (const [name, cfg] of Object.entries(input.interfaces ?? {})) interfaces[name] = { addresses: [...cfg.addresses] };
    return { kind: "nat", ...base, interfaces, defaultRoute: input.defaultRoute ?? true };
  }
  const interfaces: Record<string, Interface> = {};
  for (const [name, cfg] of Object.entries(input.interfaces ?? {})) {
    interfaces[name] = {
      addresses: cfg.addresses ?? [],
      up: cfg.up ?? true,
      ...(cfg.mtu !== undefined ? { mtu: cfg.mtu } : {}),
      ...(cfg.mac !== undefined ? { mac: cfg.mac } : {}),
      ...(cfg.dhcp ? { dhcp: true } : {}),
    };
  }
  const routes: Route[] = (input.routes ?? []).map((r) => ({
    to: r.to,
    ...(r.via !== undefined ? { via: r.via } : {}),
    ...(r.dev !== undefined ? { dev: r.dev } : {}),
    ...(r.metric !== undefined ? { metric: r.metric } : {}),
  }));
  const dhcpServers = (input.services ?? []).filter((x) => x.type === "dhcp-server").length;
  const services: Service[] = (input.services ?? []).map((x) =>
    x.type === "process"
      ? { type: "process", name: x.name, command: [...x.command], ...(x.env ? { env: { ...x.env } } : {}) }
      : {
          type: "dhcp-server",
          name: x.name ?? (dhcpServers === 1 ? "dhcp" : `dhcp-${x.interface}`),
          interface: x.interface,
          range: [x.range[0], x.range[1]],
          lease: x.lease ?? "1h",
          ...(x.gateway !== undefined ? { gateway: x.gateway } : {}),
          ...(x.dns !== undefined ? { dns: [...x.dns] } : {}),
        },
  );
  const sysctls = input.sysctls ? Object.fromEntries(Object.entries(input.sysctls).map(([k, v]) => [k, String(v).trim().replace(/\s+/g, " ")])) : undefined;
  return { kind: input.kind, ...base, interfaces, routes, services, ...(sysctls && Object.keys(sysctls).length ? { sysctls } : {}) };
}

function canonicalLink(input: LinkInput, endpoints: [Endpoint, Endpoint], path: PathPart[], byName: Map<string, LabNode>, c: Collector): Link | null {
  const before = c.issues.length;
  const link: Link = { endpoints };
  const nodes = endpoints.map((e) => byName.get(e.node)!);
  const ovsEnds = nodes.filter((n) => n.kind === "switch" && n.type === "ovs").length;
  const bridgeEnds = nodes.filter((n) => n.kind === "switch" && n.type === "bridge").length;

  if (input.vlan !== undefined && input.trunk !== undefined) {
    c.add([...path, "trunk"], "a switch port is either an access port (vlan) or a trunk, not both");
  }
  for (const field of ["vlan", "trunk"] as const) {
    if (input[field] === undefined) continue;
    if (ovsEnds === 0) {
      c.add(
        [...path, field],
        bridgeEnds > 0
          ? "VLANs are supported on OVS switches (type: ovs), not yet on Linux bridges"
          : "VLANs need a switch: neither end of this link is an OVS switch",
      );
    }
  }
  if (input.vlan !== undefined) link.vlan = input.vlan;
  if (input.trunk !== undefined) {
    const seen = new Set<number>();
    input.trunk.forEach((v, k) => {
      if (seen.has(v)) c.add([...path, "trunk", k], `VLAN ${v} is listed twice`);
      seen.add(v);
    });
    if (input.trunk.length === 0) c.add([...path, "trunk"], "a trunk needs at least one VLAN");
    link.trunk = [...seen].sort((a, b) => a - b);
  }
  const nats = nodes.filter((n) => n.kind === "nat").length;
  if (nats === 2) c.add([...path, "endpoints"], "a link cannot join two NAT gateways");
  if (input.internal) {
    const hostEnds = nodes.filter((n) => isHostLike(n)).length;
    if (ovsEnds !== 1 || hostEnds !== 1) {
      c.add([...path, "internal"], "an internal port joins one OVS switch to one host or router");
    } else {
      link.internal = true;
    }
  }
  if (input.bandwidth !== undefined) {
    const bw = parseBandwidth(input.bandwidth);
    if (typeof bw === "string") c.add([...path, "bandwidth"], bw);
    else link.bandwidth = bw;
  }
  if (input.delay !== undefined) {
    const d = parseDuration(input.delay);
    if (typeof d === "string") c.add([...path, "delay"], d);
    else link.delay = d;
  }
  if (input.jitter !== undefined) {
    const j = parseDuration(input.jitter);
    if (typeof j === "string") c.add([...path, "jitter"], j);
    else if (input.delay === undefined) c.add([...path, "jitter"], "jitter needs a delay too");
    else link.jitter = j;
  }
  if (input.loss !== undefined) {
    if (!(input.loss >= 0 && input.loss <= 100)) c.add([...path, "loss"], `${input.loss} is outside 0..100 (percent)`);
    else link.loss = input.loss;
    if (link.loss !== undefined && !nodes.some(isHostLike)) {
      c.add([...path, "loss"], "loss is applied where the link enters a host or router, and neither end is one");
    }
  }
  if (input.state === "down") {
    if (ovsEnds === 2 && !input.internal) {
      c.add(
        [...path, "state"],
        "a link between two OVS switches is a pair of patch ports, which have no carrier to take down; put a Linux bridge or a router between them",
      );
    } else link.state = "down";
  }
  return c.issues.length === before ? link : null;
}

/**
 * A node's subnets, for "is this address in one of them (on that interface)?" in a time that
 * does not grow with their number: networks by family and prefix length, so a gateway is
 * looked up once per prefix length the node uses, not compared with every address (6,000
 * addresses and routes took 25 s that way). Scope "" is every interface.
 */
class SubnetIndex {
  private nets = new Map<string, Map<bigint, Cidr>>(); // "scope|family/prefix" -> network -> first address in it
  private prefixes = new Map<string, Set<number>>(); // "scope|family" -> prefix lengths
  private firsts = new Map<string, Cidr[]>(); // "scope|family" -> the first few addresses, for messages
  private counts = new Map<string, number>();

  add(ifname: string, net: Cidr): void {
    for (const scope of ["", ifname]) {
      const fk = `${scope}|${net.ip.family}`;
      let ps = this.prefixes.get(fk);
      if (!ps) this.prefixes.set(fk, (ps = new Set()));
      ps.add(net.prefix);
      const nk = `${fk}/${net.prefix}`;
      let m = this.nets.get(nk);
      if (!m) this.nets.set(nk, (m = new Map<bigint, Cidr>()));
      const network = networkOf(net).ip.value;
      if (!m.has(network)) m.set(network, net);
      this.counts.set(fk, (this.counts.get(fk) ?? 0) + 1);
      const f = this.firsts.get(fk) ?? [];
      if (f.length < 5) this.firsts.set(fk, [...f, net]);
    }
  }

  /** The address (with its prefix) whose subnet holds `ip`, on `scope`. */
  find(scope: string, ip: { family: 4 | 6; value: bigint }): Cidr | undefined {
    const bits = ip.family === 4 ? 32 : 128;
    for (const p of this.prefixes.get(`${scope}|${ip.family}`) ?? []) {
      const shift = BigInt(bits - p);
      const hit = this.nets.get(`${scope}|${ip.family}/${p}`)?.get((ip.value >> shift) << shift);
      if (hit) return hit;
    }
    return undefined;
  }

  count(scope: string, family: 4 | 6): number {
    return this.counts.get(`${scope}|${family}`) ?? 0;
  }

  /** A few of the addresses on `scope`, for a message: "10.0.0.1/24, 10.0.1.1/24, … 5,995 more". */
  some(scope: string, family: 4 | 6, show: (c: Cidr) => string): string {
    const f = this.firsts.get(`${scope}|${family}`) ?? [];
    const n = this.count(scope, family);
    return f.map(show).join(", ") + (n > f.length ? `, … ${count(n - f.length)} more` : "");
  }
}

function checkHost(node: HostNode, path: PathPart[], linked: Map<string, number>, c: Collector, macs: Map<string, string>): void {
  const subnets: { ifname: string; net: Cidr; text: string }[] = [];
  const seenAddrs = new Map<string, string>();
  // interfaces with an address that is already reported: checks that need their subnets
  // (a route's gateway, a DHCP server's range) are skipped, so the cause is said once
  const badAddress = new Set<string>();
  for (const [ifname, cfg] of Object.entries(node.interfaces)) {
    const ipath = [...path, "interfaces", ifname];
    const problem = ifNameProblem(ifname);
    if (problem) {
      c.add(ipath, problem);
      continue;
    }
    if (ifname === "lo") {
      if (cfg.mtu !== undefined || cfg.mac !== undefined || !cfg.up) c.add(ipath, "only addresses can be set on lo");
    } else if (!linked.has(ifname)) {
      const names = [...linked.keys()];
      c.add(ipath, `${node.name} has no link on ${ifname}${names.length ? ` (its links use ${names.join(", ")})` : ""}`);
      continue;
    }
    if (cfg.mac !== undefined) {
      const mac = parseMac(cfg.mac);
      if (typeof mac !== "string") c.add([...ipath, "mac"], mac.error);
      else {
        const other = macs.get(mac);
        if (other) c.add([...ipath, "mac"], `${mac} is already the MAC of ${other}`);
        macs.set(mac, `${node.name}:${ifname}`);
        cfg.mac = mac;
      }
    }
    cfg.addresses = cfg.addresses.map((text, k) => {
      const apath = [...ipath, "addresses", k];
      const parsed = parseCidr(text);
      if (typeof parsed === "string") {
        c.add(apath, parsed);
        badAddress.add(ifname);
        return text;
      }
      const canonical = formatCidr(parsed);
      const ipText = formatIp(parsed.ip);
      if (parsed.ip.family === 4 && parsed.prefix <= 30) {
        const net = networkOf(parsed);
        const broadcast = net.ip.value + (1n << BigInt(32 - parsed.prefix)) - 1n;
        if (parsed.ip.value === net.ip.value) c.add(apath, `${ipText} is the network address of ${formatCidr(net)}`);
        else if (parsed.ip.value === broadcast) c.add(apath, `${ipText} is the broadcast address of ${formatCidr(net)}`);
      }
      const other = seenAddrs.get(ipText);
      if (other !== undefined) c.add(apath, `${ipText} is already an address of ${node.name}:${other}`);
      seenAddrs.set(ipText, ifname);
      subnets.push({ ifname, net: parsed, text: canonical });
      return canonical;
    });
  }

  const index = new SubnetIndex();
  for (const sn of subnets) index.add(sn.ifname, sn.net);
  const dhcpIfs = new Set(
    Object.entries(node.interfaces)
      .filter(([, cfg]) => cfg.dhcp)
      .map(([name]) => name),
  );
  const seenRoutes = new Map<string, number>();
  node.routes = node.routes.map((route, k) => {
    const rpath = [...path, "routes", k];
    const target = parseRouteTarget(route.to, route.via);
    if (typeof target === "string") {
      c.add([...rpath, "to"], target);
      return route;
    }
    const out: Route = { ...route, to: formatCidr(target) };
    if (route.via === undefined && route.dev === undefined) {
      c.add(rpath, "a route needs a gateway (via) or an interface (dev)");
    }
    if (route.dev !== undefined && route.dev !== "lo" && !linked.has(route.dev)) {
      c.add([...rpath, "dev"], `${node.name} has no interface ${route.dev}`);
    }
    if (route.via !== undefined) {
      const via = parseIp(route.via);
      if (!via) c.add([...rpath, "via"], `"${route.via}" is not an IPv4 or IPv6 address`);
      else if (via.family !== target.ip.family) {
        c.add([...rpath, "via"], `${route.via} is IPv${via.family} but ${out.to} is IPv${target.ip.family}`);
      } else {
        out.via = formatIp(via);
        const scope = route.dev ?? "";
        const isLinkLocal6 = via.family === 6 && via.value >> 118n === 0x3fan;
        // an interface that takes its address by DHCP may well put the gateway in its subnet
        const byDhcp = via.family === 4 && (route.dev === undefined ? dhcpIfs.size > 0 : dhcpIfs.has(route.dev));
        const causeReported = route.dev === undefined ? badAddress.size > 0 : badAddress.has(route.dev);
        if (!isLinkLocal6 && !byDhcp && !causeReported && !index.find(scope, via)) {
          c.add(
            [...rpath, "via"],
            `${out.via} is not in a subnet of ${node.name}${route.dev ? `:${route.dev}` : ""}` +
              (index.count(scope, via.family) ? ` (${index.some(scope, via.family, formatCidr)})` : ` (it has no IPv${via.family} address)`),
          );
        }
      }
    }
    const key = `${out.to}`;
    const earlier = seenRoutes.get(key);
    if (earlier !== undefined) c.add([...rpath, "to"], `${key} is already routed by routes[${earlier}]`);
    seenRoutes.set(key, k);
    return out;
  });

  for (const [ifname, cfg] of Object.entries(node.interfaces)) {
    if (cfg.dhcp && ifname === "lo") c.add([...path, "interfaces", ifname, "dhcp"], "lo cannot take an address by DHCP");
  }
  checkServices(node, path, linked, index, c, badAddress);
}

const LEASE = /^(infinite|\d+[mhdw]?)$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Why a service's environment variable is refused, or null. No NUL anywhere (execve cannot
 * pass it), a name a shell accepts, and a PATH made of absolute directories only (an empty or
 * relative entry searches the service's run directory). The service's environment reaches its
 * own program only, never the tools topolab runs to start it.
 */
export function envProblem(key: string, value: unknown): string | null {
  if (key.includes("\u0000")) return "the name contains a NUL character";
  if (!ENV_NAME.test(key)) return `"${key}" is not an environment variable name`;
  if (typeof value !== "string") return "must be a text";
  if (value.includes("\u0000")) return "contains a NUL character";
  if (key === "PATH") {
    const bad = value.split(":").find((dir) => !dir.startsWith("/"));
    if (bad !== undefined)
      return bad === ""
        ? "has an empty entry (it would search the current directory)"
        : `has the relative entry "${bad}": PATH entries must be absolute directories`;
  }
  if (key.startsWith("TOPOLAB_")) return `"${key}": names starting with TOPOLAB_ are topolab's own (set for every service)`;
  return null;
}

function checkServices(
  node: HostNode,
  path: PathPart[],
  linked: Map<string, number>,
  index: SubnetIndex,
  c: Collector,
  badAddress: ReadonlySet<string> = new Set(),
): void {
  const names = new Map<string, number>();
  const clientNames = new Set(
    Object.entries(node.interfaces)
      .filter(([, cfg]) => cfg.dhcp)
      .map(([ifname]) => dhcpClientName(ifname)),
  );
  node.services.forEach((svc, k) => {
    const spath = [...path, "services", k];
    const earlier = names.get(svc.name);
    if (earlier !== undefined) c.add([...spath, "name"], `"${svc.name}" is already the name of services[${earlier}]`);
    else if (clientNames.has(svc.name)) c.add([...spath, "name"], `"${svc.name}" is the name of the DHCP client topolab runs`);
    names.set(svc.name, k);
    if (svc.type === "process") {
      if (svc.command.length === 0 || svc.command[0] === "") c.add([...spath, "command"], "needs at least the program to run");
      svc.command.forEach((arg, a) => {
        if (arg.includes("\u0000")) c.add([...spath, "command", a], "contains a NUL character");
      });
      for (const [key, value] of Object.entries(svc.env ?? {})) {
        const problem = envProblem(key, value);
        if (problem) c.add([...spath, "env", key], problem);
      }
      return;
    }
    // a DHCP server: its interface, subnet, range, lease and options
    if (!linked.has(svc.interface)) {
      c.add([...spath, "interface"], `${node.name} has no link on ${svc.interface}`);
      return;
    }
    // its address is wrong and said so: its range and gateway cannot be checked against it
    if (badAddress.has(svc.interface)) return;
    const nets = index.count(svc.interface, 4);
    if (nets === 0) {
      c.add([...spath, "interface"], `a DHCP server needs a static IPv4 address on ${svc.interface}: it serves that subnet`);
      return;
    }
    const ips = svc.range.map((text, r) => {
      const ip = parseIp(text);
      if (!ip || ip.family !== 4) {
        c.add([...spath, "range", r], `"${text}" is not an IPv4 address`);
        return null;
      }
      return ip;
    });
    const [first, last] = ips;
    let net: Cidr | undefined;
    if (first && last) {
      net = index.find(svc.interface, first);
      if (!net) {
        c.add(
          [...spath, "range", 0],
          `${formatIp(first)} is outside ${svc.interface}'s subnet${nets > 1 ? "s" : ""} ${index.some(svc.interface, 4, (x) => formatCidr(networkOf(x)))}`,
        );
      } else if (!contains(net, last)) {
        c.add([...spath, "range", 1], `${formatIp(last)} is outside ${svc.interface}'s subnet ${formatCidr(networkOf(net))}`);
      } else if (first.value > last.value) {
        c.add([...spath, "range"], `the range starts at ${formatIp(first)}, after its end ${formatIp(last)}`);
      }
      svc.range = [formatIp(first), formatIp(last)];
    }
    if (!LEASE.test(svc.lease)) c.add([...spath, "lease"], `"${svc.lease}" is not a lease time (write it like 1h, 30m, 2d, or infinite)`);
    else if (/^\d+$/.test(svc.lease) && Number(svc.lease) < 120)
      c.add([...spath, "lease"], `${svc.lease} seconds is shorter than the shortest lease dnsmasq gives, 120`);
    if (svc.gateway !== undefined) {
      const gw = parseIp(svc.gateway);
      if (!gw || gw.family !== 4) c.add([...spath, "gateway"], `"${svc.gateway}" is not an IPv4 address`);
      else {
        if (net && !contains(net, gw)) c.add([...spath, "gateway"], `${formatIp(gw)} is outside ${svc.interface}'s subnet ${formatCidr(networkOf(net))}`);
        svc.gateway = formatIp(gw);
      }
    }
    if (svc.dns !== undefined) {
      svc.dns = svc.dns.map((text, d) => {
        const ip = parseIp(text);
        if (!ip) {
          c.add([...spath, "dns", d], `"${text}" is not an IP address`);
          return text;
        }
        return formatIp(ip);
      });
    }
  });
}

function checkNat(node: NatNode, path: PathPart[], linked: Map<string, number>, c: Collector): void {
  const links = [...linked.keys()];
  if (links.length !== 1) {
    c.add(
      path,
      links.length === 0
        ? `the NAT gateway ${node.name} has no link: link it to the switch (or host) whose hosts it lets out`
        : `the NAT gateway ${node.name} has ${links.length} links; it takes exactly one, into the segment it lets out`,
    );
    return;
  }
  const ifname = links[0]!;
  for (const name of Object.keys(node.interfaces)) {
    if (name !== ifname) c.add([...path, "interfaces", name], `${node.name}'s link is on ${ifname}, not ${name}`);
  }
  // an own key only: "constructor" must not find Object's
  const cfg = Object.hasOwn(node.interfaces, ifname) ? node.interfaces[ifname] : undefined;
  const v4 = (cfg?.addresses ?? []).map((text, k) => {
    const parsed = parseCidr(text);
    if (typeof parsed === "string") {
      c.add([...path, "interfaces", ifname, "addresses", k], parsed);
      return null;
    }
    if (parsed.ip.family !== 4) {
      c.add([...path, "interfaces", ifname, "addresses", k], "a NAT gateway's addresses are IPv4 (it masquerades IPv4)");
      return null;
    }
    cfg!.addresses[k] = formatCidr(parsed);
    return parsed;
  });
  if (!cfg || cfg.addresses.length === 0) {
    c.add(
      [...path, "interfaces"],
      `the NAT gateway ${node.name} needs an IPv4 address on ${ifname}: the gateway address of the hosts behind it, e.g. {${ifname}: {addresses: [192.168.100.254/24]}}`,
    );
  } else if (v4.some((x) => x && x.prefix > 30)) {
    c.add([...path, "interfaces", ifname, "addresses"], "the gateway's subnet must hold hosts besides the gateway (a prefix of /30 or shorter)");
  }
}

/** Throws LabValidationError unless the document is valid. */
export function parseLab(input: unknown, options: { name?: string } = {}): Lab {
  const result = validateLab(input, options);
  if (!result.ok) throw new LabValidationError(result.issues);
  return result.lab;
}
