// `ip -j neigh show` parsed: ARP and NDP entries with their state.
//
// Knows: iproute2's neighbour fields (dst, dev, lladdr, state list, router flag).
// Leaves to others: running `ip`.

import { jsonArray, optStr, str } from "./common";

export interface NeighbourInfo {
  family: 4 | 6;
  address: string;
  dev: string;
  /** absent for an entry that never resolved (INCOMPLETE, FAILED) */
  mac?: string;
  /** REACHABLE, STALE, DELAY, PROBE, FAILED, INCOMPLETE, PERMANENT, NOARP */
  state: string;
  router: boolean;
}

const SOURCE = "ip -j neigh show";

export function parseNeighbours(text: string): NeighbourInfo[] {
  return jsonArray(SOURCE, text).map((o) => {
    const address = str(SOURCE, o, "dst");
    const mac = optStr(o, "lladdr");
    const state = Array.isArray(o["state"]) ? (o["state"] as unknown[]).map(String).join(",") : "NONE";
    return {
      family: address.includes(":") ? 6 : 4,
      address,
      dev: str(SOURCE, o, "dev"),
      ...(mac !== undefined ? { mac } : {}),
      state,
      router: o["router"] === null || o["router"] === true,
    };
  });
}
