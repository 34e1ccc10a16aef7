// Display filters for the capture panel and the CLI: words separated by spaces, all of which
// must match a packet (AND); a word starting with "!" must not match. A word is
//   a protocol        arp, ip, ipv6, icmp, icmpv6, tcp, udp, dhcp, dns, http, vlan, eth
//   port N            (or port:N) either port
//   host A / A        an IPv4, IPv6 or MAC address anywhere in the packet
//   vlan N            (or vlan:N) an 802.1Q id
//   if:NODE[:IF]      where it was captured
//   anything else     free text, case-insensitive, in the summary
// Pure: it sees decoded packets, never bytes.
import type { Decoded } from "./decode";

export type Filterable = Pick<Decoded, "summary" | "protocols" | "addresses" | "ports" | "vlans"> & { iface?: string };

const PROTOCOLS = new Set(["eth", "vlan", "arp", "ip", "ipv4", "ipv6", "icmp", "icmpv6", "tcp", "udp", "dhcp", "bootp", "dns", "mdns", "http", "data"]);

type Test = (p: Filterable) => boolean;

/** Compiles a display filter; the empty string matches everything. */
export function compileFilter(text: string): Test {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const tests: Test[] = [];
  for (let i = 0; i < words.length; i++) {
    let w = words[i]!;
    const neg = w.startsWith("!");
    if (neg) w = w.slice(1);
    let t: Test;
    const lower = w.toLowerCase();
    const kv = /^(port|host|vlan|if):(.+)$/i.exec(w);
    let key = kv ? kv[1]!.toLowerCase() : "";
    let val = kv ? kv[2]! : "";
    if (!kv && (lower === "port" || lower === "host" || lower === "vlan" || lower === "if") && i + 1 < words.length) {
      key = lower;
      val = words[++i]!;
    }
    if (key === "port") {
      const n = Number(val);
      t = (p) => p.ports.includes(n);
    } else if (key === "vlan") {
      const n = Number(val);
      t = (p) => p.vlans.includes(n);
    } else if (key === "host") {
      const a = val.toLowerCase();
      t = (p) => p.addresses.includes(a);
    } else if (key === "if") {
      const a = val.toLowerCase();
      t = (p) => !!p.iface && (p.iface.toLowerCase() === a || p.iface.toLowerCase().startsWith(`${a}:`));
    } else if (PROTOCOLS.has(lower)) {
      const name = lower === "ipv4" ? "ip" : lower === "bootp" ? "dhcp" : lower;
      t = (p) => p.protocols.includes(name);
    } else if (/^[\d.]+$/.test(w) && w.split(".").length === 4) {
      t = (p) => p.addresses.includes(w);
    } else if (/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(w) || (w.includes(":") && /^[0-9a-f:]+$/i.test(w) && w.split(":").length > 2)) {
      t = (p) => p.addresses.includes(lower);
    } else {
      t = (p) => p.summary.toLowerCase().includes(lower) || (!!p.iface && p.iface.toLowerCase().includes(lower));
    }
    tests.push(neg ? (p) => !t(p) : t);
  }
  return (p) => tests.every((t) => t(p));
}
