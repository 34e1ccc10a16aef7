// The decoder against tcpdump: each fixture (fixtures/*.pcap, recorded for real by
// fixtures/record.sh) is decoded, and every value tcpdump printed for the same packet
// (fixtures/*.txt, `tcpdump -v -e -nn -r`) is checked against the decoder's fields.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decode, type Decoded, type Field } from "./decode";
import { readPcap } from "./pcap";

const dir = join(import.meta.dirname, "fixtures");

function load(name: string): { packets: { d: Decoded; data: Uint8Array }[]; blocks: string[] } {
  const { header, records } = readPcap(new Uint8Array(readFileSync(join(dir, `${name}.pcap`))));
  const text = readFileSync(join(dir, `${name}.txt`), "utf8");
  const blocks = text.split(/\n(?=\d\d:\d\d:\d\d\.\d{6} )/).map((b) => b.trimEnd());
  expect(blocks.length, `${name}: packets in the pcap and blocks in tcpdump's text`).toBe(records.length);
  return { packets: records.map((r) => ({ d: decode(r.data, header.linktype, r.length), data: r.data })), blocks };
}

/** A field's value, searched by name under the layer of that protocol name. */
function val(d: Decoded, layer: string, name: string): string | undefined {
  const l = d.layers.find((x) => x.name === layer);
  const walk = (fs: Field[] | undefined): string | undefined => {
    for (const f of fs ?? []) {
      if (f.name === name) return f.value;
      const v = walk(f.children);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  return walk(l?.children);
}

const ETH = "Ethernet II";
const IP4 = "Internet Protocol Version 4";
const IP6 = "Internet Protocol Version 6";
const TCP = "Transmission Control Protocol";
const UDP = "User Datagram Protocol";
const DHCP = "Dynamic Host Configuration Protocol";
const ICMP6 = "Internet Control Message Protocol v6";

/** Checks every value tcpdump printed that the decoder also reads; returns how many. */
function check(block: string, p: { d: Decoded; data: Uint8Array }, tcp: Map<string, number>): number {
  const { d } = p;
  let n = 0;
  const eq = (actual: unknown, expected: unknown, what: string) => {
    expect(actual, `${what} in: ${block.split("\n")[0]}`).toBe(expected);
    n++;
  };
  expect(d.malformed, block).toBeUndefined();
  const head = /^\S+ (\S+) > (\S+), ethertype (\S+) \((0x[0-9a-f]+)\), length (\d+): (?:vlan (\d+), p (\d+), ethertype (\S+) \((0x[0-9a-f]+)\), )?/.exec(
    block,
  )!;
  expect(head, block).not.toBeNull();
  eq(val(d, ETH, "Source"), head[1], "source MAC");
  eq(val(d, ETH, "Destination"), head[2], "destination MAC");
  eq(val(d, ETH, "Type")?.split(" ")[0], head[4], "ethertype");
  eq(d.length, Number(head[5]), "frame length");
  const inner = head[6] ? head[9] : head[4];
  if (head[6]) {
    eq(d.vlans[0], Number(head[6]), "VLAN id");
    eq(val(d, "802.1Q Virtual LAN", "Priority"), head[7], "VLAN priority");
    eq(val(d, "802.1Q Virtual LAN", "Type")?.split(" ")[0], head[9], "inner ethertype");
  }
  let m: RegExpExecArray | null;
  if (inner === "0x0806") {
    eq(d.protocol, "ARP", "protocol");
    if ((m = /Request who-has (\S+) tell (\S+), length/.exec(block))) eq(d.summary, `ARP who-has ${m[1]} tell ${m[2]}`, "ARP summary");
    if ((m = /Reply (\S+) is-at (\S+), length/.exec(block))) eq(d.summary, `ARP ${m[1]} is-at ${m[2]}`, "ARP summary");
  }
  if (inner === "0x0800") {
    m =
      /\(tos (0x[0-9a-f]+), ttl (\d+), id (\d+), offset (\d+), flags \[([^\]]+)\], proto (\w+) \((\d+)\), length (\d+)\)\n\s+(\d+\.\d+\.\d+\.\d+)(?:\.(\d+))? > (\d+\.\d+\.\d+\.\d+)(?:\.(\d+))?: /.exec(
        block,
      )!;
    expect(m, block).not.toBeNull();
    eq(val(d, IP4, "Differentiated services"), m[1]!.replace(/^0x(.)$/, "0x0$1"), "TOS");
    eq(val(d, IP4, "Time to live"), m[2], "TTL");
    eq(val(d, IP4, "Identification")?.match(/\((\d+)\)/)?.[1], m[3], "IP id");
    eq(val(d, IP4, "Fragment offset"), m[4], "fragment offset");
    eq(val(d, IP4, "Flags"), m[5] === "none" ? "none" : m[5], "IP flags");
    eq(val(d, IP4, "Protocol"), `${m[6]} (${m[7]})`, "IP protocol");
    eq(val(d, IP4, "Total length"), m[8], "IP length");
    eq(d.src, m[9], "source address");
    eq(d.dst, m[11], "destination address");
    if (m[10]) {
      const l = m[6] === "TCP" ? TCP : UDP;
      eq(val(d, l, "Source port"), m[10], "source port");
      eq(val(d, l, "Destination port"), m[12], "destination port");
    }
  }
  if (inner === "0x86dd") {
    m = /\((?:flowlabel (0x[0-9a-f]+), )?hlim (\d+), next-header (\S+) \((\d+)\) payload length: (\d+)\) (\S+) > (\S+?):? /.exec(block)!;
    expect(m, block).not.toBeNull();
    if (m[1]) eq(Number(val(d, IP6, "Flow label")), Number(m[1]), "flow label");
    eq(val(d, IP6, "Hop limit"), m[2], "hop limit");
    eq(val(d, IP6, "Next header"), `${m[3] === "Options" ? "Hop-by-hop options" : m[3]} (${m[4]})`, "next header");
    eq(val(d, IP6, "Payload length"), m[5], "payload length");
    eq(d.src, m[6], "source address");
    eq(d.dst, m[7], "destination address");
  }
  if ((m = /ICMP echo (request|reply), id (\d+), seq (\d+), length/.exec(block))) {
    eq(d.summary, `ICMP echo ${m[1]} id=${m[2]} seq=${m[3]}`, "ICMP summary");
  }
  if ((m = /ICMP6, echo (request|reply), id (\d+), seq (\d+)/.exec(block))) {
    eq(d.summary, `ICMPv6 echo ${m[1]} id=${m[2]} seq=${m[3]}`, "ICMPv6 summary");
  }
  if ((m = /ICMP6, neighbor solicitation, length \d+, who has (\S+)/.exec(block))) {
    eq(val(d, ICMP6, "Target address"), m[1], "NS target");
    expect(d.summary).toContain(`neighbor solicitation who-has ${m[1]}`);
  }
  if ((m = /ICMP6, neighbor advertisement, length \d+, tgt is (\S+), Flags \[([^\]]+)\]/.exec(block))) {
    eq(val(d, ICMP6, "Target address"), m[1], "NA target");
    eq(val(d, ICMP6, "Flags"), m[2], "NA flags");
  }
  if ((m = /source link-address option \(1\), length 8 \(1\): (\S+)/.exec(block)))
    eq(val(d, ICMP6, "Source link-layer address"), m[1], "source link-layer option");
  if ((m = /destination link-address option \(2\), length 8 \(1\): (\S+)/.exec(block)))
    eq(val(d, ICMP6, "Target link-layer address"), m[1], "target link-layer option");
  if ((m = /multicast listener report v2, (\d+) group record/.exec(block))) eq(val(d, ICMP6, "Number of records"), m[1], "MLDv2 records");
  if (/ICMP6, router solicitation/.test(block)) expect(d.summary).toMatch(/^ICMPv6 router solicitation/);
  if ((m = /(\S+) > (\S+): Flags \[([^\]]+)\], cksum (0x[0-9a-f]+).*?(?:, seq (\d+)(?::\d+)?)?(?:, ack (\d+))?, win (\d+)/.exec(block))) {
    const [, from, to, flags, cksum, seq, ack, win] = m;
    eq(val(d, TCP, "Checksum"), cksum, "TCP checksum");
    eq(val(d, TCP, "Window"), win, "TCP window");
    const names = { S: "SYN", F: "FIN", R: "RST", P: "PSH", ".": "ACK", U: "URG", E: "ECE", W: "CWR" } as const;
    const got = val(d, TCP, "Flags")!
      .replace(/^\S+ \((.*)\)$/, "$1")
      .split(", ")
      .sort();
    eq(
      got.join(","),
      flags!
        .split("")
        .map((c) => names[c as keyof typeof names])
        .sort()
        .join(","),
      "TCP flags",
    );
    // tcpdump prints sequence numbers relative to each side's initial one, after the SYN
    const mySeq = Number(val(d, TCP, "Sequence number"));
    const myAck = Number(val(d, TCP, "Acknowledgment number"));
    if (flags!.includes("S")) {
      tcp.set(from!, mySeq);
      if (seq) eq(mySeq, Number(seq), "TCP seq");
      if (ack) eq(myAck, Number(ack), "TCP ack");
      expect(d.summary).toContain(`[${flags === "S" ? "SYN" : "SYN, ACK"}] seq=${seq}`);
    } else {
      if (seq) eq((mySeq - tcp.get(from!)! + 2 ** 32) % 2 ** 32, Number(seq), "TCP relative seq");
      if (ack) eq((myAck - tcp.get(to!)! + 2 ** 32) % 2 ** 32, Number(ack), "TCP relative ack");
    }
    if ((m = /length (\d+): HTTP/.exec(block))) {
      const line = block.split("\n")[2]?.trim();
      if (line) eq(d.summary.startsWith(`HTTP ${line} (`), true, "HTTP first line");
    }
  }
  if (/BOOTP\/DHCP/.test(block)) {
    eq(d.protocol, "DHCP", "protocol");
    eq(val(d, DHCP, "Transaction ID"), /xid (0x[0-9a-f]+)/.exec(block)![1]!.replace(/^0x/, "0x").padStart(10, "0").replace(/^0+x/, "0x"), "xid");
    const opt = (label: string) => new RegExp(`${label}, length \\d+: (.+)`).exec(block)?.[1]?.trim();
    const type = opt("DHCP-Message \\(53\\)")!;
    eq(val(d, DHCP, "(53) DHCP message type")?.split(" ")[0]?.toLowerCase(), type.toLowerCase(), "DHCP message type");
    eq(val(d, DHCP, "Client MAC address"), /Client-Ethernet-Address (\S+)/.exec(block)![1], "client MAC");
    const your = /Your-IP (\S+)/.exec(block)?.[1];
    eq(val(d, DHCP, "Your (client) IP address"), your ?? "0.0.0.0", "your IP");
    const pairs: [string, string, (s: string) => string][] = [
      ["Server-ID \\(54\\)", "(54) Server identifier", (s) => s],
      ["Requested-IP \\(50\\)", "(50) Requested IP address", (s) => s],
      ["Lease-Time \\(51\\)", "(51) IP address lease time", (s) => `${s} s`],
      ["Default-Gateway \\(3\\)", "(3) Router", (s) => s],
      ["Domain-Name-Server \\(6\\)", "(6) Domain name server", (s) => s],
      ["Subnet-Mask \\(1\\)", "(1) Subnet mask", (s) => s],
      ["Hostname \\(12\\)", "(12) Host name", (s) => s.replace(/^"|"$/g, "")],
    ];
    for (const [label, name, fmt] of pairs) {
      const v = opt(label);
      if (v) eq(val(d, DHCP, name), fmt(v), name);
    }
    if (type === "Offer" || type === "ACK")
      expect(d.summary).toBe(`DHCP ${type} ${your} to ${val(d, DHCP, "Client MAC address")} xid=${val(d, DHCP, "Transaction ID")}`);
    if (type === "Discover") expect(d.summary).toMatch(/^DHCP Discover from 02:/);
    if (type === "Request") expect(d.summary).toMatch(new RegExp(`^DHCP Request ${opt("Requested-IP \\(50\\)")} from`));
  }
  if ((m = /: (\d+)\+? (\w+)\? (\S+)\. \(\d+\)/.exec(block))) {
    eq(d.summary, `DNS ${m[2]}? ${m[3]}`, "DNS query summary");
    eq(Number(val(d, "Domain Name System", "Transaction ID")), Number(m[1]), "DNS id");
  }
  if ((m = /: (\d+)\*? (\d+)\/(\d+)\/(\d+) (\S+)\. (\w+) (\S+) \(\d+\)/.exec(block))) {
    eq(Number(val(d, "Domain Name System", "Transaction ID")), Number(m[1]), "DNS id");
    eq(val(d, "Domain Name System", "Answer RRs"), m[2], "DNS answers");
    eq(d.summary, `DNS ${m[6]} ${m[5]} → ${m[7]}`, "DNS answer summary");
  }
  return n;
}

const FIXTURES = ["arp-ping4", "ping6-nd", "tcp-http", "dns", "dhcp", "vlan-trunk"];

describe("decode, against what tcpdump printed for the same recorded packets", () => {
  for (const name of FIXTURES) {
    it(name, () => {
      const { packets, blocks } = load(name);
      const tcp = new Map<string, number>();
      let checked = 0;
      blocks.forEach((b, i) => (checked += check(b, packets[i]!, tcp)));
      expect(checked).toBeGreaterThan(packets.length * 4);
    });
  }

  it("names what the student needs in each fixture's summaries", () => {
    const sums = (name: string) => load(name).packets.map((p) => p.d.summary);
    expect(sums("arp-ping4")).toContain("ARP who-has 10.0.0.2 tell 10.0.0.1");
    expect(sums("arp-ping4")).toContain("ARP 10.0.0.2 is-at 02:00:00:0b:00:01");
    expect(sums("arp-ping4").some((s) => /^ICMP echo request id=\d+ seq=3$/.test(s))).toBe(true);
    expect(sums("ping6-nd")).toContain("ICMPv6 neighbor solicitation who-has fd00::2 tell 02:00:00:0a:00:01");
    expect(sums("ping6-nd")).toContain("ICMPv6 neighbor advertisement fd00::2 is-at 02:00:00:0b:00:01 [solicited, override]");
    const tcp = sums("tcp-http");
    expect(tcp[0]).toMatch(/^TCP 10\.0\.0\.1:\d+ → 8080 \[SYN\] seq=\d+ win=64240$/);
    expect(tcp.some((s) => s.startsWith("HTTP GET / HTTP/1.1 ("))).toBe(true);
    expect(tcp.some((s) => s.startsWith("HTTP HTTP/1.0 200 OK ("))).toBe(true);
    expect(sums("dns")).toEqual(expect.arrayContaining(["DNS A? h2", "DNS AAAA? h2", "DNS A h2 → 10.0.0.2", "DNS AAAA h2 → fd00::2"]));
    const dhcp = sums("dhcp").filter((s) => s.startsWith("DHCP"));
    expect(dhcp.map((s) => s.split(" ")[1])).toEqual(["Discover", "Offer", "Request", "ACK"]);
    expect(dhcp[1]).toMatch(/^DHCP Offer 10\.50\.50\.\d+ to 02:00:00:00:01:00 xid=0x[0-9a-f]{8}$/);
    const vlan = load("vlan-trunk").packets.filter((p) => p.d.protocol === "ARP");
    expect(vlan.length).toBeGreaterThan(0);
    for (const p of vlan) expect(p.d.vlans).toEqual([100]);
  });

  it("gives every field an offset and length inside the frame, and the bytes of the values it shows", () => {
    for (const name of FIXTURES) {
      for (const { d, data } of load(name).packets) {
        const walk = (fs: Field[]) => {
          for (const f of fs) {
            expect(f.offset).toBeGreaterThanOrEqual(0);
            expect(f.offset + f.length, `${name} ${f.name}`).toBeLessThanOrEqual(data.length);
            walk(f.children ?? []);
          }
        };
        walk(d.layers);
      }
    }
    // the IPv4 source address field points at the 4 bytes that spell it
    const p = load("arp-ping4").packets.find((x) => x.d.protocol === "ICMP")!;
    const src = p.d.layers.find((l) => l.name === IP4)!.children!.find((f) => f.name === "Source address")!;
    expect(Array.from(p.data.subarray(src.offset, src.offset + src.length)).join(".")).toBe(src.value);
  });
});
