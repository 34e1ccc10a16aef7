// A node read in full from the kernel, as live:inspect answers it (the engine's NodeInspect,
// inspect.ts): for a host or router its interfaces (state, carrier, MAC, MTU, addresses,
// counters), routes, neighbours, listening sockets and processes; for an OVS switch its ports
// (VLAN mode, tag, trunks, OpenFlow port, statistics) and MAC table; for a Linux bridge its
// ports and forwarding database. Every object is strict: a field the engine adds, renames or
// drops without this contract is refused with its path, not carried to the browser unchecked.
//
// Knows: the shapes (zod) of the answer. The engine's types are the same shapes written as
// TypeScript interfaces (the engine does not depend on the protocol): the server checks at
// compile time that the two are the same (apps/server/src/server/live.ts) and parses every
// answer before it sends it. Leaves to others: reading the kernel (engine), drawing (the web's
// LiveTabs).

import { z } from "zod";
import { CountersSchema, LiveInterfaceSchema, LiveNeighbourSchema, LiveRouteSchema, MacEntrySchema } from "./live";

const int = z.number().int();
const count = int.min(0);
/** 802.1Q VLAN ids (0: untagged in a Linux bridge's view) */
const vlan = int.min(0).max(4095);
const mac = z.string().regex(/^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i, { message: "a MAC address (aa:bb:cc:dd:ee:ff)" });

export const InspectAddressSchema = z.strictObject({
  family: z.enum(["inet", "inet6"]),
  /** "10.0.0.1/24" */
  cidr: z.string(),
  address: z.string(),
  prefixlen: int.min(0).max(128),
  /** global, link, host */
  scope: z.string(),
  /** handed out by DHCP or SLAAC */
  dynamic: z.boolean(),
});
export type InspectAddress = z.infer<typeof InspectAddressSchema>;

export const InspectCountersSchema = z.strictObject(CountersSchema.shape);
export type InspectCounters = z.infer<typeof InspectCountersSchema>;

export const InspectInterfaceSchema = z.strictObject({
  // name (the kernel's), interface (the lab's, when it differs), adminUp, carrier, operstate,
  // mac (as the kernel prints it: a tunnel's is an address), mtu: as the live state has them
  ...LiveInterfaceSchema.shape,
  /** veth, openvswitch, bridge…; "" for a plain device such as lo */
  kind: z.string(),
  mtu: count,
  /** link-local ones too */
  addresses: z.array(InspectAddressSchema),
  counters: InspectCountersSchema.nullable(),
  /** "s1:eth1": the other end of its link, from the document */
  peer: z.string().optional(),
});
export type InspectInterface = z.infer<typeof InspectInterfaceSchema>;

export const InspectRouteSchema = z.strictObject(LiveRouteSchema.shape);
export type InspectRoute = z.infer<typeof InspectRouteSchema>;

export const InspectNeighbourSchema = z.strictObject(LiveNeighbourSchema.shape);
export type InspectNeighbour = z.infer<typeof InspectNeighbourSchema>;

export const InspectSocketSchema = z.strictObject({
  protocol: z.enum(["tcp", "udp"]),
  state: z.string(),
  /** "0.0.0.0", "::", "10.0.0.1", "*" (any) */
  address: z.string(),
  port: int.min(0).max(65535),
  /** the interface a socket is bound to (addr%dev) */
  dev: z.string().optional(),
  processes: z.array(z.strictObject({ name: z.string(), pid: count, fd: count })),
});
export type InspectSocket = z.infer<typeof InspectSocketSchema>;

export const InspectProcessSchema = z.strictObject({ pid: count, name: z.string(), command: z.string() });
export type InspectProcess = z.infer<typeof InspectProcessSchema>;

export const HostInspectSchema = z.strictObject({
  kind: z.enum(["host", "router"]),
  lab: z.string(),
  node: z.string(),
  /** its namespace */
  ns: z.string(),
  interfaces: z.array(InspectInterfaceSchema),
  routes: z.array(InspectRouteSchema),
  neighbours: z.array(InspectNeighbourSchema),
  sockets: z.array(InspectSocketSchema),
  processes: z.array(InspectProcessSchema),
});
export type HostInspectView = z.infer<typeof HostInspectSchema>;

export const InspectOvsPortSchema = z.strictObject({
  bridge: z.string(),
  /** the kernel port name */
  name: z.string(),
  /** access, trunk, native-tagged, native-untagged, dot1q-tunnel */
  vlanMode: z.string(),
  tag: vlan.optional(),
  trunks: z.array(vlan),
  /** null: OVS has not given it one (yet), or could not open the device */
  ofport: int.nullable(),
  /** "" (system), internal, patch */
  type: z.string(),
  mac: mac.optional(),
  linkState: z.string().optional(),
  /** OVS's own counters by name (rx_bytes, tx_dropped…) */
  statistics: z.record(z.string(), z.number()),
  /** the lab's endpoint of this port, "s1:eth1" */
  endpoint: z.string().optional(),
  /** the other end of its link, "h1:eth0" */
  peer: z.string().optional(),
});
export type InspectOvsPort = z.infer<typeof InspectOvsPortSchema>;

/** The live view's MAC entry (port: the kernel port name or LOCAL; endpoint "s1:eth1"; peer "h1:eth0"), checked closer, with more. */
export const InspectMacEntrySchema = z.strictObject({
  ...MacEntrySchema.shape,
  mac,
  vlan,
  ofport: int,
  /** seconds; null for a static entry */
  age: count.nullable(),
  /** the lab's node:interface whose MAC this is, when the lab has it */
  owner: z.string().optional(),
});
export type InspectMacEntry = z.infer<typeof InspectMacEntrySchema>;

/** What every switch's answer starts with: the lab, the node and its bridge's kernel name. */
const SwitchHead = { lab: z.string(), node: z.string(), bridge: z.string() };

export const OvsInspectSchema = z.strictObject({
  kind: z.literal("ovs"),
  ...SwitchHead,
  ports: z.array(InspectOvsPortSchema),
  macs: z.array(InspectMacEntrySchema),
});
export type OvsInspectView = z.infer<typeof OvsInspectSchema>;

/** A Linux bridge's port: an interface in the root namespace, with the lab's endpoint. */
export const InspectBridgePortSchema = InspectInterfaceSchema.extend({ endpoint: z.string().optional() });
export type InspectBridgePort = z.infer<typeof InspectBridgePortSchema>;

export const InspectFdbEntrySchema = z.strictObject({
  mac,
  /** the kernel port name */
  port: z.string(),
  vlan: vlan.optional(),
  /** learned by the bridge (not a port's own or a static entry) */
  learned: z.boolean(),
  state: z.string(),
  /** the port device's own entry */
  self: z.boolean(),
  endpoint: z.string().optional(),
  peer: z.string().optional(),
});
export type InspectFdbEntry = z.infer<typeof InspectFdbEntrySchema>;

export const BridgeInspectSchema = z.strictObject({
  kind: z.literal("bridge"),
  ...SwitchHead,
  ports: z.array(InspectBridgePortSchema),
  fdb: z.array(InspectFdbEntrySchema),
});
export type BridgeInspectView = z.infer<typeof BridgeInspectSchema>;

/** A node read in full: its shape depends on the node's kind. */
export const InspectSchema = z.discriminatedUnion("kind", [HostInspectSchema, OvsInspectSchema, BridgeInspectSchema]);
export type Inspect = z.infer<typeof InspectSchema>;
