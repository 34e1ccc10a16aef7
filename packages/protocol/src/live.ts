// Live state of a running lab, as the socket.io contract carries it: a snapshot when a browser
// starts watching (live:watch), then versioned, numbered events (live:event) as the kernel
// changes; a node read in full on request (live:inspect, its answer in inspect.ts); drift between kernel and document
// (live:drift) and putting the kernel back (live:restore). The drift is also pushed: the
// snapshot carries it, and live:event "drift" carries each node's new items as they change (the
// server keeps it once per lab, so browsers never ask for a full read). Taking the kernel's state into the
// document is an ordinary lab:edit with the changes each drift item carries (so it is undoable
// and every browser sees it).
//
// Knows: the shapes (zod) and the version of the live events. Leaves to others: reading the
// kernel (engine monitor/inspect/drift), who watches (the server), drawing (the web).

import { z } from "zod";
import { ChangeSchema } from "./changes";
import { PingAllPairSchema } from "./pingall";

/** Raised when a live payload changes incompatibly (the socket protocol's version stays). */
export const LIVE_VERSION = 1 as const;

export const LiveInterfaceSchema = z.object({
  name: z.string(),
  /** the lab's name for it, when the kernel's differs (internal ports) */
  interface: z.string().optional(),
  adminUp: z.boolean(),
  carrier: z.boolean(),
  operstate: z.string(),
  mac: z.string(),
  mtu: z.number(),
  /** without link-local ones */
  addresses: z.array(z.string()),
});

export const LiveRouteSchema = z.object({
  family: z.union([z.literal(4), z.literal(6)]),
  to: z.string(),
  via: z.string().optional(),
  dev: z.string().optional(),
  /** kernel, static (topolab's), boot (by hand), dhcp, ra */
  proto: z.string(),
  table: z.string(),
  type: z.string(),
  metric: z.number().optional(),
  scope: z.string().optional(),
  src: z.string().optional(),
});

export const LiveNeighbourSchema = z.object({
  family: z.union([z.literal(4), z.literal(6)]),
  address: z.string(),
  dev: z.string(),
  mac: z.string().optional(),
  state: z.string(),
  router: z.boolean(),
});

export const LiveNodeSchema = z.object({
  interfaces: z.array(LiveInterfaceSchema),
  routes: z.array(LiveRouteSchema),
  neighbours: z.array(LiveNeighbourSchema),
});
export type LiveNode = z.infer<typeof LiveNodeSchema>;

/** A link's switch-side (root namespace) end. */
export const LivePortSchema = z.object({ name: z.string(), endpoint: z.string(), adminUp: z.boolean(), carrier: z.boolean() });
export type LivePort = z.infer<typeof LivePortSchema>;

export const CountersSchema = z.object({
  rxBytes: z.number(),
  rxPackets: z.number(),
  rxErrors: z.number(),
  rxDropped: z.number(),
  txBytes: z.number(),
  txPackets: z.number(),
  txErrors: z.number(),
  txDropped: z.number(),
});
/** bits and packets per second, as this end receives and sends */
export const RateSchema = z.object({ rxBps: z.number(), txBps: z.number(), rxPps: z.number(), txPps: z.number() });

export const MacEntrySchema = z.object({ mac: z.string(), vlan: z.number(), port: z.string(), endpoint: z.string().optional(), peer: z.string().optional() });

export const DriftItemSchema = z.object({
  id: z.string(),
  node: z.string(),
  kind: z.enum(["address", "route", "interface", "link"]),
  /** hand: in the kernel, not in the document; missing: in the document, not in the kernel */
  origin: z.enum(["hand", "missing"]),
  text: z.string(),
  /** the lab:edit changes that take this item's kernel state into the document */
  adopt: z.array(ChangeSchema),
});
export type DriftItemView = z.infer<typeof DriftItemSchema>;

export const DriftSchema = z.object({
  lab: z.string(),
  items: z.array(DriftItemSchema),
  /** the lab:edit changes that take every item into the document at once */
  adoptAll: z.array(ChangeSchema),
});
export type Drift = z.infer<typeof DriftSchema>;

export const LiveEventSchema = z.discriminatedUnion("type", [
  /** a host or router changed; state null: its namespace is gone (stopped or removed) */
  z.object({
    type: z.literal("node"),
    node: z.string(),
    state: LiveNodeSchema.nullable(),
    kinds: z.array(z.string()),
    changes: z.array(z.string()),
    at: z.number(),
  }),
  z.object({ type: z.literal("ports"), ports: z.array(LivePortSchema), changes: z.array(z.string()), at: z.number() }),
  /** per endpoint "node:if": counters, and rates since the previous sample (only while someone asked for rates) */
  z.object({ type: z.literal("counters"), at: z.number(), counters: z.record(z.string(), CountersSchema), rates: z.record(z.string(), RateSchema) }),
  z.object({ type: z.literal("macs"), node: z.string(), entries: z.array(MacEntrySchema), at: z.number() }),
  z.object({ type: z.literal("error"), message: z.string(), at: z.number() }),
  /**
   * the drift changed (the server keeps it per lab, from its live reads and the document): each
   * node named has these items now (an empty list: none left), every other node's stay; adoptAll
   * is the whole lab's again
   */
  z.object({ type: z.literal("drift"), nodes: z.record(z.string(), z.array(DriftItemSchema)), adoptAll: z.array(ChangeSchema), at: z.number() }),
]);
export type LiveEvent = z.infer<typeof LiveEventSchema>;

export const LiveSnapshotSchema = z.object({
  lab: z.string(),
  version: z.literal(LIVE_VERSION),
  /** the number of the last event folded into this snapshot; live:event numbers follow on */
  seq: z.number(),
  nodes: z.record(z.string(), LiveNodeSchema.nullable()),
  ports: z.array(LivePortSchema),
  /** the lab's drift as the server keeps it (live:event "drift" changes it after) */
  drift: DriftSchema,
});
export type LiveSnapshot = z.infer<typeof LiveSnapshotSchema>;

/** One live:event: `seq` grows by one per lab; a gap means events were missed (watch again). */
export const LiveEventMessageSchema = z.object({ lab: z.string(), version: z.literal(LIVE_VERSION), seq: z.number(), event: LiveEventSchema });

/** Mininet's pingall: every host pings every other (the first IPv4 address of each). */
export const PingAllSchema = z.object({
  lab: z.string(),
  /** each pair with what fping said about it (pingall.ts) */
  pairs: z.array(PingAllPairSchema),
  sent: z.number(),
  received: z.number(),
  /** percent */
  dropped: z.number(),
  /** hosts without an IPv4 address to ping */
  unaddressed: z.array(z.string()),
});
export type PingAll = z.infer<typeof PingAllSchema>;
