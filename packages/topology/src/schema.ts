// The lab document: what a person writes in a lab file and what the canvas edits.
//
// Knows: the shape of a lab (nodes, links, interface settings, routes, link shaping, canvas
// positions) as zod schemas, in two forms: the input form (short-hands allowed, such as
// "h1" for an endpoint whose interface name is chosen for you) and the canonical form that
// validate.ts produces (every interface named, every value normalised).
// Leaves to others: cross-references between nodes and links (validate.ts), kernel names
// (names.ts), and anything that touches the kernel.

import { z } from "zod";
import type { Exercise } from "./exercise";
import { IF_NAME, ifNameProblem, LAB_NAME, labNameProblem, NODE_NAME, nodeNameProblem, reservedKeyProblem, SERVICE_NAME, serviceNameProblem } from "./names";

const problemCheck = (problem: (v: unknown) => string | null) => (value: string, ctx: z.RefinementCtx) => {
  const reason = problem(value);
  if (reason) ctx.addIssue({ code: "custom", message: reason });
};

/**
 * A record whose keys are a person's names (interfaces, environment variables, nodes): a key
 * such as `__proto__` or `constructor` is refused by name. (zod's own record drops a
 * `__proto__` key without a word, and what was stored under it would vanish.)
 */
export function safeRecord<V extends z.ZodType, K extends z.ZodType<string> = z.ZodString>(value: V, key?: K) {
  return z.preprocess(
    (input, ctx) => {
      if (typeof input === "object" && input !== null && !Array.isArray(input)) {
        for (const key of Object.keys(input)) {
          const problem = reservedKeyProblem(key);
          if (problem) ctx.addIssue({ code: "custom", path: [key], message: problem, input });
        }
      }
      return input;
    },
    z.record((key ?? z.string()) as K, value),
  );
}

export const LabNameSchema = z
  .string()
  .superRefine(problemCheck(labNameProblem))
  .meta({ pattern: LAB_NAME.source, description: "lab name: lower-case letters, digits, - and _, at most 32" });
export const NodeNameSchema = z
  .string()
  .superRefine(problemCheck(nodeNameProblem))
  .meta({ pattern: NODE_NAME.source, description: "node name: letters, digits, - and _, at most 32" });
export const IfNameSchema = z
  .string()
  .superRefine(problemCheck(ifNameProblem))
  .meta({ pattern: IF_NAME.source, description: "interface name: at most 15 bytes, no /, :, white space or leading -" });

/** An integer in lo..hi, with a message that says so. */
export function intIn(lo: number, hi: number) {
  return z
    .number()
    .superRefine((v, ctx) => {
      if (!Number.isInteger(v)) ctx.addIssue({ code: "custom", message: `${v} is not a whole number` });
      else if (v < lo || v > hi) ctx.addIssue({ code: "custom", message: `${v} is outside ${lo}..${hi}` });
    })
    .meta({ type: "integer", minimum: lo, maximum: hi });
}

export const VlanSchema = intIn(1, 4094);

// zod 4: z.number() refuses Infinity and NaN itself
export const PositionSchema = z.strictObject({ x: z.number(), y: z.number() });

export const InterfaceSchema = z.strictObject({
  /** static addresses, "10.0.0.1/24" or "fd00::1/64" */
  addresses: z.array(z.string()).optional().describe('static addresses, e.g. ["10.0.0.1/24", "fd00::1/64"]'),
  mtu: intIn(68, 65535).optional(),
  mac: z.string().optional().describe("unicast MAC address, e.g. 02:00:00:00:00:01"),
  /** administrative state; default up */
  up: z.boolean().optional().describe("administrative state (default true)"),
  /** take an address by DHCP (a DHCP client runs inside the node) */
  dhcp: z.boolean().optional().describe("take an IPv4 address by DHCP (dhclient runs inside the node)"),
});

export const ServiceNameSchema = z
  .string()
  .superRefine(problemCheck(serviceNameProblem))
  .meta({ pattern: SERVICE_NAME.source, description: "service name: lower-case letters, digits, - and _, at most 32" });

/** dnsmasq serving DHCP on one interface of the node. */
export const DhcpServerSchema = z.strictObject({
  type: z.literal("dhcp-server"),
  name: ServiceNameSchema.optional(),
  interface: z.string().describe("the interface it serves (it needs an IPv4 address there)"),
  range: z.tuple([z.string(), z.string()]).describe("first and last address it hands out, e.g. [10.50.50.10, 10.50.50.100]"),
  lease: z.string().optional().describe('lease time: "1h" (default), "30m", "12h", "2d", "infinite"'),
  gateway: z.string().optional().describe("default gateway given to clients (DHCP option 3)"),
  dns: z.array(z.string()).optional().describe("DNS servers given to clients (DHCP option 6)"),
});

/** Any program, run inside the node after its network is up. */
export const ProcessSchema = z.strictObject({
  type: z.literal("process"),
  name: ServiceNameSchema,
  command: z.array(z.string()).describe('the program and its arguments, e.g. [python3, -m, http.server, "8080"] (no shell)'),
  env: safeRecord(z.string()).optional().describe("extra environment variables"),
});

export const ServiceSchema = z.discriminatedUnion("type", [DhcpServerSchema, ProcessSchema]);

export const RouteSchema = z.strictObject({
  /** "default" (IPv4 or IPv6, from `via`), "default6", or a prefix such as 10.2.0.0/16 */
  to: z.string().describe('"default" (IPv4, or IPv6 when via is IPv6), "default6", or a prefix such as 10.2.0.0/16'),
  via: z.string().optional().describe("gateway address"),
  dev: IfNameSchema.optional(),
  metric: intIn(0, 4294967295).optional(),
});

const nodeBase = {
  name: NodeNameSchema,
  label: z.string().max(200).optional(),
  position: PositionSchema.optional().describe("where the node sits on the canvas"),
  /** stopped: every link of the node loses carrier (as if its cables were pulled) */
  state: z.enum(["running", "stopped"]).optional().describe("stopped: every link of the node loses carrier (default running)"),
};

const hostFields = {
  ...nodeBase,
  interfaces: safeRecord(InterfaceSchema).optional(),
  routes: z.array(RouteSchema).optional(),
  services: z.array(ServiceSchema).optional().describe("programs topolab runs and watches inside the node"),
  sysctls: z
    .record(
      z.string().regex(/^net\.[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$/, "must be a network sysctl of the node's namespace, such as net.ipv4.ip_forward"),
      z.union([z.number(), z.string().regex(/^[A-Za-z0-9 ._:-]{1,64}$/, "must be a short value: letters, digits, spaces and . _ : -")]),
    )
    .optional()
    .describe("network sysctls set inside the node, e.g. {net.ipv4.ip_forward: 0} (a router has forwarding on unless it says otherwise)"),
};

export const HostNodeSchema = z.strictObject({ kind: z.literal("host"), ...hostFields });
/** A host with IPv4 and IPv6 forwarding on. */
export const RouterNodeSchema = z.strictObject({ kind: z.literal("router"), ...hostFields });
export const SwitchNodeSchema = z.strictObject({
  kind: z.literal("switch"),
  ...nodeBase,
  /** ovs: an Open vSwitch bridge (default); bridge: a Linux bridge, which needs no OVS */
  type: z.enum(["ovs", "bridge"]).optional().describe("ovs: an Open vSwitch bridge (default); bridge: a Linux bridge, which needs no OVS"),
  /** spanning tree, for labs with loops */
  stp: z.boolean().optional().describe("spanning tree, for labs with loops"),
});

/**
 * A NAT gateway, as Mininet's: the lab segment it is linked to reaches the machine's own
 * network through it (an address in the root namespace, forwarding, a MASQUERADE rule).
 */
export const NatNodeSchema = z.strictObject({
  kind: z.literal("nat"),
  ...nodeBase,
  interfaces: safeRecord(z.strictObject({ addresses: z.array(z.string()) }))
    .optional()
    .describe("the gateway address(es) on its link into the lab, e.g. {eth0: {addresses: [192.168.100.254/24]}}"),
  defaultRoute: z.boolean().optional().describe("give hosts in its subnet that have no default route one via this gateway (default true)"),
});

export const NodeSchema = z.discriminatedUnion("kind", [HostNodeSchema, RouterNodeSchema, SwitchNodeSchema, NatNodeSchema]);

export const EndpointSchema = z.union([z.string(), z.strictObject({ node: z.string(), interface: z.string().optional() })]);

export const LinkSchema = z.strictObject({
  endpoints: z.tuple([EndpointSchema, EndpointSchema]).describe('the two ends, "node:interface" or "node" (the next free interface)'),
  /** access VLAN on every OVS switch end of the link */
  vlan: VlanSchema.optional().describe("access VLAN on the OVS switch end(s)"),
  /** trunk VLANs on every OVS switch end of the link */
  trunk: z.array(VlanSchema).optional().describe("trunk VLANs on the OVS switch end(s)"),
  /** an OVS internal port moved into the host instead of a veth pair */
  internal: z.boolean().optional().describe("an OVS internal port moved into the host instead of a veth pair"),
  /** rate limit in Mbit/s (a number), or a text such as "10mbit", "500kbit", "1gbit" */
  bandwidth: z.union([z.number(), z.string()]).optional().describe('rate limit: Mbit/s, or a text such as "10mbit", "500kbit"'),
  /** one-way delay such as "10ms" (needs netem) */
  delay: z.string().optional().describe('one-way delay such as "10ms" (needs netem)'),
  /** delay variation such as "2ms" (needs netem and a delay) */
  jitter: z.string().optional().describe('delay variation such as "2ms" (needs netem)'),
  /** packet loss in percent, 0..100 (needs netem) */
  loss: z.number().optional().describe("packet loss in percent, on packets into the link's first host end (an nftables rule: no netem needed)"),
  /** down: the cable is pulled; both ends lose carrier while the hosts' interfaces stay up */
  state: z.enum(["up", "down"]).optional().describe("down: the cable is pulled, both ends see NO-CARRIER (default up)"),
});

export const LabInputSchema = z.strictObject({
  version: z.literal(1).optional(),
  name: z.string().optional(),
  description: z.string().max(4000).optional(),
  addressPlan: z.string().optional().describe("the lab's IPv4 address plan, e.g. 10.0.0.0/24: the canvas suggests the next free address from it"),
  nodes: z.array(z.unknown()),
  links: z.array(z.unknown()).optional(),
  exercise: z.unknown().optional().describe("a task and the checks that prove it solved (see docs/exercises.md)"),
});

export type InterfaceConfig = z.infer<typeof InterfaceSchema>;
export type RouteInput = z.infer<typeof RouteSchema>;
export type HostNodeInput = z.infer<typeof HostNodeSchema>;
export type SwitchNodeInput = z.infer<typeof SwitchNodeSchema>;
export type NodeInput = z.infer<typeof NodeSchema>;
export type LinkInput = z.infer<typeof LinkSchema>;
export type ServiceInput = z.infer<typeof ServiceSchema>;

// ---- canonical form (output of validateLab) ----

export interface Position {
  x: number;
  y: number;
}

export interface Route {
  /** canonical prefix, e.g. "0.0.0.0/0", "10.2.0.0/16", "::/0" */
  to: string;
  via?: string;
  dev?: string;
  metric?: number;
}

export interface Interface {
  addresses: string[];
  mtu?: number;
  mac?: string;
  up: boolean;
  dhcp?: boolean;
}

export interface DhcpServerService {
  type: "dhcp-server";
  name: string;
  interface: string;
  /** canonical addresses */
  range: [string, string];
  /** dnsmasq's form: "1h", "45m", "infinite" */
  lease: string;
  gateway?: string;
  dns?: string[];
}

export interface ProcessService {
  type: "process";
  name: string;
  command: string[];
  env?: Record<string, string>;
}

export type Service = DhcpServerService | ProcessService;

export interface HostNode {
  kind: "host" | "router";
  name: string;
  label?: string;
  position?: Position;
  /** every link of the node has lost carrier */
  state?: "stopped";
  interfaces: Record<string, Interface>;
  routes: Route[];
  services: Service[];
  /** network sysctls set inside the node, values as text */
  sysctls?: Record<string, string>;
}

export interface SwitchNode {
  kind: "switch";
  name: string;
  label?: string;
  position?: Position;
  state?: "stopped";
  type: "ovs" | "bridge";
  stp: boolean;
}

export interface NatNode {
  kind: "nat";
  name: string;
  label?: string;
  position?: Position;
  state?: "stopped";
  interfaces: Record<string, { addresses: string[] }>;
  defaultRoute: boolean;
}

export type LabNode = HostNode | SwitchNode | NatNode;

export interface Endpoint {
  node: string;
  interface: string;
}

export interface Link {
  endpoints: [Endpoint, Endpoint];
  /** the cable is pulled: both ends without carrier */
  state?: "down";
  vlan?: number;
  trunk?: number[];
  internal?: boolean;
  /** Mbit/s */
  bandwidth?: number;
  /** milliseconds */
  delay?: number;
  /** milliseconds */
  jitter?: number;
  /** percent */
  loss?: number;
}

export interface Lab {
  version: 1;
  name: string;
  description?: string;
  /** canonical IPv4 network, e.g. 10.0.0.0/24 */
  addressPlan?: string;
  nodes: LabNode[];
  links: Link[];
  /** a task and its checks (exercise.ts) */
  exercise?: Exercise;
}
