// The lab document: what a person writes in a lab file and what the canvas edits.
//
// Knows: the shape of a lab (nodes, links, interface settings, routes, link shaping, canvas
// positions) as zod schemas, in two forms: the input form (short-hands allowed, such as
// "h1" for an endpoint whose interface name is chosen for you) and the canonical form that
// validate.ts produces (every interface named, every value normalised).
// Leaves to others: cross-references between nodes and links (validate.ts), kernel names
// (names.ts), and anything that touches the kernel.

import { z } from "zod";
import { IF_NAME, ifNameProblem, LAB_NAME, labNameProblem, NODE_NAME, nodeNameProblem } from "./names";

const problemCheck = (problem: (v: unknown) => string | null) => (value: string, ctx: z.RefinementCtx) => {
  const reason = problem(value);
  if (reason) ctx.addIssue({ code: "custom", message: reason });
};

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

export const PositionSchema = z.strictObject({ x: z.number().finite(), y: z.number().finite() });

export const InterfaceSchema = z.strictObject({
  /** static addresses, "10.0.0.1/24" or "fd00::1/64" */
  addresses: z.array(z.string()).optional().describe('static addresses, e.g. ["10.0.0.1/24", "fd00::1/64"]'),
  mtu: intIn(68, 65535).optional(),
  mac: z.string().optional().describe("unicast MAC address, e.g. 02:00:00:00:00:01"),
  /** administrative state; default up */
  up: z.boolean().optional().describe("administrative state (default true)"),
});

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
};

const hostFields = {
  ...nodeBase,
  interfaces: z.record(z.string(), InterfaceSchema).optional(),
  routes: z.array(RouteSchema).optional(),
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

export const NodeSchema = z.discriminatedUnion("kind", [HostNodeSchema, RouterNodeSchema, SwitchNodeSchema]);

export const EndpointSchema = z.union([
  z.string(),
  z.strictObject({ node: z.string(), interface: z.string().optional() }),
]);

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
  loss: z.number().optional().describe("packet loss in percent (needs netem)"),
});

export const LabInputSchema = z.strictObject({
  version: z.literal(1).optional(),
  name: z.string().optional(),
  description: z.string().max(4000).optional(),
  nodes: z.array(z.unknown()),
  links: z.array(z.unknown()).optional(),
});

export type InterfaceConfig = z.infer<typeof InterfaceSchema>;
export type RouteInput = z.infer<typeof RouteSchema>;
export type HostNodeInput = z.infer<typeof HostNodeSchema>;
export type SwitchNodeInput = z.infer<typeof SwitchNodeSchema>;
export type NodeInput = z.infer<typeof NodeSchema>;
export type LinkInput = z.infer<typeof LinkSchema>;

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
}

export interface HostNode {
  kind: "host" | "router";
  name: string;
  label?: string;
  position?: Position;
  interfaces: Record<string, Interface>;
  routes: Route[];
}

export interface SwitchNode {
  kind: "switch";
  name: string;
  label?: string;
  position?: Position;
  type: "ovs" | "bridge";
  stp: boolean;
}

export type LabNode = HostNode | SwitchNode;

export interface Endpoint {
  node: string;
  interface: string;
}

export interface Link {
  endpoints: [Endpoint, Endpoint];
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
  nodes: LabNode[];
  links: Link[];
}

export function isHostLike(node: LabNode): node is HostNode {
  return node.kind === "host" || node.kind === "router";
}
