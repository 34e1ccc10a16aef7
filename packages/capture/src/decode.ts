// The frame decoder: one captured frame's bytes -> a one-line summary like tcpdump's or
// Wireshark's, its source, destination and protocol, and a field tree in which every field
// knows its byte offset and length (for the hex dump). Ethernet (802.1Q/802.1ad tags), Linux
// cooked captures, ARP, IPv4, IPv6 (extension headers skipped), ICMP, ICMPv6 (echo, neighbour
// discovery, MLD), TCP, UDP, DHCP, DNS, and the first line of HTTP.
//
// It never throws on bad input: a frame that ends early or carries impossible values comes
// back with `malformed` saying what and where, and with every layer and field read before.
// Pure: no I/O, runs in the browser and in Node. DNS is decoded here rather than with an npm
// package: the maintained ones (dns-packet) need Node's Buffer in the browser, and the part
// needed (questions and answers) is small.

export interface Field {
  name: string;
  /** The value as shown; for a layer, its one-line description. */
  value: string;
  /** Byte offset in the frame and length (a bit field has the length of its bytes). */
  offset: number;
  length: number;
  children?: Field[];
}

export interface Decoded {
  summary: string;
  /** The highest protocol decoded: "ARP", "ICMP", "ICMPv6", "TCP", "UDP", "DHCP", "DNS", "HTTP", "IPv4", ... */
  protocol: string;
  src: string;
  dst: string;
  /** Length on the wire. */
  length: number;
  /** One field per layer, its children the layer's fields. */
  layers: Field[];
  /** Why the frame could not be read to its end (what was read is in layers). */
  malformed?: string;
  /** Every protocol met, lower-case ("eth", "vlan", "arp", "ip", "ipv6", "icmp", "icmpv6", "tcp", "udp", "dhcp", "dns", "http"). */
  protocols: string[];
  /** MAC and IP addresses met, and ports, for display filters. */
  addresses: string[];
  ports: number[];
  /** 802.1Q VLAN ids, outermost first. */
  vlans: number[];
}

export const LINKTYPE = { NULL: 0, ETHERNET: 1, RAW: 101, LINUX_SLL: 113, LINUX_SLL2: 276 } as const;

class Truncated extends Error {
  constructor(
    readonly what: string,
    readonly needed: number,
    readonly have: number,
  ) {
    super(`${what}: truncated (needs ${needed} bytes, frame has ${have})`);
  }
}

class Bad extends Error {}

/** The decoding state of one frame. */
class Frame {
  readonly dv: DataView;
  layers: Field[] = [];
  protocols: string[] = [];
  addresses: string[] = [];
  ports: number[] = [];
  vlans: number[] = [];
  protocol = "Ethernet";
  summary = "";
  src = "";
  dst = "";
  constructor(readonly b: Uint8Array) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  need(off: number, len: number, what: string): void {
    if (off + len > this.b.length) throw new Truncated(what, off + len, this.b.length);
  }
  u8(off: number, what: string): number {
    this.need(off, 1, what);
    return this.b[off]!;
  }
  u16(off: number, what: string): number {
    this.need(off, 2, what);
    return this.dv.getUint16(off);
  }
  u32(off: number, what: string): number {
    this.need(off, 4, what);
    return this.dv.getUint32(off);
  }
  layer(name: string, proto: string, offset: number, length: number): Field {
    const l: Field = { name, value: "", offset, length: Math.max(0, Math.min(length, this.b.length - offset)), children: [] };
    this.layers.push(l);
    this.protocols.push(proto);
    return l;
  }
}

function add(parent: Field, name: string, value: string | number, offset: number, length: number, children?: Field[]): Field {
  const f: Field = { name, value: String(value), offset, length };
  if (children) f.children = children;
  (parent.children ??= []).push(f);
  return f;
}

const hex = (n: number, digits: number) => `0x${n.toString(16).padStart(digits, "0")}`;

export function mac(b: Uint8Array, off: number): string {
  let s = "";
  for (let i = 0; i < 6; i++) s += (i ? ":" : "") + b[off + i]!.toString(16).padStart(2, "0");
  return s;
}

export function ipv4(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** RFC 5952 text: lower case, the longest run of zero groups (of two or more) as "::". */
export function ipv6(b: Uint8Array, off: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const part = (a: number[]) => a.map((x) => x.toString(16)).join(":");
  if (best < 0) return part(g);
  return `${part(g.slice(0, best))}::${part(g.slice(best + bestLen))}`;
}

const ETHERTYPES: Record<number, string> = { 0x0800: "IPv4", 0x0806: "ARP", 0x86dd: "IPv6", 0x8100: "802.1Q", 0x88a8: "802.1ad", 0x88cc: "LLDP" };

/** Decodes one frame. Never throws. */
export function decode(frame: Uint8Array, linktype: number = LINKTYPE.ETHERNET, length: number = frame.length): Decoded {
  const f = new Frame(frame);
  let malformed: string | undefined;
  try {
    if (linktype === LINKTYPE.ETHERNET) ethernet(f, 0);
    else if (linktype === LINKTYPE.LINUX_SLL) sll(f);
    else if (linktype === LINKTYPE.LINUX_SLL2) sll2(f);
    else if (linktype === LINKTYPE.RAW) ip(f, 0);
    else {
      f.protocol = `linktype ${linktype}`;
      f.summary = `link type ${linktype} (not decoded), ${frame.length} bytes`;
    }
  } catch (e) {
    if (e instanceof Truncated || e instanceof Bad) malformed = e.message;
    else malformed = `decoder error: ${(e as Error).message}`;
  }
  const d: Decoded = {
    summary: f.summary || f.protocol,
    protocol: f.protocol,
    src: f.src,
    dst: f.dst,
    length,
    layers: f.layers,
    protocols: f.protocols,
    addresses: f.addresses,
    ports: f.ports,
    vlans: f.vlans,
  };
  if (malformed !== undefined) {
    d.malformed = malformed;
    d.summary = `${d.summary} [malformed: ${malformed}]`;
  }
  return d;
}

function ethernet(f: Frame, off: number): void {
  const l = f.layer("Ethernet II", "eth", off, 14);
  f.need(off, 12, "Ethernet addresses");
  const dst = mac(f.b, off);
  const src = mac(f.b, off + 6);
  add(l, "Destination", dst, off, 6);
  add(l, "Source", src, off + 6, 6);
  f.src = src;
  f.dst = dst;
  f.addresses.push(src, dst);
  l.value = `${src} → ${dst}`;
  f.summary = `Ethernet ${src} → ${dst}`;
  let p = off + 12;
  let type = f.u16(p, "Ethernet type");
  add(l, "Type", `${hex(type, 4)}${ETHERTYPES[type] ? ` (${ETHERTYPES[type]})` : ""}`, p, 2);
  p += 2;
  while (type === 0x8100 || type === 0x88a8) {
    const v = f.layer(type === 0x8100 ? "802.1Q Virtual LAN" : "802.1ad Service VLAN", "vlan", p, 4);
    const tci = f.u16(p, "802.1Q tag");
    const id = tci & 0x0fff;
    f.vlans.push(id);
    add(v, "Priority", tci >> 13, p, 2);
    add(v, "DEI", (tci >> 12) & 1, p, 2);
    add(v, "ID", id, p, 2);
    type = f.u16(p + 2, "802.1Q type");
    add(v, "Type", `${hex(type, 4)}${ETHERTYPES[type] ? ` (${ETHERTYPES[type]})` : ""}`, p + 2, 2);
    v.value = `VLAN ${id}, priority ${tci >> 13}`;
    p += 4;
  }
  if (type <= 1500) {
    f.protocol = "LLC";
    f.summary = `802.3 LLC, length ${type}`;
    return;
  }
  etherPayload(f, type, p);
}

function etherPayload(f: Frame, type: number, p: number): void {
  if (type === 0x0806) arp(f, p);
  else if (type === 0x0800 || type === 0x86dd) ip(f, p, type);
  else {
    f.protocol = ETHERTYPES[type] ?? hex(type, 4);
    f.summary = `Ethernet type ${hex(type, 4)}${ETHERTYPES[type] ? ` (${ETHERTYPES[type]})` : ""}, ${f.b.length - p} bytes`;
  }
}

function sll(f: Frame): void {
  const l = f.layer("Linux cooked capture", "sll", 0, 16);
  const pkt = f.u16(0, "SLL packet type");
  const halen = f.u16(4, "SLL address length");
  add(l, "Packet type", pkt, 0, 2);
  if (halen === 6) {
    f.need(6, 6, "SLL address");
    f.src = mac(f.b, 6);
    add(l, "Source", f.src, 6, 6);
  }
  const type = f.u16(14, "SLL protocol");
  add(l, "Protocol", hex(type, 4), 14, 2);
  etherPayload(f, type, 16);
}

function sll2(f: Frame): void {
  const l = f.layer("Linux cooked capture v2", "sll", 0, 20);
  const type = f.u16(0, "SLL2 protocol");
  add(l, "Protocol", hex(type, 4), 0, 2);
  const halen = f.u8(11, "SLL2 address length");
  if (halen === 6) {
    f.need(12, 6, "SLL2 address");
    f.src = mac(f.b, 12);
    add(l, "Source", f.src, 12, 6);
  }
  etherPayload(f, type, 20);
}

function arp(f: Frame, p: number): void {
  const l = f.layer("Address Resolution Protocol", "arp", p, 28);
  f.protocol = "ARP";
  const htype = f.u16(p, "ARP hardware type");
  const ptype = f.u16(p + 2, "ARP protocol type");
  const hlen = f.u8(p + 4, "ARP hardware size");
  const plen = f.u8(p + 5, "ARP protocol size");
  const op = f.u16(p + 6, "ARP opcode");
  add(l, "Hardware type", htype === 1 ? "Ethernet (1)" : htype, p, 2);
  add(l, "Protocol type", hex(ptype, 4), p + 2, 2);
  add(l, "Hardware size", hlen, p + 4, 1);
  add(l, "Protocol size", plen, p + 5, 1);
  const opName = op === 1 ? "request" : op === 2 ? "reply" : `opcode ${op}`;
  add(l, "Opcode", `${opName} (${op})`, p + 6, 2);
  if (htype !== 1 || ptype !== 0x0800 || hlen !== 6 || plen !== 4) {
    f.summary = `ARP ${opName}, hardware ${htype}/${hlen}, protocol ${hex(ptype, 4)}/${plen}`;
    return;
  }
  f.need(p + 8, 20, "ARP addresses");
  const sha = mac(f.b, p + 8);
  const spa = ipv4(f.b, p + 14);
  const tha = mac(f.b, p + 18);
  const tpa = ipv4(f.b, p + 24);
  add(l, "Sender MAC address", sha, p + 8, 6);
  add(l, "Sender IP address", spa, p + 14, 4);
  add(l, "Target MAC address", tha, p + 18, 6);
  add(l, "Target IP address", tpa, p + 24, 4);
  f.addresses.push(sha, spa, tha, tpa);
  if (op === 1) f.summary = spa === tpa ? `ARP announcement ${spa} is-at ${sha}` : `ARP who-has ${tpa} tell ${spa}`;
  else if (op === 2) f.summary = `ARP ${spa} is-at ${sha}`;
  else f.summary = `ARP ${opName} ${spa} → ${tpa}`;
  l.value = opName;
}

const IP_PROTOCOLS: Record<number, string> = {
  0: "Hop-by-hop options",
  1: "ICMP",
  2: "IGMP",
  6: "TCP",
  17: "UDP",
  41: "IPv6",
  43: "Routing",
  44: "Fragment",
  47: "GRE",
  50: "ESP",
  58: "ICMPv6",
  59: "No next header",
  60: "Destination options",
  89: "OSPF",
  112: "VRRP",
  132: "SCTP",
};

interface IpInfo {
  src: string;
  dst: string;
  v6: boolean;
}

function ip(f: Frame, p: number, ethertype?: number): void {
  const version = f.u8(p, "IP version") >> 4;
  if (ethertype === 0x0800 || (ethertype === undefined && version === 4)) ipv4Layer(f, p);
  else if (ethertype === 0x86dd || (ethertype === undefined && version === 6)) ipv6Layer(f, p);
  else throw new Bad(`IP version ${version} is neither 4 nor 6`);
}

function ipv4Layer(f: Frame, p: number): void {
  const b0 = f.u8(p, "IPv4 header");
  const ihl = (b0 & 0x0f) * 4;
  const l = f.layer("Internet Protocol Version 4", "ip", p, Math.max(ihl, 20));
  f.protocol = "IPv4";
  add(l, "Version", b0 >> 4, p, 1);
  add(l, "Header length", `${ihl} bytes`, p, 1);
  if (b0 >> 4 !== 4) throw new Bad(`IPv4: version field is ${b0 >> 4}`);
  if (ihl < 20) throw new Bad(`IPv4: header length ${ihl} is less than 20`);
  const tos = f.u8(p + 1, "IPv4 TOS");
  add(l, "Differentiated services", hex(tos, 2), p + 1, 1);
  const total = f.u16(p + 2, "IPv4 total length");
  add(l, "Total length", total, p + 2, 2);
  add(l, "Identification", `${hex(f.u16(p + 4, "IPv4 id"), 4)} (${f.u16(p + 4, "IPv4 id")})`, p + 4, 2);
  const ff = f.u16(p + 6, "IPv4 flags");
  const flags = [ff & 0x4000 ? "DF" : "", ff & 0x2000 ? "MF" : ""].filter(Boolean);
  const fragOff = (ff & 0x1fff) * 8;
  add(l, "Flags", flags.length ? flags.join(", ") : "none", p + 6, 1);
  add(l, "Fragment offset", fragOff, p + 6, 2);
  const ttl = f.u8(p + 8, "IPv4 TTL");
  add(l, "Time to live", ttl, p + 8, 1);
  const proto = f.u8(p + 9, "IPv4 protocol");
  add(l, "Protocol", `${IP_PROTOCOLS[proto] ?? "unknown"} (${proto})`, p + 9, 1);
  add(l, "Header checksum", hex(f.u16(p + 10, "IPv4 checksum"), 4), p + 10, 2);
  f.need(p + 12, 8, "IPv4 addresses");
  const src = ipv4(f.b, p + 12);
  const dst = ipv4(f.b, p + 16);
  add(l, "Source address", src, p + 12, 4);
  add(l, "Destination address", dst, p + 16, 4);
  if (ihl > 20) {
    f.need(p + 20, ihl - 20, "IPv4 options");
    add(l, "Options", `${ihl - 20} bytes`, p + 20, ihl - 20);
  }
  f.src = src;
  f.dst = dst;
  f.addresses.push(src, dst);
  l.value = `${src} → ${dst}, ttl ${ttl}`;
  f.summary = `IPv4 ${src} → ${dst} ${IP_PROTOCOLS[proto] ?? `proto ${proto}`}`;
  if (total < ihl) throw new Bad(`IPv4: total length ${total} is less than the header (${ihl})`);
  if (fragOff > 0) {
    f.summary = `IPv4 fragment ${src} → ${dst} ${IP_PROTOCOLS[proto] ?? `proto ${proto}`} offset ${fragOff}`;
    return;
  }
  const end = Math.min(p + total, f.b.length);
  transport(f, proto, p + ihl, end, { src, dst, v6: false });
}

function ipv6Layer(f: Frame, p: number): void {
  const l = f.layer("Internet Protocol Version 6", "ipv6", p, 40);
  f.protocol = "IPv6";
  const w = f.u32(p, "IPv6 header");
  if (w >>> 28 !== 6) throw new Bad(`IPv6: version field is ${w >>> 28}`);
  add(l, "Version", 6, p, 1);
  add(l, "Traffic class", hex((w >>> 20) & 0xff, 2), p, 2);
  add(l, "Flow label", hex(w & 0xfffff, 5), p + 1, 3);
  const plen = f.u16(p + 4, "IPv6 payload length");
  add(l, "Payload length", plen, p + 4, 2);
  let next = f.u8(p + 6, "IPv6 next header");
  add(l, "Next header", `${IP_PROTOCOLS[next] ?? "unknown"} (${next})`, p + 6, 1);
  const hlim = f.u8(p + 7, "IPv6 hop limit");
  add(l, "Hop limit", hlim, p + 7, 1);
  f.need(p + 8, 32, "IPv6 addresses");
  const src = ipv6(f.b, p + 8);
  const dst = ipv6(f.b, p + 24);
  add(l, "Source address", src, p + 8, 16);
  add(l, "Destination address", dst, p + 24, 16);
  f.src = src;
  f.dst = dst;
  f.addresses.push(src, dst);
  l.value = `${src} → ${dst}, hop limit ${hlim}`;
  f.summary = `IPv6 ${src} → ${dst} ${IP_PROTOCOLS[next] ?? `next header ${next}`}`;
  const end = Math.min(p + 40 + plen, f.b.length);
  let q = p + 40;
  // extension headers: hop-by-hop, routing, fragment, destination options
  for (let guard = 0; guard < 16 && (next === 0 || next === 43 || next === 44 || next === 60); guard++) {
    const nh = f.u8(q, "IPv6 extension header");
    const len = next === 44 ? 8 : (f.u8(q + 1, "IPv6 extension header length") + 1) * 8;
    f.need(q, len, `IPv6 ${IP_PROTOCOLS[next]} header`);
    add(l, IP_PROTOCOLS[next]!, `${len} bytes, next header ${IP_PROTOCOLS[nh] ?? nh} (${nh})`, q, len);
    if (next === 44 && (f.u16(q + 2, "IPv6 fragment offset") & 0xfff8) !== 0) {
      f.summary = `IPv6 fragment ${src} → ${dst}`;
      return;
    }
    l.length += len;
    next = nh;
    q += len;
  }
  transport(f, next, q, end, { src, dst, v6: true });
}

function transport(f: Frame, proto: number, p: number, end: number, ipi: IpInfo): void {
  if (proto === 1) icmp(f, p, end, ipi);
  else if (proto === 58) icmp6(f, p, end, ipi);
  else if (proto === 6) tcp(f, p, end, ipi);
  else if (proto === 17) udp(f, p, end, ipi);
}

const ICMP_TYPES: Record<number, string> = {
  0: "echo reply",
  3: "destination unreachable",
  4: "source quench",
  5: "redirect",
  8: "echo request",
  11: "time exceeded",
  12: "parameter problem",
  13: "timestamp request",
  14: "timestamp reply",
};
const UNREACH: Record<number, string> = {
  0: "net unreachable",
  1: "host unreachable",
  2: "protocol unreachable",
  3: "port unreachable",
  4: "fragmentation needed",
  9: "net prohibited",
  10: "host prohibited",
  13: "administratively prohibited",
};

function icmp(f: Frame, p: number, end: number, ipi: IpInfo): void {
  const l = f.layer("Internet Control Message Protocol", "icmp", p, end - p);
  f.protocol = "ICMP";
  const type = f.u8(p, "ICMP type");
  const code = f.u8(p + 1, "ICMP code");
  const name = ICMP_TYPES[type] ?? `type ${type}`;
  add(l, "Type", `${type} (${name})`, p, 1);
  add(l, "Code", code, p + 1, 1);
  add(l, "Checksum", hex(f.u16(p + 2, "ICMP checksum"), 4), p + 2, 2);
  l.value = name;
  f.summary = `ICMP ${name} ${ipi.src} → ${ipi.dst}`;
  if (type === 0 || type === 8 || type === 13 || type === 14) {
    const id = f.u16(p + 4, "ICMP identifier");
    const seq = f.u16(p + 6, "ICMP sequence");
    add(l, "Identifier", id, p + 4, 2);
    add(l, "Sequence number", seq, p + 6, 2);
    if (end > p + 8) add(l, "Data", `${end - p - 8} bytes`, p + 8, end - p - 8);
    f.summary = `ICMP ${name} id=${id} seq=${seq}`;
  } else if (type === 3) {
    const why = UNREACH[code] ?? `code ${code}`;
    f.summary = `ICMP destination unreachable (${why})`;
    l.value = `${name} (${why})`;
    embedded(f, l, p + 8, end);
  } else if (type === 11) {
    f.summary = `ICMP time exceeded (${code === 0 ? "TTL exceeded in transit" : "fragment reassembly time exceeded"})`;
    embedded(f, l, p + 8, end);
  }
}

/** The start of the datagram an ICMP error quotes: its addresses, without decoding further. */
function embedded(f: Frame, l: Field, p: number, end: number): void {
  if (end - p < 20) return;
  if (f.b[p]! >> 4 === 4) {
    f.summary += ` for ${ipv4(f.b, p + 12)} → ${ipv4(f.b, p + 16)} ${IP_PROTOCOLS[f.b[p + 9]!] ?? ""}`.trimEnd();
    add(l, "Original datagram", `${ipv4(f.b, p + 12)} → ${ipv4(f.b, p + 16)}`, p, end - p);
  }
}

const ICMP6_TYPES: Record<number, string> = {
  1: "destination unreachable",
  2: "packet too big",
  3: "time exceeded",
  4: "parameter problem",
  128: "echo request",
  129: "echo reply",
  130: "multicast listener query",
  131: "multicast listener report",
  132: "multicast listener done",
  133: "router solicitation",
  134: "router advertisement",
  135: "neighbor solicitation",
  136: "neighbor advertisement",
  137: "redirect",
  143: "multicast listener report v2",
};

function icmp6(f: Frame, p: number, end: number, ipi: IpInfo): void {
  const l = f.layer("Internet Control Message Protocol v6", "icmpv6", p, end - p);
  f.protocol = "ICMPv6";
  const type = f.u8(p, "ICMPv6 type");
  const code = f.u8(p + 1, "ICMPv6 code");
  const name = ICMP6_TYPES[type] ?? `type ${type}`;
  add(l, "Type", `${type} (${name})`, p, 1);
  add(l, "Code", code, p + 1, 1);
  add(l, "Checksum", hex(f.u16(p + 2, "ICMPv6 checksum"), 4), p + 2, 2);
  l.value = name;
  f.summary = `ICMPv6 ${name} ${ipi.src} → ${ipi.dst}`;
  if (type === 128 || type === 129) {
    const id = f.u16(p + 4, "ICMPv6 identifier");
    const seq = f.u16(p + 6, "ICMPv6 sequence");
    add(l, "Identifier", id, p + 4, 2);
    add(l, "Sequence number", seq, p + 6, 2);
    f.summary = `ICMPv6 ${name} id=${id} seq=${seq}`;
  } else if (type === 135 || type === 136) {
    let flags = "";
    if (type === 136) {
      const w = f.u32(p + 4, "NA flags");
      flags = [w & 0x80000000 ? "router" : "", w & 0x40000000 ? "solicited" : "", w & 0x20000000 ? "override" : ""].filter(Boolean).join(", ");
      add(l, "Flags", flags || "none", p + 4, 4);
    } else add(l, "Reserved", hex(f.u32(p + 4, "NS reserved"), 8), p + 4, 4);
    f.need(p + 8, 16, "ND target address");
    const target = ipv6(f.b, p + 8);
    add(l, "Target address", target, p + 8, 16);
    f.addresses.push(target);
    const ll = ndOptions(f, l, p + 24, end);
    if (type === 135)
      f.summary = `ICMPv6 neighbor solicitation who-has ${target}${ll ? ` tell ${ll}` : ipi.src === "::" ? " (duplicate address detection)" : ""}`;
    else f.summary = `ICMPv6 neighbor advertisement ${target} is-at ${ll ?? "?"}${flags ? ` [${flags}]` : ""}`;
  } else if (type === 133) {
    f.need(p + 4, 4, "RS reserved");
    const ll = ndOptions(f, l, p + 8, end);
    f.summary = `ICMPv6 router solicitation from ${ipi.src}${ll ? ` (${ll})` : ""}`;
  } else if (type === 134) {
    const hop = f.u8(p + 4, "RA hop limit");
    const fl = f.u8(p + 5, "RA flags");
    const lifetime = f.u16(p + 6, "RA router lifetime");
    add(l, "Cur hop limit", hop, p + 4, 1);
    add(l, "Flags", [fl & 0x80 ? "managed" : "", fl & 0x40 ? "other" : ""].filter(Boolean).join(", ") || "none", p + 5, 1);
    add(l, "Router lifetime", `${lifetime} s`, p + 6, 2);
    add(l, "Reachable time", f.u32(p + 8, "RA reachable time"), p + 8, 4);
    add(l, "Retrans timer", f.u32(p + 12, "RA retrans timer"), p + 12, 4);
    ndOptions(f, l, p + 16, end);
    const prefixes = (l.children ?? []).filter((c) => c.name === "Prefix information").map((c) => c.value);
    f.summary = `ICMPv6 router advertisement from ${ipi.src}${prefixes.length ? `, prefix ${prefixes.join(", ")}` : ""}, lifetime ${lifetime} s`;
  } else if (type === 143) {
    f.need(p + 4, 4, "MLDv2 header");
    const n = f.u16(p + 6, "MLDv2 record count");
    add(l, "Number of records", n, p + 6, 2);
    f.summary = `ICMPv6 multicast listener report v2, ${n} group record(s)`;
  }
}

/** Neighbour discovery options; returns the link-layer address option's MAC, if any. */
function ndOptions(f: Frame, l: Field, p: number, end: number): string | undefined {
  let ll: string | undefined;
  while (p + 2 <= end) {
    const type = f.u8(p, "ND option type");
    const len = f.u8(p + 1, "ND option length") * 8;
    if (len === 0) throw new Bad(`ICMPv6: option of type ${type} at byte ${p} has length 0`);
    f.need(p, len, "ND option");
    if ((type === 1 || type === 2) && len >= 8) {
      ll = mac(f.b, p + 2);
      f.addresses.push(ll);
      add(l, type === 1 ? "Source link-layer address" : "Target link-layer address", ll, p, len);
    } else if (type === 3 && len >= 32) {
      const plen = f.b[p + 2]!;
      add(l, "Prefix information", `${ipv6(f.b, p + 16)}/${plen}`, p, len);
    } else if (type === 5 && len >= 8) add(l, "MTU", f.dv.getUint32(p + 4), p, len);
    else add(l, `Option ${type}`, `${len} bytes`, p, len);
    p += len;
  }
  return ll;
}

const TCP_FLAGS: [number, string][] = [
  [0x02, "SYN"],
  [0x01, "FIN"],
  [0x04, "RST"],
  [0x08, "PSH"],
  [0x10, "ACK"],
  [0x20, "URG"],
  [0x40, "ECE"],
  [0x80, "CWR"],
];

const HTTP_START = /^(GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH|CONNECT|TRACE) \S+ HTTP\/\d|^HTTP\/\d(\.\d)? \d{3}/;

function tcp(f: Frame, p: number, end: number, ipi: IpInfo): void {
  const l = f.layer("Transmission Control Protocol", "tcp", p, 20);
  f.protocol = "TCP";
  const sport = f.u16(p, "TCP source port");
  const dport = f.u16(p + 2, "TCP destination port");
  add(l, "Source port", sport, p, 2);
  add(l, "Destination port", dport, p + 2, 2);
  f.ports.push(sport, dport);
  const seq = f.u32(p + 4, "TCP sequence number");
  const ack = f.u32(p + 8, "TCP acknowledgment number");
  add(l, "Sequence number", seq, p + 4, 4);
  add(l, "Acknowledgment number", ack, p + 8, 4);
  const hb = f.u16(p + 12, "TCP flags");
  const hlen = (hb >> 12) * 4;
  add(l, "Header length", `${hlen} bytes`, p + 12, 1);
  const flagNames = TCP_FLAGS.filter(([bit]) => hb & bit).map(([, n]) => n);
  const flags = flagNames.length ? flagNames.join(", ") : "none";
  add(l, "Flags", `${hex(hb & 0x1ff, 3)} (${flags})`, p + 12, 2);
  const win = f.u16(p + 14, "TCP window");
  add(l, "Window", win, p + 14, 2);
  add(l, "Checksum", hex(f.u16(p + 16, "TCP checksum"), 4), p + 16, 2);
  add(l, "Urgent pointer", f.u16(p + 18, "TCP urgent pointer"), p + 18, 2);
  const src = ipi.v6 ? `[${ipi.src}]` : ipi.src;
  f.summary = `TCP ${src}:${sport} → ${dport} [${flags}] seq=${seq}${hb & 0x10 ? ` ack=${ack}` : ""} win=${win}`;
  l.value = `${sport} → ${dport} [${flags}]`;
  if (hlen < 20) throw new Bad(`TCP: header length ${hlen} is less than 20`);
  if (hlen > 20) {
    f.need(p + 20, hlen - 20, "TCP options");
    add(l, "Options", tcpOptions(f.b, p + 20, p + hlen), p + 20, hlen - 20);
    l.length = hlen;
  }
  const data = end - (p + hlen);
  if (data > 0) {
    f.summary += ` len=${data}`;
    const d = f.layer("TCP payload", "data", p + hlen, data);
    d.value = `${data} bytes`;
    const first = firstLine(f.b, p + hlen, end);
    if (HTTP_START.test(first)) {
      d.name = "Hypertext Transfer Protocol";
      d.value = first;
      f.protocols[f.protocols.length - 1] = "http";
      add(d, "Start line", first, p + hlen, first.length);
      f.protocol = "HTTP";
      f.summary = `HTTP ${first} (${sport} → ${dport} [${flags}] len=${data})`;
    }
  }
}

function tcpOptions(b: Uint8Array, p: number, end: number): string {
  const out: string[] = [];
  while (p < end) {
    const kind = b[p]!;
    if (kind === 0) break;
    if (kind === 1) {
      out.push("nop");
      p++;
      continue;
    }
    const len = b[p + 1] ?? 0;
    if (len < 2 || p + len > end) {
      out.push(`bad option ${kind}`);
      break;
    }
    const dv = new DataView(b.buffer, b.byteOffset + p, len);
    if (kind === 2 && len === 4) out.push(`mss ${dv.getUint16(2)}`);
    else if (kind === 3 && len === 3) out.push(`wscale ${b[p + 2]}`);
    else if (kind === 4) out.push("sackOK");
    else if (kind === 8 && len === 10) out.push(`TS val ${dv.getUint32(2)} ecr ${dv.getUint32(6)}`);
    else out.push(`option ${kind}`);
    p += len;
  }
  return out.join(",");
}

function firstLine(b: Uint8Array, p: number, end: number): string {
  let s = "";
  for (let i = p; i < end && i < p + 200; i++) {
    const c = b[i]!;
    if (c === 13 || c === 10) break;
    if (c < 32 || c > 126) return "";
    s += String.fromCharCode(c);
  }
  return s;
}

function udp(f: Frame, p: number, end: number, ipi: IpInfo): void {
  const l = f.layer("User Datagram Protocol", "udp", p, 8);
  f.protocol = "UDP";
  const sport = f.u16(p, "UDP source port");
  const dport = f.u16(p + 2, "UDP destination port");
  const len = f.u16(p + 4, "UDP length");
  add(l, "Source port", sport, p, 2);
  add(l, "Destination port", dport, p + 2, 2);
  add(l, "Length", len, p + 4, 2);
  add(l, "Checksum", hex(f.u16(p + 6, "UDP checksum"), 4), p + 6, 2);
  f.ports.push(sport, dport);
  l.value = `${sport} → ${dport}`;
  const src = ipi.v6 ? `[${ipi.src}]` : ipi.src;
  const dst = ipi.v6 ? `[${ipi.dst}]` : ipi.dst;
  f.summary = `UDP ${src}:${sport} → ${dst}:${dport} len=${Math.max(0, len - 8)}`;
  if (len < 8) throw new Bad(`UDP: length ${len} is less than 8`);
  const dend = Math.min(end, p + len);
  if ((sport === 67 || sport === 68) && (dport === 67 || dport === 68)) dhcp(f, p + 8, dend);
  else if (sport === 53 || dport === 53 || sport === 5353 || dport === 5353) dns(f, p + 8, dend, sport === 5353 || dport === 5353);
}

const DHCP_TYPES: Record<number, string> = { 1: "Discover", 2: "Offer", 3: "Request", 4: "Decline", 5: "ACK", 6: "NAK", 7: "Release", 8: "Inform" };
const DHCP_OPTIONS: Record<number, string> = {
  1: "Subnet mask",
  3: "Router",
  6: "Domain name server",
  12: "Host name",
  15: "Domain name",
  28: "Broadcast address",
  42: "NTP servers",
  50: "Requested IP address",
  51: "IP address lease time",
  53: "DHCP message type",
  54: "Server identifier",
  55: "Parameter request list",
  57: "Maximum message size",
  58: "Renewal time (T1)",
  59: "Rebinding time (T2)",
  60: "Vendor class identifier",
  61: "Client identifier",
  119: "Domain search",
  121: "Classless static route",
};

function dhcp(f: Frame, p: number, end: number): void {
  const l = f.layer("Dynamic Host Configuration Protocol", "dhcp", p, end - p);
  f.protocol = "DHCP";
  const op = f.u8(p, "BOOTP op");
  add(l, "Message type (BOOTP)", op === 1 ? "Boot request (1)" : op === 2 ? "Boot reply (2)" : op, p, 1);
  add(l, "Hardware type", f.u8(p + 1, "BOOTP htype"), p + 1, 1);
  const hlen = f.u8(p + 2, "BOOTP hlen");
  add(l, "Hardware address length", hlen, p + 2, 1);
  add(l, "Hops", f.u8(p + 3, "BOOTP hops"), p + 3, 1);
  const xid = f.u32(p + 4, "BOOTP xid");
  add(l, "Transaction ID", hex(xid, 8), p + 4, 4);
  add(l, "Seconds elapsed", f.u16(p + 8, "BOOTP secs"), p + 8, 2);
  const flags = f.u16(p + 10, "BOOTP flags");
  add(l, "Flags", flags & 0x8000 ? "broadcast" : "unicast", p + 10, 2);
  f.need(p + 12, 16, "BOOTP addresses");
  const ciaddr = ipv4(f.b, p + 12);
  const yiaddr = ipv4(f.b, p + 16);
  add(l, "Client IP address", ciaddr, p + 12, 4);
  add(l, "Your (client) IP address", yiaddr, p + 16, 4);
  add(l, "Next server IP address", ipv4(f.b, p + 20), p + 20, 4);
  add(l, "Relay agent IP address", ipv4(f.b, p + 24), p + 24, 4);
  f.need(p + 28, 16, "BOOTP client hardware address");
  const chaddr = hlen === 6 ? mac(f.b, p + 28) : "";
  add(l, "Client MAC address", chaddr, p + 28, 16);
  if (chaddr) f.addresses.push(chaddr);
  f.need(p + 44, 192 + 4, "BOOTP sname, file and magic cookie");
  const cookie = f.dv.getUint32(p + 236);
  add(l, "Magic cookie", hex(cookie, 8), p + 236, 4);
  f.summary = `BOOTP ${op === 1 ? "request" : "reply"} xid=${hex(xid, 8)}`;
  if (cookie !== 0x63825363) return;
  let type = 0;
  let requested = "";
  const opts: Field = add(l, "Options", "", p + 240, end - p - 240, []);
  let q = p + 240;
  while (q < end) {
    const code = f.u8(q, "DHCP option code");
    if (code === 255) {
      add(opts, "End", "", q, 1);
      break;
    }
    if (code === 0) {
      q++;
      continue;
    }
    const len = f.u8(q + 1, "DHCP option length");
    f.need(q + 2, len, `DHCP option ${code}`);
    const v = q + 2;
    const name = DHCP_OPTIONS[code] ?? `Option ${code}`;
    let value: string;
    const addrs = () => {
      const a: string[] = [];
      for (let i = 0; i + 4 <= len; i += 4) a.push(ipv4(f.b, v + i));
      return a.join(", ");
    };
    if (code === 53 && len >= 1) {
      type = f.b[v]!;
      value = `${DHCP_TYPES[type] ?? "unknown"} (${type})`;
    } else if ([1, 3, 6, 28, 42, 50, 54].includes(code)) {
      value = addrs();
      if (code === 50) requested = value;
      if (code !== 1) f.addresses.push(...value.split(", ").filter(Boolean));
    } else if ((code === 51 || code === 58 || code === 59) && len === 4) value = `${f.dv.getUint32(v)} s`;
    else if (code === 12 || code === 15 || code === 60) value = String.fromCharCode(...f.b.subarray(v, v + len));
    else if (code === 55) value = Array.from(f.b.subarray(v, v + len)).join(", ");
    else value = `${len} bytes`;
    add(opts, `(${code}) ${name}`, value, q, 2 + len);
    q += 2 + len;
  }
  const tname = DHCP_TYPES[type] ?? `message ${type}`;
  l.value = tname;
  const client = chaddr || "?";
  if (type === 2 || type === 5) f.summary = `DHCP ${tname} ${yiaddr} to ${client}`;
  else if (type === 3) f.summary = `DHCP Request ${requested || ciaddr} from ${client}`;
  else if (type === 1) f.summary = `DHCP Discover from ${client}${requested ? ` (wants ${requested})` : ""}`;
  else if (type === 7) f.summary = `DHCP Release ${ciaddr} from ${client}`;
  else if (type === 6) f.summary = `DHCP NAK to ${client}`;
  else f.summary = `DHCP ${tname} from ${client}`;
  f.summary += ` xid=${hex(xid, 8)}`;
}

const DNS_TYPES: Record<number, string> = {
  1: "A",
  2: "NS",
  5: "CNAME",
  6: "SOA",
  12: "PTR",
  15: "MX",
  16: "TXT",
  28: "AAAA",
  33: "SRV",
  41: "OPT",
  65: "HTTPS",
  255: "ANY",
};
const RCODES: Record<number, string> = { 0: "NoError", 1: "FormErr", 2: "ServFail", 3: "NXDomain", 4: "NotImp", 5: "Refused" };

function dns(f: Frame, p: number, end: number, mdns: boolean): void {
  const l = f.layer(mdns ? "Multicast Domain Name System" : "Domain Name System", "dns", p, end - p);
  f.protocol = mdns ? "MDNS" : "DNS";
  const need = (off: number, n: number, what: string) => {
    if (off + n > end) throw new Truncated(what, off + n - p, end - p);
  };
  need(p, 12, "DNS header");
  const id = f.dv.getUint16(p);
  const flags = f.dv.getUint16(p + 2);
  const qd = f.dv.getUint16(p + 4);
  const an = f.dv.getUint16(p + 6);
  const ns = f.dv.getUint16(p + 8);
  const ar = f.dv.getUint16(p + 10);
  const response = (flags & 0x8000) !== 0;
  const rcode = flags & 0xf;
  add(l, "Transaction ID", hex(id, 4), p, 2);
  const fl = [
    response ? "response" : "query",
    flags & 0x0400 ? "authoritative" : "",
    flags & 0x0200 ? "truncated" : "",
    flags & 0x0100 ? "recursion desired" : "",
    flags & 0x0080 ? "recursion available" : "",
    response ? (RCODES[rcode] ?? `rcode ${rcode}`) : "",
  ].filter(Boolean);
  add(l, "Flags", `${hex(flags, 4)} (${fl.join(", ")})`, p + 2, 2);
  add(l, "Questions", qd, p + 4, 2);
  add(l, "Answer RRs", an, p + 6, 2);
  add(l, "Authority RRs", ns, p + 8, 2);
  add(l, "Additional RRs", ar, p + 10, 2);
  const label = mdns ? "MDNS" : "DNS";
  f.summary = `${label} ${response ? "response" : "query"} id=${hex(id, 4)}`;
  const name = (off: number): [string, number] => {
    const parts: string[] = [];
    let q = off;
    let after = -1;
    for (let hops = 0; ; hops++) {
      if (hops > 64) throw new Bad("DNS: name compression loop");
      need(q, 1, "DNS name");
      const len = f.b[q]!;
      if (len === 0) {
        q++;
        break;
      }
      if ((len & 0xc0) === 0xc0) {
        need(q, 2, "DNS name pointer");
        if (after < 0) after = q + 2;
        q = p + (f.dv.getUint16(q) & 0x3fff);
        continue;
      }
      if (len & 0xc0) throw new Bad(`DNS: label type ${hex(len, 2)} at byte ${q}`);
      need(q + 1, len, "DNS label");
      parts.push(String.fromCharCode(...f.b.subarray(q + 1, q + 1 + len)));
      q += 1 + len;
    }
    return [parts.join(".") || ".", after >= 0 ? after : q];
  };
  let q = p + 12;
  const questions: string[] = [];
  const qs = add(l, "Queries", "", q, 0, []);
  for (let i = 0; i < qd; i++) {
    const [n, after] = name(q);
    need(after, 4, "DNS question");
    const t = f.dv.getUint16(after);
    const tn = DNS_TYPES[t] ?? `TYPE${t}`;
    questions.push(`${tn}? ${n}`);
    add(qs, n, `type ${tn}, class ${f.dv.getUint16(after + 2) & 0x7fff}`, q, after + 4 - q);
    q = after + 4;
  }
  qs.length = q - qs.offset;
  qs.value = questions.join(", ");
  f.summary = `${label} ${questions.join(" ")}`.trimEnd();
  if (!response) return;
  const answers: string[] = [];
  const sections: [string, number][] = [
    ["Answers", an],
    ["Authoritative nameservers", ns],
    ["Additional records", ar],
  ];
  for (const [title, count] of sections) {
    if (count === 0) continue;
    const sec = add(l, title, "", q, 0, []);
    for (let i = 0; i < count; i++) {
      const start = q;
      const [n, after] = name(q);
      need(after, 10, "DNS resource record");
      const t = f.dv.getUint16(after);
      const ttl = f.dv.getUint32(after + 4);
      const rdlen = f.dv.getUint16(after + 8);
      const rd = after + 10;
      need(rd, rdlen, "DNS record data");
      const tn = DNS_TYPES[t] ?? `TYPE${t}`;
      let data: string;
      if (t === 1 && rdlen === 4) data = ipv4(f.b, rd);
      else if (t === 28 && rdlen === 16) data = ipv6(f.b, rd);
      else if (t === 5 || t === 2 || t === 12) data = name(rd)[0];
      else if (t === 15 && rdlen >= 3) data = `${f.dv.getUint16(rd)} ${name(rd + 2)[0]}`;
      else if (t === 16) data = JSON.stringify(String.fromCharCode(...f.b.subarray(rd + 1, rd + rdlen)));
      else data = `${rdlen} bytes`;
      if (t === 1 || t === 28) f.addresses.push(data);
      q = rd + rdlen;
      add(sec, n, `${tn} ${data}, ttl ${ttl}`, start, q - start);
      if (title === "Answers") answers.push(t === 1 || t === 28 ? data : `${tn} ${data}`);
    }
    sec.length = q - sec.offset;
  }
  const outcome = rcode !== 0 ? (RCODES[rcode] ?? `rcode ${rcode}`) : answers.length ? answers.join(", ") : "no answer";
  f.summary = `${label} ${questions.map((x) => x.replace("? ", " ")).join(" ")} → ${outcome}`;
}
