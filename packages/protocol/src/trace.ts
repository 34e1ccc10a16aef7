// A trace as the server sends it (live:trace): the hops a packet took from one node to another
// (or an address), each hop's way across the switches on the lab's links, and where and why it
// stopped. The engine's TraceResult, checked at the boundary.
//
// Knows: the request's fields and bounds and the result's shape. Leaves to others: tracing
// (engine trace.ts), drawing (the web app's trace/).

import { z } from "zod";
import { LabNameSchema, NodeNameSchema } from "@topolab/topology";

/** A node, node:interface, or an IPv4/IPv6 address: what a trace goes to. */
export const TraceTargetSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^(?:[A-Za-z0-9][A-Za-z0-9_.-]*(?::[A-Za-z0-9][A-Za-z0-9_.@-]*)?|\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)$/, {
    message: "a node, node:interface, or an address",
  });

export const TraceRequestSchema = z.strictObject({
  lab: LabNameSchema,
  /** a host or router */
  from: NodeNameSchema,
  to: TraceTargetSchema,
  /** traceroute -m; default 8 */
  maxHops: z.number().int().min(1).max(30).optional(),
  /** seconds each probe waits; default 1 */
  timeoutSeconds: z.number().gt(0).max(10).optional(),
  /** probes per hop; default 3 */
  queries: z.number().int().min(1).max(10).optional(),
});
export type TraceRequest = z.infer<typeof TraceRequestSchema>;

const ProbeSchema = z.object({ address: z.string().nullable(), rttMs: z.number().nullable(), mark: z.string().optional() });

export const TraceHopSchema = z.object({
  ttl: z.number(),
  probes: z.array(ProbeSchema),
  /** the first address that answered; null: no probe of the hop got an answer */
  address: z.string().nullable(),
  /** the node and interface that have that address in the kernel */
  node: z.string().optional(),
  interface: z.string().optional(),
  rttMs: z.number().nullable(),
  /** an ICMP unreachable mark: !H, !N, !X… */
  mark: z.string().optional(),
});
export type TraceHopView = z.infer<typeof TraceHopSchema>;

export const TraceSegmentSchema = z.object({
  /** the TTL of the hop this segment reaches; 0 for the expected segment after the stop */
  hop: z.number(),
  from: z.object({ node: z.string(), interface: z.string() }),
  to: z.object({ node: z.string(), interface: z.string(), address: z.string().optional() }),
  /** every node crossed, both ends included */
  nodes: z.array(z.string()),
  /** the lab's links crossed, in order, by their ids (h1:eth0|s1:eth1) */
  links: z.array(z.string()),
  /** how the switches were crossed: a direct link, their MAC tables, or the lab's graph (a switch had not learned the MAC) */
  l2: z.enum(["direct", "mac-table", "graph"]),
  detail: z.string().optional(),
  rttMs: z.number().nullable(),
  /** not crossed: where the packet should have gone after the stop */
  expected: z.boolean().optional(),
});
export type TraceSegmentView = z.infer<typeof TraceSegmentSchema>;

export const TraceStopSchema = z.object({
  /** where the packet died: the mark goes on this node */
  at: z.string(),
  /** the last node that answered (the source when none did) */
  last: z.string(),
  /** the node it should have reached next */
  next: z.string().optional(),
  code: z.enum([
    "no-route",
    "blackhole",
    "link-down",
    "no-neighbour",
    "no-arp",
    "forwarding-off",
    "net-unreachable",
    "host-unreachable",
    "prohibited",
    "unreachable",
    "no-answer",
  ]),
  reason: z.string(),
});

export const TraceSchema = z.object({
  lab: z.string(),
  from: z.string(),
  to: z.string(),
  /** the address traced */
  target: z.string(),
  targetNode: z.string().optional(),
  reached: z.boolean(),
  hops: z.array(TraceHopSchema),
  segments: z.array(TraceSegmentSchema),
  stop: TraceStopSchema.optional(),
  /** the traceroute command as a shell would show it, and what it printed */
  command: z.string(),
  output: z.string(),
  durationMs: z.number(),
});
export type Trace = z.infer<typeof TraceSchema>;
