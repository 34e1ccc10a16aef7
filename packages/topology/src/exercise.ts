// Exercises: a lab file that carries a task in words and the checks that prove it solved.
//
// Knows: the shape of `exercise:` in a lab file (title, task in Markdown, checks), each kind
// of check and its fields, the retry window (`within: 10s`), and the rules a check must follow
// against the lab it sits in (the nodes and interfaces it names exist and are of the right
// kind). Every problem is reported at once, with its place (`exercise.checks[2].from`).
// Leaves to others: running the probes and judging what they print (the engine's checks), and
// where a lab's kernel objects live (names.ts).

import { z } from "zod";
import { canonicalIp, parseCidr, formatCidr, networkOf, parseMac } from "./address";
import { NODE_NAME, splitNodeIf } from "./names";
import { isHostLike } from "./kinds";
import type { LabNode } from "./schema";
import { formatPath, zodIssues, type LabIssue, type PathPart } from "./validate";

export const CHECK_KINDS = ["reach", "address", "route", "lease", "listen", "http", "neighbour", "mac-table", "sysctl", "command"] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

const text = (max: number) => z.string().min(1).max(max);
const port = z.number().int().min(1).max(65535);

const common = {
  /** a stable name for the check; default c1, c2… in order */
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "must be lower-case letters, digits, - and _ (at most 32)")
    .optional()
    .describe("a stable name for the check (default c1, c2… in order)"),
  description: text(500).describe('what the student sees, e.g. "ns0 reaches ns1"'),
  hint: text(2000).optional().describe("shown only when the student asks for it"),
  within: z.string().optional().describe('how long the check may wait for things to settle, e.g. "10s" (default: no wait)'),
};

const Reach = z.strictObject({
  kind: z.literal("reach"),
  ...common,
  from: z.string().describe("the node that sends"),
  to: z.string().describe("an address, or the name of a node of the lab"),
  protocol: z.enum(["icmp", "tcp"]).optional().describe("icmp (ping, default) or tcp (a connection to port)"),
  port: port.optional().describe("the TCP port (with protocol: tcp)"),
  expect: z.enum(["success", "failure"]).optional().describe('"failure" for "must not reach" (default "success")'),
});
const Address = z.strictObject({
  kind: z.literal("address"),
  ...common,
  node: z.string(),
  interface: z.string(),
  address: z.string().optional().describe("this address (with or without its prefix) is on the interface"),
  subnet: z.string().optional().describe("some address of this subnet is on the interface, e.g. 10.50.50.0/24"),
});
const RouteCheck = z.strictObject({
  kind: z.literal("route"),
  ...common,
  node: z.string(),
  to: z.string().describe("the destination address asked of `ip route get`"),
  via: z.string().optional().describe("the gateway the route must use"),
  dev: z.string().optional().describe("the interface the route must leave by"),
});
const Lease = z.strictObject({
  kind: z.literal("lease"),
  ...common,
  node: z.string(),
  interface: z.string(),
  server: z.string().optional().describe("the DHCP server identifier the lease must come from"),
  subnet: z.string().optional().describe("the leased address must be in this subnet"),
});
const Listen = z.strictObject({
  kind: z.literal("listen"),
  ...common,
  node: z.string(),
  port,
  protocol: z.enum(["tcp", "udp"]).optional(),
  expect: z.enum(["success", "failure"]).optional().describe('"failure": nothing may listen there'),
});
const Http = z.strictObject({
  kind: z.literal("http"),
  ...common,
  from: z.string(),
  to: z.string().describe("an address or a node name"),
  port: port.optional().describe("default 80"),
  path: z
    .string()
    .regex(/^\/[\x21-\x7e]*$/, "must start with / and hold no spaces")
    .max(500)
    .optional(),
  status: z.number().int().min(100).max(599).optional().describe("the expected HTTP status (default 200)"),
  expect: z.enum(["success", "failure"]).optional().describe('"failure": the request must not be answered'),
});
const Neighbour = z.strictObject({
  kind: z.literal("neighbour"),
  ...common,
  node: z.string(),
  address: z.string(),
  mac: z.string().optional().describe("the MAC address the neighbour entry must hold"),
  ping: z.boolean().optional().describe("ping the address first, so that the node asks for its MAC address now"),
});
const MacTable = z.strictObject({
  kind: z.literal("mac-table"),
  ...common,
  switch: z.string(),
  host: z.string().describe('whose MAC the switch must have learned: "node:interface"'),
  port: z.string().optional().describe('on which port, by the link\'s far end: "node:interface" of the switch'),
});
const Sysctl = z.strictObject({
  kind: z.literal("sysctl"),
  ...common,
  node: z.string(),
  key: z.string().regex(/^[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$/, "must be a sysctl key such as net.ipv4.ip_forward"),
  value: z.union([z.string(), z.number()]),
});
const CommandCheck = z.strictObject({
  kind: z.literal("command"),
  ...common,
  node: z.string(),
  command: z.array(z.string()).min(1).describe("the program and its arguments (no shell)"),
  exit: z.number().int().min(0).max(255).optional().describe("the exit status that passes (default 0)"),
  match: z.string().max(500).optional().describe("a regular expression its output must match"),
});

export const CheckSchema = z.discriminatedUnion("kind", [Reach, Address, RouteCheck, Lease, Listen, Http, Neighbour, MacTable, Sysctl, CommandCheck]);
export type CheckInput = z.infer<typeof CheckSchema>;

export const ExerciseSchema = z.strictObject({
  title: text(200),
  task: z.string().max(20_000).optional().describe("the task, in Markdown"),
  checks: z.array(z.unknown()).max(200).optional(),
});

/** A check in canonical form: an id, the retry window in milliseconds, addresses canonical. */
export type Check = CheckInput & { id: string; withinMs: number };

export interface Exercise {
  title: string;
  task: string;
  checks: Check[];
}

const WITHIN = /^(\d+(?:\.\d+)?)\s*(ms|s|m)$/;
/** "10s" -> 10000; at most five minutes. */
export function parseWithin(value: string): number | string {
  const m = WITHIN.exec(value.trim());
  if (!m) return `"${value}" is not a duration such as "10s", "500ms" or "1m"`;
  const ms = Number(m[1]) * (m[2] === "ms" ? 1 : m[2] === "s" ? 1000 : 60_000);
  if (ms > 300_000) return `${value} is longer than the 5 minutes a check may wait`;
  return Math.round(ms);
}

/**
 * Validates `exercise:` against the lab's (already valid) nodes. Returns the canonical exercise
 * and every problem; `issues` empty means it is good.
 */
export function validateExercise(raw: unknown, nodes: readonly LabNode[]): { exercise?: Exercise; issues: LabIssue[] } {
  const issues: LabIssue[] = [];
  const add = (path: PathPart[], message: string) => issues.push({ path: formatPath(["exercise", ...path]), message });
  const top = ExerciseSchema.safeParse(raw, { reportInput: true });
  if (!top.success) {
    issues.push(...zodIssues(top.error, ["exercise"]));
    return { issues };
  }
  const byName = new Map<string, LabNode>();
  for (const n of nodes) byName.set(n.name, n);
  const names = () => [...byName.keys()].join(", ");
  const ids = new Map<string, number>();
  const checks: Check[] = [];
  (top.data.checks ?? []).forEach((rawCheck, i) => {
    const at = (...p: PathPart[]): PathPart[] => ["checks", i, ...p];
    const kind = (rawCheck as { kind?: unknown } | null)?.kind;
    if (typeof rawCheck !== "object" || rawCheck === null || Array.isArray(rawCheck)) {
      add(at(), "must be an object with a kind and a description");
      return;
    }
    if (!CHECK_KINDS.includes(kind as CheckKind)) {
      add(at("kind"), kind === undefined ? `is required (one of ${CHECK_KINDS.join(", ")})` : `must be one of ${CHECK_KINDS.join(", ")}`);
      return;
    }
    const parsed = CheckSchema.safeParse(rawCheck, { reportInput: true });
    if (!parsed.success) {
      issues.push(...zodIssues(parsed.error, ["exercise", ...at()]));
      return;
    }
    const before = issues.length;
    const c = parsed.data;
    const id = c.id ?? `c${i + 1}`;
    const earlier = ids.get(id);
    if (earlier !== undefined) add(at("id"), `"${id}" is already the id of checks[${earlier}]`);
    ids.set(id, i);
    let withinMs = 0;
    if (c.within !== undefined) {
      const w = parseWithin(c.within);
      if (typeof w === "string") add(at("within"), w);
      else withinMs = w;
    }
    // a node that must have a namespace of its own: hosts and routers
    const hostNode = (field: string, name: string): boolean => {
      const n = byName.get(name);
      if (!n) {
        add(at(field), `no node is named "${name}" (nodes: ${names()})`);
        return false;
      }
      if (!isHostLike(n)) {
        add(at(field), `${name} is a ${n.kind === "switch" ? "switch" : "NAT gateway"}: checks run inside a host or a router`);
        return false;
      }
      return true;
    };
    const iface = (field: string, node: string, ifname: string) => {
      const n = byName.get(node);
      if (n && isHostLike(n) && !Object.prototype.hasOwnProperty.call(n.interfaces, ifname)) {
        add(at(field), `${node} has no interface ${ifname} (it has: ${Object.keys(n.interfaces).join(", ") || "none"})`);
      }
    };
    const target = (field: string, value: string) => {
      if (canonicalIp(value)) return;
      if (!NODE_NAME.test(value)) add(at(field), `"${value}" is neither an IP address nor a node name`);
      else if (!byName.has(value)) add(at(field), `"${value}" is neither an IP address nor a node of the lab (nodes: ${names()})`);
    };
    const subnet = (field: string, value: string): string | undefined => {
      const s = parseCidr(value);
      if (typeof s === "string") {
        add(at(field), s);
        return undefined;
      }
      return formatCidr(networkOf(s));
    };
    let out: Check = { ...c, id, withinMs };
    switch (c.kind) {
      case "reach":
      case "http":
        hostNode("from", c.from);
        target("to", c.to);
        if (c.kind === "reach" && c.port !== undefined && c.protocol !== "tcp") add(at("port"), "a port needs protocol: tcp");
        if (c.kind === "reach" && c.protocol === "tcp" && c.port === undefined) add(at("port"), "is required with protocol: tcp");
        break;
      case "address":
        if (hostNode("node", c.node)) iface("interface", c.node, c.interface);
        if (c.address === undefined && c.subnet === undefined) add(at(), "needs an address or a subnet to look for");
        if (c.address !== undefined) {
          const a = canonicalIp(c.address.split("/")[0]!);
          const p = c.address.includes("/") ? parseCidr(c.address) : null;
          if (!a || typeof p === "string") add(at("address"), `"${c.address}" is not an IP address`);
          else out = { ...out, address: c.address.includes("/") ? `${a}/${c.address.split("/")[1]}` : a } as Check;
        }
        if (c.subnet !== undefined) {
          const s = subnet("subnet", c.subnet);
          if (s) out = { ...out, subnet: s } as Check;
        }
        break;
      case "lease":
        if (hostNode("node", c.node)) iface("interface", c.node, c.interface);
        if (c.server !== undefined && !canonicalIp(c.server)) add(at("server"), `"${c.server}" is not an IP address`);
        if (c.subnet !== undefined) {
          const s = subnet("subnet", c.subnet);
          if (s) out = { ...out, subnet: s } as Check;
        }
        break;
      case "route":
        if (hostNode("node", c.node)) {
          if (c.dev !== undefined) iface("dev", c.node, c.dev);
        }
        if (!canonicalIp(c.to)) add(at("to"), `"${c.to}" is not an IP address (ip route get asks about one address)`);
        if (c.via !== undefined && !canonicalIp(c.via)) add(at("via"), `"${c.via}" is not an IP address`);
        if (c.via === undefined && c.dev === undefined) add(at(), "needs via (a gateway) or dev (an interface) to expect");
        break;
      case "listen":
      case "sysctl":
        hostNode("node", c.node);
        break;
      case "neighbour":
        hostNode("node", c.node);
        if (!canonicalIp(c.address)) add(at("address"), `"${c.address}" is not an IP address`);
        if (c.mac !== undefined) {
          const m = parseMac(c.mac);
          if (typeof m !== "string") add(at("mac"), m.error);
          else out = { ...out, mac: m } as Check;
        }
        break;
      case "mac-table": {
        const sw = byName.get(c.switch);
        if (!sw) add(at("switch"), `no node is named "${c.switch}" (nodes: ${names()})`);
        else if (sw.kind !== "switch") add(at("switch"), `${c.switch} is not a switch`);
        const h = splitNodeIf(c.host);
        if (!h) add(at("host"), `"${c.host}" must be "node:interface"`);
        else if (hostNode("host", h.node)) iface("host", h.node, h.interface);
        if (c.port !== undefined && !splitNodeIf(c.port)) add(at("port"), `"${c.port}" must be "switch:interface"`);
        else if (c.port !== undefined && splitNodeIf(c.port)!.node !== c.switch) add(at("port"), `must be a port of ${c.switch} ("${c.switch}:ethN")`);
        break;
      }
      case "command":
        hostNode("node", c.node);
        if (c.match !== undefined) {
          try {
            new RegExp(c.match);
          } catch (e) {
            add(at("match"), `is not a regular expression: ${(e as Error).message}`);
          }
        }
        if (c.command.some((a) => a.includes("\0"))) add(at("command"), "an argument holds a NUL character");
        break;
    }
    if (issues.length === before) checks.push(out);
  });
  if (issues.length) return { issues };
  return { exercise: { title: top.data.title, task: top.data.task ?? "", checks }, issues };
}

/** The exercise as a lab file writes it: the retry window as written, no derived fields. */
export function exerciseToInput(exercise: Exercise): Record<string, unknown> {
  return {
    title: exercise.title,
    ...(exercise.task ? { task: exercise.task } : {}),
    checks: exercise.checks.map(({ withinMs: _w, ...rest }) => rest),
  };
}
