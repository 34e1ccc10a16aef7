// `bridge -j fdb show br BRIDGE` parsed: a Linux bridge's forwarding database.
//
// Knows: the fields mac, ifname, vlan, flags, master, state; that entries with flag "self"
// belong to the port device itself (not learned by the bridge) and "permanent" ones are the
// bridge's own addresses. Leaves to others: running `bridge`.

import { jsonArray, optNum, optStr, str } from "./common";

export interface BridgeFdbEntry {
  mac: string;
  port: string;
  vlan?: number;
  /** learned by the bridge (not a port's own or a static entry) */
  learned: boolean;
  state: string;
  self: boolean;
}

export function parseBridgeFdb(text: string): BridgeFdbEntry[] {
  return jsonArray("bridge -j fdb show", text).map((o) => {
    const flags = Array.isArray(o["flags"]) ? (o["flags"] as unknown[]).map(String) : [];
    const state = optStr(o, "state") ?? "";
    const vlan = optNum(o, "vlan");
    return {
      mac: str("bridge -j fdb show", o, "mac"),
      port: str("bridge -j fdb show", o, "ifname"),
      ...(vlan !== undefined ? { vlan } : {}),
      learned: state === "" && !flags.includes("self"),
      state,
      self: flags.includes("self"),
    };
  });
}
