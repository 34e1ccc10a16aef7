import { describe, expect, it } from "vitest";
import {
  canonicalCidr,
  canonicalIp,
  contains,
  formatCidr,
  formatIp,
  hostCount,
  networkOf,
  nthAddress,
  parseCidr,
  parseIp,
  parseMac,
  sameIp,
  type Cidr,
} from "./address";

const cidr = (text: string): Cidr => {
  const c = parseCidr(text);
  if (typeof c === "string") throw new Error(c);
  return c;
};

describe("parseIp", () => {
  it("parses IPv4 dotted quads into 32-bit values", () => {
    expect(parseIp("10.0.0.1")).toEqual({ family: 4, value: 0x0a000001n });
    expect(parseIp("0.0.0.0")).toEqual({ family: 4, value: 0n });
    expect(parseIp("255.255.255.255")).toEqual({ family: 4, value: 0xffffffffn });
    expect(parseIp("192.168.100.250")).toEqual({ family: 4, value: 0xc0a864fan });
  });

  it.each([
    "",
    "10.0.0",
    "10.0.0.1.2",
    "256.0.0.1",
    "10.0.0.-1",
    "010.0.0.1", // leading zeros read as octal by some tools
    "10.0.0.01",
    "1e1.0.0.1",
    " 10.0.0.1",
    "10.0.0.1 ",
    "10..0.1",
    "a.b.c.d",
  ])("refuses %j as IPv4", (text) => {
    expect(parseIp(text)).toBeNull();
  });

  it("parses IPv6 in full, compressed and mixed forms", () => {
    expect(parseIp("::")).toEqual({ family: 6, value: 0n });
    expect(parseIp("::1")).toEqual({ family: 6, value: 1n });
    expect(parseIp("fd00::1")).toEqual({ family: 6, value: (0xfd00n << 112n) | 1n });
    expect(parseIp("FD00:0:0:0:0:0:0:1")).toEqual(parseIp("fd00::1"));
    expect(parseIp("1::")).toEqual({ family: 6, value: 1n << 112n });
    expect(parseIp("::ffff:1.2.3.4")).toEqual({ family: 6, value: (0xffffn << 32n) | 0x01020304n });
    expect(parseIp("1:2:3:4:5:6:1.2.3.4")).toEqual(parseIp("1:2:3:4:5:6:102:304"));
  });

  it.each([
    ":",
    ":::",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
    "1:2:3:4:5:6:7:8::", // "::" must stand for at least one group
    "::1:2:3:4:5:6:7:8",
    ":1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:",
    "12345::1",
    "g::1",
    "::ffff:1.2.3.256",
    "::ffff:1.2.3",
    "1.2.3.4::", // a dotted quad may only end the address
    "1.2.3.4::1",
    "::1.2.3.4:1",
    "1:2:3:4:5:6:7:1.2.3.4", // nine groups
    "fe80::1%eth0",
  ])("refuses %j as IPv6", (text) => {
    expect(parseIp(text)).toBeNull();
  });
});

describe("formatIp (the kernel's, i.e. glibc inet_ntop's, canonical text)", () => {
  it.each([
    ["10.0.0.1", "10.0.0.1"],
    ["0.0.0.0", "0.0.0.0"],
    ["fd00:0:0:0:0:0:0:1", "fd00::1"],
    ["FD00::0001", "fd00::1"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["1:0:0:0:0:0:0:0", "1::"],
    // the longest run of zeros is compressed
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
    // on a tie, the first run
    ["1:0:0:2:0:0:3:4", "1::2:0:0:3:4"],
    ["2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"],
    // a single zero group is never compressed (RFC 5952 4.2.2)
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["fe80::1:0:0:0", "fe80::1:0:0:0"],
    // IPv4-mapped addresses keep their dotted quad (RFC 5952 5), as `ip` prints them
    ["::ffff:1.2.3.4", "::ffff:1.2.3.4"],
    ["::ffff:0102:0304", "::ffff:1.2.3.4"],
    ["0:0:0:0:0:ffff:a00:1", "::ffff:10.0.0.1"],
    ["::ffff:0:0", "::ffff:0.0.0.0"],
    // glibc also prints IPv4-compatible addresses that way, but not ::1 or other prefixes
    ["::1.2.3.4", "::1.2.3.4"],
    ["::0.0.0.1", "::1"],
    ["64:ff9b::1.2.3.4", "64:ff9b::102:304"],
    ["::ffff:0:1.2.3.4", "::ffff:0:102:304"],
    ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
  ])("%s -> %s", (input, expected) => {
    expect(canonicalIp(input)).toBe(expected);
    // canonical text is a fixed point
    expect(canonicalIp(expected)).toBe(expected);
  });

  it("prints from the numeric value", () => {
    expect(formatIp({ family: 6, value: (0x2001n << 112n) | (0xdb8n << 96n) | 0x10n })).toBe("2001:db8::10");
    expect(formatIp({ family: 4, value: 0xc0000201n })).toBe("192.0.2.1");
  });

  it("returns null for non-addresses", () => {
    expect(canonicalIp("nope")).toBeNull();
    expect(canonicalIp("10.0.0.1/24")).toBeNull();
  });
});

describe("parseCidr", () => {
  it("parses address and prefix, keeping host bits", () => {
    expect(parseCidr("10.0.0.1/24")).toEqual({ ip: { family: 4, value: 0x0a000001n }, prefix: 24 });
    expect(parseCidr("fd00::1/64")).toEqual({ ip: { family: 6, value: (0xfd00n << 112n) | 1n }, prefix: 64 });
    expect(parseCidr("0.0.0.0/0")).toEqual({ ip: { family: 4, value: 0n }, prefix: 0 });
    expect(parseCidr("10.0.0.1/32")).toEqual({ ip: { family: 4, value: 0x0a000001n }, prefix: 32 });
    expect(parseCidr("::1/128")).toEqual({ ip: { family: 6, value: 1n }, prefix: 128 });
  });

  it("explains a missing prefix", () => {
    expect(parseCidr("10.0.0.1")).toBe('"10.0.0.1" has no prefix length (write it like 10.0.0.1/24)');
  });

  it("explains a prefix that is too long for the family", () => {
    expect(parseCidr("10.0.0.1/33")).toBe("prefix length 33 is outside 0..32 for IPv4");
    expect(parseCidr("fd00::1/129")).toBe("prefix length 129 is outside 0..128 for IPv6");
  });

  it("explains a prefix that is not a number", () => {
    expect(parseCidr("10.0.0.1/")).toBe('"" is not a prefix length');
    expect(parseCidr("10.0.0.1/-1")).toBe('"-1" is not a prefix length');
    expect(parseCidr("10.0.0.1/24/8")).toBe('"24/8" is not a prefix length');
    expect(parseCidr("10.0.0.1/1000")).toBe('"1000" is not a prefix length');
    expect(parseCidr("10.0.0.1/ 24")).toBe('" 24" is not a prefix length');
  });

  it("explains a bad address", () => {
    expect(parseCidr("10.0.0.256/24")).toBe('"10.0.0.256" is not an IPv4 or IPv6 address');
    expect(parseCidr("/24")).toBe('"" is not an IPv4 or IPv6 address');
  });

  it("refuses what is not a string", () => {
    expect(parseCidr(24 as unknown as string)).toBe("is not a string");
  });

  it("canonicalCidr prints the kernel's form", () => {
    expect(canonicalCidr("FD00:0:0:0::0001/64")).toBe("fd00::1/64");
    expect(canonicalCidr("::ffff:10.0.0.1/120")).toBe("::ffff:10.0.0.1/120");
    expect(canonicalCidr("10.0.0.1/24")).toBe("10.0.0.1/24");
    expect(canonicalCidr("10.0.0.1")).toBeNull();
  });
});

describe("subnet arithmetic", () => {
  it("networkOf clears host bits", () => {
    expect(formatCidr(networkOf(cidr("10.1.2.3/24")))).toBe("10.1.2.0/24");
    expect(formatCidr(networkOf(cidr("10.1.2.3/8")))).toBe("10.0.0.0/8");
    expect(formatCidr(networkOf(cidr("10.1.2.3/32")))).toBe("10.1.2.3/32");
    expect(formatCidr(networkOf(cidr("10.1.2.3/0")))).toBe("0.0.0.0/0");
    expect(formatCidr(networkOf(cidr("10.1.2.3/31")))).toBe("10.1.2.2/31");
    expect(formatCidr(networkOf(cidr("fd00:1:2:3:4:5:6:7/64")))).toBe("fd00:1:2:3::/64");
    expect(formatCidr(networkOf(cidr("fd00::1/128")))).toBe("fd00::1/128");
  });

  it("contains checks the prefix and the family", () => {
    const net = cidr("10.1.2.0/24");
    expect(contains(net, parseIp("10.1.2.0")!)).toBe(true);
    expect(contains(net, parseIp("10.1.2.255")!)).toBe(true);
    expect(contains(net, parseIp("10.1.3.0")!)).toBe(false);
    expect(contains(net, parseIp("10.1.1.255")!)).toBe(false);
    // host bits of the network itself do not matter
    expect(contains(cidr("10.1.2.77/24"), parseIp("10.1.2.1")!)).toBe(true);
    expect(contains(cidr("0.0.0.0/0"), parseIp("203.0.113.9")!)).toBe(true);
    expect(contains(cidr("0.0.0.0/0"), parseIp("::1")!)).toBe(false);
    expect(contains(cidr("::/0"), parseIp("10.0.0.1")!)).toBe(false);
    expect(contains(cidr("fd00::/64"), parseIp("fd00::ffff")!)).toBe(true);
    expect(contains(cidr("fd00::/64"), parseIp("fd00:0:0:1::1")!)).toBe(false);
  });

  it("nthAddress and hostCount", () => {
    expect(formatIp(nthAddress(cidr("10.0.0.77/24"), 1n))).toBe("10.0.0.1");
    expect(formatIp(nthAddress(cidr("10.0.0.0/24"), 254n))).toBe("10.0.0.254");
    expect(formatIp(nthAddress(cidr("fd00::/64"), 16n))).toBe("fd00::10");
    expect(hostCount(cidr("10.0.0.0/24"))).toBe(256n);
    expect(hostCount(cidr("10.0.0.0/32"))).toBe(1n);
    expect(hostCount(cidr("fd00::/64"))).toBe(1n << 64n);
  });

  it("sameIp compares family and value", () => {
    expect(sameIp(parseIp("10.0.0.1")!, parseIp("10.0.0.1")!)).toBe(true);
    expect(sameIp(parseIp("fd00::1")!, parseIp("FD00:0::1")!)).toBe(true);
    expect(sameIp(parseIp("0.0.0.1")!, parseIp("::1")!)).toBe(false);
  });
});

describe("parseMac", () => {
  it("accepts unicast MACs and lower-cases them", () => {
    expect(parseMac("02:00:00:00:00:01")).toBe("02:00:00:00:00:01");
    expect(parseMac("02:AB:cd:EF:00:FF")).toBe("02:ab:cd:ef:00:ff");
  });

  it("refuses malformed text", () => {
    for (const text of ["02:00:00:00:00", "02-00-00-00-00-01", "0200.0000.0001", "02:00:00:00:00:0g", "2:0:0:0:0:1", ""]) {
      expect(parseMac(text)).toEqual({ error: `"${text}" is not a MAC address (write it like 02:00:00:00:00:01)` });
    }
  });

  it("refuses multicast and all-zero MACs", () => {
    expect(parseMac("01:00:5E:00:00:01")).toEqual({ error: "01:00:5e:00:00:01 is a multicast MAC; an interface needs a unicast one" });
    expect(parseMac("ff:ff:ff:ff:ff:ff")).toEqual({ error: "ff:ff:ff:ff:ff:ff is a multicast MAC; an interface needs a unicast one" });
    expect(parseMac("00:00:00:00:00:00")).toEqual({ error: "00:00:00:00:00:00 cannot be an interface's MAC" });
  });
});
