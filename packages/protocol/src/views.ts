// What the server sends about labs and terminals: the shapes the canvas renders.
//
// Knows: a lab in the list, an open lab (document, revision, status), the kernel's view of a
// lab (the same shape as the engine's LabStatus, which the server checks at compile time), a
// command-log entry, a template, a terminal. Leaves to others: producing them (the server).

import { z } from "zod";
import type { Lab } from "@topolab/topology";

export const InterfaceStatusSchema = z.object({
  name: z.string(),
  kernelName: z.string().optional(),
  state: z.enum(["up", "down", "missing"]),
  mac: z.string().optional(),
  mtu: z.number().optional(),
  addresses: z.array(z.string()),
  /** the other end of its link, "s1:eth1" */
  peer: z.string().optional(),
});

export const NodeStatusSchema = z.object({
  name: z.string(),
  kind: z.string(),
  type: z.string().optional(),
  state: z.enum(["up", "down", "degraded"]),
  namespace: z.string().optional(),
  interfaces: z.array(InterfaceStatusSchema),
  /** what is missing or different, in words */
  problems: z.array(z.string()),
});

/** The kernel's view of a lab. `orphan`: objects in the kernel with no document; `foreign`: another state directory's objects (`owner`). */
export const LabStatusSchema = z.object({
  name: z.string(),
  tag: z.string().optional(),
  running: z.boolean(),
  state: z.enum(["up", "down", "degraded", "orphan", "foreign"]),
  owner: z.object({ id: z.string(), stateDir: z.string().optional() }).optional(),
  updatedAt: z.string().optional(),
  source: z.string().optional(),
  nodes: z.array(NodeStatusSchema),
});
export type LabStatusView = z.infer<typeof LabStatusSchema>;

/** A canonical lab document (topology's `Lab`): every interface named, every value normalised. */
export const LabSchema = z.custom<Lab>(
  (v) => typeof v === "object" && v !== null && Array.isArray((v as Lab).nodes) && Array.isArray((v as Lab).links),
  "not a lab document",
);

/** One kernel command, as the plain shell command it amounts to, with its result. */
export const LogEntrySchema = z.object({
  /** ISO time it completed */
  time: z.string(),
  command: z.string(),
  ok: z.boolean(),
  /** the kernel's or tool's message when it failed */
  error: z.string().optional(),
  /** the operation it belongs to, e.g. "netns:tl.demo.h1" */
  op: z.string(),
});
export type LogEntry = z.infer<typeof LogEntrySchema>;

export const LabSummarySchema = z.object({
  name: z.string(),
  /** whether its kernel objects should exist (false: stopped, document kept) */
  running: z.boolean(),
  nodes: z.number(),
  links: z.number(),
  description: z.string().optional(),
  /** the file or template it came from */
  source: z.string().optional(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
});
export type LabSummary = z.infer<typeof LabSummarySchema>;

export const LabViewSchema = LabSummarySchema.omit({ nodes: true, links: true }).extend({
  /** increases by one with every document this server sends for the lab */
  revision: z.number(),
  document: LabSchema,
  /** the kernel's view; absent when it could not be read */
  status: LabStatusSchema.optional(),
  /** the lab's most recent kernel commands (the last 200 this server ran), oldest first */
  log: z.array(LogEntrySchema),
});
export type LabView = z.infer<typeof LabViewSchema>;

export const PlanSummarySchema = z.object({ create: z.number(), update: z.number(), delete: z.number() });

export const EditResultSchema = z.object({
  revision: z.number(),
  /** nothing changed: the document was already so */
  unchanged: z.boolean(),
  /** whether the kernel was touched (not for moves, labels, or a stopped lab) */
  kernel: z.boolean(),
  summary: PlanSummarySchema,
});
export type EditResult = z.infer<typeof EditResultSchema>;

export const TemplateInfoSchema = z.object({
  /** file name without .yaml: what lab:create's template takes */
  id: z.string(),
  /** the first comment line of the file */
  title: z.string(),
  /** the comment lines after it */
  description: z.string(),
  /** the lab name the file gives, if any */
  lab: z.string().optional(),
  /** an exercise: a lab with a task and checks (from the templates' exercises/ folder) */
  exercise: z.boolean().optional(),
});
export type TemplateInfo = z.infer<typeof TemplateInfoSchema>;

/** A browser as others see it: the name it gives itself (handshake `client`) and its address. */
export const ClientInfoSchema = z.object({ name: z.string(), address: z.string() });
export type ClientInfo = z.infer<typeof ClientInfoSchema>;

export const TerminalInfoSchema = z.object({
  id: z.string(),
  lab: z.string(),
  node: z.string(),
  cols: z.number(),
  rows: z.number(),
  createdAt: z.string(),
  /** the browser that opened it */
  openedBy: ClientInfoSchema.optional(),
  /** the browser that holds it now; absent while none does (it ends after the reattach window) */
  attachedBy: ClientInfoSchema.optional(),
  /** since when no browser holds it (ISO time) */
  detachedAt: z.string().optional(),
  /** the browsers that watch it read-only (term:watch); absent: none */
  watchers: z.array(ClientInfoSchema).optional(),
  /** who has taken it over from its owner (term:takeover), until they give it back */
  takenOverBy: ClientInfoSchema.optional(),
});
export type TerminalInfo = z.infer<typeof TerminalInfoSchema>;

export const CapabilitiesSchema = z.object({
  ovs: z.object({ available: z.boolean(), reason: z.string().optional(), datapath: z.enum(["system", "netdev"]) }),
  netem: z.boolean(),
  tbf: z.boolean(),
});
