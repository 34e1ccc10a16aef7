// The pcap stream reader fed in every split, and the pcapng writer read back by tcpdump itself.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PcapReader, readPcap } from "./pcap";
import { writePcapng } from "./pcapng";
import { decodeBatch, encodeBatch, forEachPacket } from "./wire";

const file = new Uint8Array(readFileSync(join(import.meta.dirname, "fixtures", "dhcp.pcap")));

describe("PcapReader", () => {
  it("gives the same records however the stream is split", () => {
    const whole = readPcap(file).records;
    expect(whole.length).toBeGreaterThan(10);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 60 }), (sizes) => {
        const r = new PcapReader();
        const got = [];
        let o = 0;
        for (const s of sizes) {
          got.push(...r.push(file.subarray(o, o + s)));
          o += s;
        }
        got.push(...r.push(file.subarray(o)));
        expect(r.pending()).toBe(0);
        expect(got).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  }, 30_000); // 300 random splits: seconds on a loaded machine

  it("each() hands over the same records as push(), as views valid during the call", () => {
    const whole = readPcap(file).records;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 60 }), (sizes) => {
        const r = new PcapReader();
        const got: { timeUs: number; length: number; data: Uint8Array }[] = [];
        const keep = (timeUs: number, length: number, data: Uint8Array) => got.push({ timeUs, length, data: data.slice() });
        let o = 0;
        let n = 0;
        for (const s of sizes) {
          n += r.each(file.subarray(o, o + s), keep);
          o += s;
        }
        n += r.each(file.subarray(o), keep);
        expect(n).toBe(whole.length);
        expect(got).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  }, 30_000);

  it("reads timestamps as tcpdump prints them", () => {
    const { header, records } = readPcap(file);
    expect(header.linktype).toBe(1);
    const text = readFileSync(join(import.meta.dirname, "fixtures", "dhcp.txt"), "utf8");
    const first = /^(\d\d):(\d\d):(\d\d)\.(\d{6})/.exec(text)!;
    const t = new Date(records[0]!.timeUs / 1000);
    expect([t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds()].map((x) => String(x).padStart(2, "0"))).toEqual([first[1], first[2], first[3]]);
    expect(records[0]!.timeUs % 1_000_000).toBe(Number(first[4]));
  });

  it("refuses a stream that is not pcap, saying what it read", () => {
    expect(() => new PcapReader().push(new TextEncoder().encode("tcpdump: syntax error in filter expression"))).toThrow(
      /does not start with a pcap magic number \(read 0x74637064\)/,
    );
    expect(() => readPcap(file.subarray(0, file.length - 3))).toThrow(/ends inside a record/);
  });
});

describe("writePcapng", () => {
  it("writes a file tcpdump reads, with the same packets and the interface names", () => {
    const { records } = readPcap(file);
    const png = writePcapng(
      [
        { name: "red:eth0", linktype: 1 },
        { name: "ovs1:eth1", linktype: 1 },
      ],
      records.map((r, i) => ({ interface: i % 2, timeUs: r.timeUs, data: r.data, length: r.length })),
    );
    const dir = mkdtempSync(join(tmpdir(), "cp-pcapng-"));
    try {
      writeFileSync(join(dir, "a.pcapng"), png);
      writeFileSync(join(dir, "a.pcap"), file);
      const opts = ["-nn", "-e", "-v", "-r"];
      const fromPng = execFileSync("tcpdump", [...opts, join(dir, "a.pcapng")], { stdio: ["ignore", "pipe", "ignore"] }).toString();
      const fromPcap = execFileSync("tcpdump", [...opts, join(dir, "a.pcap")], { stdio: ["ignore", "pipe", "ignore"] }).toString();
      expect(fromPng).toBe(fromPcap);
      // tcpdump -i names interfaces: --print-interface is not in 4.99's -r, so read the IDB back
      const names = [...new TextDecoder().decode(png).matchAll(/(red:eth0|ovs1:eth1)/g)].map((m) => m[1]);
      expect(names).toEqual(["red:eth0", "ovs1:eth1"]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe("wire batches", () => {
  it("round-trip, and refuse a cut batch", () => {
    const { records } = readPcap(file);
    const packets = records.map((r, i) => ({ iface: i % 3, timeUs: r.timeUs, length: r.length, data: r.data }));
    const bytes = encodeBatch(packets);
    expect(decodeBatch(bytes)).toEqual(packets);
    expect(() => decodeBatch(bytes.subarray(0, bytes.length - 1))).toThrow(/cut short/);
  });

  it("are walked in place by forEachPacket, the same packets, and a cut one hands over none", () => {
    const { records } = readPcap(file);
    const packets = records.map((r, i) => ({ iface: i % 3, timeUs: r.timeUs, length: r.length, data: r.data }));
    const bytes = encodeBatch(packets);
    const got: typeof packets = [];
    expect(forEachPacket(bytes, (iface, timeUs, length, data) => got.push({ iface, timeUs, length, data: data.slice() }))).toBe(packets.length);
    expect(got).toEqual(packets);
    let seen = 0;
    expect(() => forEachPacket(bytes.subarray(0, bytes.length - 1), () => seen++)).toThrow(/cut short/);
    expect(seen).toBe(0);
    expect(() => forEachPacket(new Uint8Array([2, 0, 0, 0, 0]), () => seen++)).toThrow(/version 2/);
  });
});
