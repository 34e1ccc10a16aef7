// `ip -j route show table all` (IPv4 and `-6`) parsed: routes with their proto and table.
//
// Knows: iproute2's route fields (dst "default" or a prefix or a bare address, gateway,
// protocol, table, type, metric). Routes of the main table, of unicast type, are what a person
// means by "the routes"; local/broadcast/multicast ones are kept but marked.
// Leaves to others: running `ip` and deciding which routes are the lab's (drift.ts).

import { jsonArray, optNum, optStr, str } from "./common";

export interface RouteInfo {
  family: 4 | 6;
  /** canonical: "0.0.0.0/0", "::/0", "10.1.0.0/16", a bare address gets /32 or /128 */
  to: string;
  via?: string;
  dev?: string;
  /** kernel, static, boot, dhcp, ra, … ("boot" when unset: what `ip route add` gives by hand) */
  proto: string;
  table: string;
  /** unicast, local, broadcast, multicast, unreachable, … */
  type: string;
  metric?: number;
  scope?: string;
  src?: string;
}

/**
 * Routes of one family (`ip -4`/`ip -6 route show`), or "mixed": both, as `route show` prints
 * them inside an `ip -batch` after `addr show`. Mixed routes are told apart by their own fields:
 * an IPv6 route has an IPv6 destination or gateway, or a `pref` (IPv4 routes never have one).
 */
export function parseRoutes(text: string, familyOf: 4 | 6 | "mixed"): RouteInfo[] {
  const source = `ip -j ${familyOf === 6 ? "-6 " : familyOf === 4 ? "-4 " : ""}route show table all`;
  return jsonArray(source, text).map((o) => {
    const dst = str(source, o, "dst");
    const family: 4 | 6 = familyOf !== "mixed" ? familyOf : dst.includes(":") || (optStr(o, "gateway") ?? "").includes(":") || o["pref"] !== undefined ? 6 : 4;
    const to = dst === "default" ? (family === 6 ? "::/0" : "0.0.0.0/0") : dst.includes("/") ? dst : `${dst}/${family === 6 ? 128 : 32}`;
    const via = optStr(o, "gateway");
    const dev = optStr(o, "dev");
    const metric = optNum(o, "metric");
    const scope = optStr(o, "scope");
    const src = optStr(o, "prefsrc");
    return {
      family,
      to,
      ...(via !== undefined ? { via } : {}),
      ...(dev !== undefined ? { dev } : {}),
      proto: optStr(o, "protocol") ?? "boot",
      table: optStr(o, "table") ?? "main",
      type: optStr(o, "type") ?? "unicast",
      ...(metric !== undefined ? { metric } : {}),
      ...(scope !== undefined ? { scope } : {}),
      ...(src !== undefined ? { src } : {}),
    };
  });
}
