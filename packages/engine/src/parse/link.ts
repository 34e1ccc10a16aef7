// `ip -j -s -d link show` parsed: interfaces with state, carrier, MAC, MTU and counters.
//
// Knows: iproute2's JSON link fields (flags, operstate, stats64, linkinfo, link_netnsid) and
// how carrier is told (LOWER_UP present, NO-CARRIER absent, on an admin-up interface).
// Leaves to others: running `ip` (inspect.ts) and deciding what a state means for a lab.

import { jsonArray, num, optNum, optStr, ParseError, str } from "./common";

export interface LinkCounters {
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

export interface LinkState {
  ifindex: number;
  name: string;
  /** veth, bridge, openvswitch, tun, …; "" for a plain device such as lo */
  kind: string;
  /** administratively up (UP flag) */
  adminUp: boolean;
  /** the lower layer is up: for a veth, its peer is up */
  carrier: boolean;
  /** operstate as the kernel says: UP, DOWN, LOWERLAYERDOWN, UNKNOWN */
  operstate: string;
  mac: string;
  mtu: number;
  flags: string[];
  master?: string;
  alias?: string;
  /** the peer's ifindex (veth) */
  peerIfindex?: number;
  /** set when the peer lives in another namespace */
  peerNetnsid?: number;
  counters: LinkCounters | null;
}

const SOURCE = "ip -j -s -d link show";

function counters(o: Record<string, unknown>): LinkCounters | null {
  const s = o["stats64"] ?? o["stats"];
  if (typeof s !== "object" || s === null) return null;
  const rx = (s as Record<string, Record<string, unknown>>)["rx"];
  const tx = (s as Record<string, Record<string, unknown>>)["tx"];
  if (!rx || !tx) throw new ParseError(SOURCE, `stats of ${String(o["ifname"])} without rx or tx`);
  return {
    rxBytes: num(SOURCE, rx, "bytes"),
    rxPackets: num(SOURCE, rx, "packets"),
    rxErrors: num(SOURCE, rx, "errors"),
    rxDropped: num(SOURCE, rx, "dropped"),
    txBytes: num(SOURCE, tx, "bytes"),
    txPackets: num(SOURCE, tx, "packets"),
    txErrors: num(SOURCE, tx, "errors"),
    txDropped: num(SOURCE, tx, "dropped"),
  };
}

export function parseLinks(text: string): LinkState[] {
  return jsonArray(SOURCE, text).map((o) => {
    const flags = Array.isArray(o["flags"]) ? (o["flags"] as unknown[]).map(String) : [];
    const info = (o["linkinfo"] ?? {}) as Record<string, unknown>;
    const adminUp = flags.includes("UP");
    const peerIfindex = optNum(o, "link_index");
    const peerNetnsid = optNum(o, "link_netnsid");
    const master = optStr(o, "master");
    const alias = optStr(o, "ifalias");
    return {
      ifindex: num(SOURCE, o, "ifindex"),
      name: str(SOURCE, o, "ifname"),
      kind: optStr(info, "info_kind") ?? "",
      adminUp,
      carrier: flags.includes("LOWER_UP") && !flags.includes("NO-CARRIER"),
      operstate: optStr(o, "operstate") ?? "UNKNOWN",
      mac: optStr(o, "address") ?? "",
      mtu: num(SOURCE, o, "mtu"),
      flags,
      ...(master !== undefined ? { master } : {}),
      ...(alias !== undefined ? { alias } : {}),
      ...(peerIfindex !== undefined ? { peerIfindex } : {}),
      ...(peerNetnsid !== undefined ? { peerNetnsid } : {}),
      counters: counters(o),
    };
  });
}
