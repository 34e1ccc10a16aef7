// IP addresses and prefixes, parsed and printed in the kernel's canonical form.
//
// Knows: IPv4/IPv6 text forms, CIDR prefixes, subnet arithmetic, MAC addresses.
// Leaves to others: which addresses a lab uses (schema.ts), and the kernel (engine).
// Pure and dependency-free so the browser can use it too.

export type Family = 4 | 6;

export interface Ip {
  family: Family;
  /** 32 bits (IPv4) or 128 bits (IPv6) as a bigint */
  value: bigint;
}

export interface Cidr {
  ip: Ip;
  prefix: number;
}

const V4_PART = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function parseV4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!V4_PART.test(part)) return null;
    value = (value << 8n) | BigInt(Number(part));
  }
  return value;
}

function parseV6(text: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  // a dotted quad may only end the whole address (::ffff:1.2.3.4), never come before "::"
  const groupsOf = (s: string, endsAddress: boolean): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (endsAddress && i === parts.length - 1 && p.includes(".")) {
        const v4 = parseV4(p);
        if (v4 === null) return null;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groupsOf(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1]!, true) : [];
  if (head === null || tail === null) return null;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    groups = [...head, ...Array.from({ length: missing }, () => 0), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return null;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** Parses an IPv4 or IPv6 address; null when it is not one. */
export function parseIp(text: string): Ip | null {
  if (text.includes(":")) {
    const value = parseV6(text);
    return value === null ? null : { family: 6, value };
  }
  const value = parseV4(text);
  return value === null ? null : { family: 4, value };
}

export function bits(family: Family): number {
  return family === 4 ? 32 : 128;
}

/** Prints an address as the kernel (and `ip -j`) prints it: dotted quad, or RFC 5952 IPv6. */
export function formatIp(ip: Ip): string {
  if (ip.family === 4) {
    const v = ip.value;
    return [24n, 16n, 8n, 0n].map((s) => ((v >> s) & 0xffn).toString()).join(".");
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  // longest run of zero groups (length >= 2) is compressed, first one wins on ties
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses end in a dotted
  // quad, as glibc's inet_ntop (and so `ip`) prints them
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && groups[5] === 0xffff))) {
    const v4 = formatIp({ family: 4, value: ip.value & 0xffffffffn });
    return bestLen === 6 ? `::${v4}` : `::ffff:${v4}`;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  const left = hex.slice(0, bestStart).join(":");
  const right = hex.slice(bestStart + bestLen).join(":");
  return `${left}::${right}`;
}

/** Parses "addr/prefix"; returns a reason when it is not valid. */
export function parseCidr(text: string): Cidr | string {
  if (typeof text !== "string") return "is not a string";
  const slash = text.indexOf("/");
  if (slash < 0) return `"${text}" has no prefix length (write it like 10.0.0.1/24)`;
  const ip = parseIp(text.slice(0, slash));
  if (!ip) return `"${text.slice(0, slash)}" is not an IPv4 or IPv6 address`;
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return `"${prefixText}" is not a prefix length`;
  const prefix = Number(prefixText);
  if (prefix > bits(ip.family)) return `prefix length ${prefix} is outside 0..${bits(ip.family)} for IPv${ip.family}`;
  return { ip, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.ip)}/${c.prefix}`;
}

function mask(family: Family, prefix: number): bigint {
  const total = bits(family);
  return ((1n << BigInt(total)) - 1n) ^ ((1n << BigInt(total - prefix)) - 1n);
}

/** The network a host address belongs to (host bits cleared). */
export function networkOf(c: Cidr): Cidr {
  return { ip: { family: c.ip.family, value: c.ip.value & mask(c.ip.family, c.prefix) }, prefix: c.prefix };
}

export function contains(net: Cidr, ip: Ip): boolean {
  if (net.ip.family !== ip.family) return false;
  const m = mask(ip.family, net.prefix);
  return (net.ip.value & m) === (ip.value & m);
}

export function sameIp(a: Ip, b: Ip): boolean {
  return a.family === b.family && a.value === b.value;
}

/** The n-th address of a network (n = 1 is the first host address). */
export function nthAddress(net: Cidr, n: bigint): Ip {
  return { family: net.ip.family, value: (net.ip.value & mask(net.ip.family, net.prefix)) + n };
}

export function hostCount(net: Cidr): bigint {
  return 1n << BigInt(bits(net.ip.family) - net.prefix);
}

/** Canonical text of an address (kernel form), or null. */
export function canonicalIp(text: string): string | null {
  const ip = parseIp(text);
  return ip ? formatIp(ip) : null;
}

/** Canonical text of a CIDR (kernel form, host bits kept), or null. */
export function canonicalCidr(text: string): string | null {
  const c = parseCidr(text);
  return typeof c === "string" ? null : formatCidr(c);
}

const MAC = /^([0-9a-fA-F]{2})(:[0-9a-fA-F]{2}){5}$/;

/** A unicast MAC in lower case, or a reason. */
export function parseMac(text: string): string | { error: string } {
  if (!MAC.test(text)) return { error: `"${text}" is not a MAC address (write it like 02:00:00:00:00:01)` };
  const lower = text.toLowerCase();
  if (parseInt(lower.slice(0, 2), 16) & 1) return { error: `${lower} is a multicast MAC; an interface needs a unicast one` };
  if (lower === "00:00:00:00:00:00") return { error: "00:00:00:00:00:00 cannot be an interface's MAC" };
  return lower;
}
