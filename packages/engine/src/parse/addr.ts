// `ip -j addr show` parsed: each interface's addresses with family, prefix, scope and origin.
//
// Knows: iproute2's addr_info fields (local, prefixlen, scope, dynamic). Leaves to others:
// running `ip` and comparing addresses with a lab document (drift.ts).

import { jsonArray, num, optStr, ParseError, str } from "./common";

export interface AddressInfo {
  family: "inet" | "inet6";
  /** "10.0.0.1/24" */
  cidr: string;
  address: string;
  prefixlen: number;
  scope: string;
  /** handed out by DHCP or SLAAC (has a lifetime) */
  dynamic: boolean;
}

export interface InterfaceAddresses {
  ifindex: number;
  name: string;
  addresses: AddressInfo[];
}

const SOURCE = "ip -j addr show";

export function parseAddresses(text: string): InterfaceAddresses[] {
  return jsonArray(SOURCE, text).map((o) => {
    const info = o["addr_info"];
    if (info !== undefined && !Array.isArray(info)) throw new ParseError(SOURCE, `addr_info of ${String(o["ifname"])} is not a list`);
    const addresses = ((info ?? []) as Record<string, unknown>[])
      // an address whose lifetime ended is printed as an empty object by some versions
      .filter((a) => Object.keys(a).length > 0)
      .map((a): AddressInfo => {
        const family = str(SOURCE, a, "family");
        if (family !== "inet" && family !== "inet6") throw new ParseError(SOURCE, `unknown address family ${family}`);
        const address = str(SOURCE, a, "local");
        const prefixlen = num(SOURCE, a, "prefixlen");
        return { family, cidr: `${address}/${prefixlen}`, address, prefixlen, scope: optStr(a, "scope") ?? "global", dynamic: a["dynamic"] === true };
      });
    return { ifindex: num(SOURCE, o, "ifindex"), name: str(SOURCE, o, "ifname"), addresses };
  });
}
