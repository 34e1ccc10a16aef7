// The capture panel's worker logic (store.ts), without a worker: batches in, windows out, one
// at a time, each carrying the batches it took in for the page to acknowledge once drawn; the
// visible window only; the display filter; clear; a selected packet's tree and bytes; bounds.
// Packets from a pcap recorded in @topolab/capture's fixtures (ARP, ping, neighbour discovery).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decode, encodeBatch, readPcap, type WirePacket } from "@topolab/capture";
import { CaptureStore, MAX_PACKETS, type FromWorker, type WindowMessage } from "./store";

const recorded = readPcap(new Uint8Array(readFileSync(join(import.meta.dirname, "../../../../packages/capture/src/fixtures/arp-ping4.pcap")))).records;
const wire: WirePacket[] = recorded.map((r, i) => ({ iface: i % 2, timeUs: r.timeUs, length: r.length, data: r.data }));

const batch = (packets: WirePacket[]) => {
  const b = encodeBatch(packets);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};
const windowOf = (out: FromWorker[]): WindowMessage | undefined => out.find((m): m is WindowMessage => m.type === "window");

function started(): CaptureStore {
  const s = new CaptureStore();
  // the first window (empty) goes at once; the page draws it
  expect(windowOf(s.handle({ type: "init", labels: ["h1:eth0", "h2:eth0"] }))?.rows).toEqual([]);
  s.handle({ type: "drawn" });
  return s;
}

describe("CaptureStore", () => {
  it("sends the last rows while following, decoded as the list shows them, with the batches to acknowledge", () => {
    expect(recorded.length).toBeGreaterThan(8);
    const s = started();
    s.handle({ type: "view", first: 0, count: 3, follow: true });
    s.handle({ type: "drawn" });
    const w = windowOf(s.handle({ type: "batch", batch: batch(wire), missed: 5, total: wire.length + 5 }))!;
    expect(w.shown).toBe(wire.length);
    expect(w.first).toBe(wire.length - 3);
    expect(w.rows.map((r) => r.no)).toEqual([wire.length - 2, wire.length - 1, wire.length]);
    const last = wire.at(-1)!;
    const d = decode(last.data, 1, last.length);
    expect(w.rows[2]).toEqual({
      no: wire.length,
      iface: last.iface,
      time: ((last.timeUs - wire[0]!.timeUs) / 1e6).toFixed(6),
      src: d.src,
      dst: d.dst,
      protocol: d.protocol,
      length: last.length,
      summary: d.summary,
      malformed: false,
      vlans: [],
    });
    expect([w.received, w.total, w.missed, w.dropped, w.acks]).toEqual([wire.length, wire.length + 5, 5, 0, 1]);
    expect(w.dots.length).toBeGreaterThan(0);
    expect(w.dots.length).toBeLessThanOrEqual(6);
    expect(w.dots[0]).toEqual({
      iface: wire[0]!.iface,
      src: expect.stringMatching(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/),
      protocol: decode(wire[0]!.data).protocol,
    });
  });

  it("sends one window at a time: the next once the page drew the last, with every batch taken in meanwhile", () => {
    const s = started();
    expect(windowOf(s.handle({ type: "batch", batch: batch(wire.slice(0, 2)), missed: 0, total: 2 }))?.acks).toBe(1);
    // not drawn yet: batches wait in the store, unacknowledged
    expect(s.handle({ type: "batch", batch: batch(wire.slice(2, 4)), missed: 0, total: 4 })).toEqual([]);
    expect(s.handle({ type: "batch", batch: batch(wire.slice(4, 6)), missed: 1, total: 7 })).toEqual([]);
    const w = windowOf(s.handle({ type: "drawn" }))!;
    expect(w.acks).toBe(2);
    expect([w.shown, w.total, w.missed]).toEqual([6, 7, 1]);
    // nothing new: nothing sent
    expect(s.handle({ type: "drawn" })).toEqual([]);
  });

  it("sends the rows from where the list is scrolled when it does not follow", () => {
    const s = started();
    s.handle({ type: "batch", batch: batch(wire), missed: 0, total: wire.length });
    s.handle({ type: "drawn" });
    const w = windowOf(s.handle({ type: "view", first: 2, count: 3, follow: false }))!;
    expect(w.first).toBe(2);
    expect(w.rows.map((r) => r.no)).toEqual([3, 4, 5]);
    s.handle({ type: "drawn" });
    // scrolled past the end: the last rows
    const end = windowOf(s.handle({ type: "view", first: 10_000, count: 3, follow: false }))!;
    expect(end.rows.map((r) => r.no)).toEqual([wire.length - 2, wire.length - 1, wire.length]);
    s.handle({ type: "drawn" });
    // following, a scroll position alone changes nothing
    s.handle({ type: "view", first: 0, count: 3, follow: true });
    s.handle({ type: "drawn" });
    expect(s.handle({ type: "view", first: 7, count: 3, follow: true })).toEqual([]);
  });

  it("lists only the packets that pass the display filter, those before it and those after", () => {
    const s = started();
    s.handle({ type: "view", first: 0, count: 100, follow: true });
    s.handle({ type: "drawn" });
    s.handle({ type: "batch", batch: batch(wire.slice(0, 6)), missed: 0, total: 6 });
    s.handle({ type: "drawn" });
    const icmp = wire.map((p, i) => ({ no: i + 1, d: decode(p.data, 1, p.length) })).filter((x) => x.d.protocols.includes("icmp"));
    expect(icmp.length).toBeGreaterThan(1);
    const w = windowOf(s.handle({ type: "filter", text: "icmp" }))!;
    expect(w.rows.every((r) => r.protocol === "ICMP")).toBe(true);
    s.handle({ type: "drawn" });
    const all = windowOf(s.handle({ type: "batch", batch: batch(wire.slice(6)), missed: 0, total: wire.length }))!;
    expect(all.rows.map((r) => r.no)).toEqual(icmp.map((x) => x.no));
    expect(all.shown).toBe(icmp.length);
    s.handle({ type: "drawn" });
    // by interface
    const h2 = windowOf(s.handle({ type: "filter", text: "if:h2" }))!;
    expect(h2.rows.map((r) => r.iface)).toEqual(wire.filter((p) => p.iface === 1).map(() => 1));
    s.handle({ type: "drawn" });
    expect(windowOf(s.handle({ type: "filter", text: "" }))!.shown).toBe(wire.length);
  });

  it("clears the list, the numbering going on", () => {
    const s = started();
    s.handle({ type: "batch", batch: batch(wire.slice(0, 4)), missed: 0, total: 4 });
    s.handle({ type: "drawn" });
    const w = windowOf(s.handle({ type: "clear" }))!;
    expect([w.shown, w.rows.length, w.dropped]).toEqual([0, 0, 0]);
    s.handle({ type: "drawn" });
    const next = windowOf(s.handle({ type: "batch", batch: batch(wire.slice(4, 5)), missed: 0, total: 5 }))!;
    expect(next.rows.map((r) => [r.no, r.time])).toEqual([[5, "0.000000"]]);
  });

  it("decodes a selected packet's field tree and hands over its bytes; one let go says so", () => {
    const s = started();
    s.handle({ type: "batch", batch: batch(wire), missed: 0, total: wire.length });
    const [detail] = s.handle({ type: "select", no: 3 });
    expect(detail?.type).toBe("detail");
    if (detail?.type !== "detail") return;
    expect(detail.layers).toEqual(decode(wire[2]!.data, 1, wire[2]!.length).layers);
    expect([...new Uint8Array(detail.data!)]).toEqual([...wire[2]!.data]);
    expect(s.handle({ type: "select", no: 10_000 })).toEqual([{ type: "detail", no: 10_000, layers: null, data: null }]);
    expect(s.handle({ type: "select", no: null })).toEqual([]);
  });

  it(`keeps at most ${MAX_PACKETS} packets, the oldest let go and counted`, () => {
    const s = started();
    s.handle({ type: "view", first: 0, count: 2, follow: false });
    s.handle({ type: "drawn" });
    const per = 500;
    const one = wire.slice(0, 1);
    const b = encodeBatch(Array.from({ length: per }, () => one[0]!));
    let w: WindowMessage | undefined;
    for (let i = 0; i < (MAX_PACKETS + 1000) / per; i++) {
      w = windowOf(s.handle({ type: "batch", batch: b.slice().buffer, missed: 0, total: (i + 1) * per })) ?? w;
      s.handle({ type: "drawn" });
    }
    w = windowOf(s.handle({ type: "view", first: 0, count: 2, follow: false })) ?? w;
    expect(w!.shown).toBe(MAX_PACKETS);
    expect(w!.dropped).toBe(1000);
    expect(w!.rows.map((r) => r.no)).toEqual([1001, 1002]);
  });
});
