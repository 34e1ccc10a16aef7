import { describe, expect, it } from "vitest";
import { PacketRing } from "./ring";
import { decodeBatch } from "./wire";

/** A deterministic pseudo-random sequence (the same on every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const packet = (seq: number, size: number) => {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (seq * 31 + i) & 0xff;
  return b;
};

describe("PacketRing", () => {
  it("keeps packets by number, with their interface, time and lengths", () => {
    const r = new PacketRing(10, 1000);
    expect(r.size).toBe(0);
    expect(r.newest).toBe(0);
    expect(r.push(2, 1_700_000_000_123_456, 60, packet(1, 42))).toBe(1);
    expect(r.push(0, 1_700_000_000_223_456, 98, packet(2, 98))).toBe(2);
    expect(r.size).toBe(2);
    expect(r.oldest).toBe(1);
    expect(r.newest).toBe(2);
    const p = r.get(1)!;
    expect([p.iface, p.timeUs, p.length]).toEqual([2, 1_700_000_000_123_456, 60]);
    expect([...p.data]).toEqual([...packet(1, 42)]);
    expect(r.get(0)).toBeUndefined();
    expect(r.get(3)).toBeUndefined();
    expect(r.bytes).toBe(140);
  });

  it("lets the oldest go at maxPackets, the numbering going on", () => {
    const r = new PacketRing(3, 1 << 20);
    for (let i = 1; i <= 7; i++) r.push(0, i, 10, packet(i, 10));
    expect(r.size).toBe(3);
    expect([r.oldest, r.newest]).toEqual([5, 7]);
    expect(r.stats).toEqual({ pushed: 7, dropped: 4 });
    for (let s = 5; s <= 7; s++) expect([...r.get(s)!.data]).toEqual([...packet(s, 10)]);
  });

  it("grows its buffer by doubling up to maxBytes, then reuses it in a circle", () => {
    const r = new PacketRing(1000, 4096, 256);
    expect(r.capacity).toBe(256);
    for (let i = 1; i <= 10; i++) r.push(0, i, 100, packet(i, 100));
    expect(r.capacity).toBe(1024);
    for (let i = 11; i <= 500; i++) r.push(0, i, 100, packet(i, 100));
    expect(r.capacity).toBe(4096);
    expect(r.bytes).toBeLessThanOrEqual(4096);
    expect(r.size).toBeGreaterThanOrEqual(39); // 40 fit; the circle may waste the end
    expect(r.newest).toBe(500);
    for (let s = r.oldest; s <= r.newest; s++) expect([...r.get(s)!.data]).toEqual([...packet(s, 100)]);
  });

  it("keeps the first maxBytes of a packet longer than the ring", () => {
    const r = new PacketRing(4, 64, 16);
    r.push(1, 5, 1500, packet(1, 200));
    const p = r.get(1)!;
    expect(p.data.length).toBe(64);
    expect(p.length).toBe(1500);
    expect([...p.data]).toEqual([...packet(1, 200).subarray(0, 64)]);
  });

  it("clear lets every packet go and numbers on", () => {
    const r = new PacketRing(8, 1024);
    for (let i = 1; i <= 5; i++) r.push(0, i, 10, packet(i, 10));
    r.clear();
    expect(r.size).toBe(0);
    expect(r.get(5)).toBeUndefined();
    expect(r.push(0, 6, 10, packet(6, 10))).toBe(6);
    expect(r.oldest).toBe(6);
    expect(r.stats.dropped).toBe(5);
  });

  it("encodes kept packets as a wire batch, in the order asked, skipping those let go", () => {
    const r = new PacketRing(4, 1024);
    for (let i = 1; i <= 6; i++) r.push(i % 3, i * 1000, 60 + i, packet(i, 20 + i));
    const batch = decodeBatch(r.encode([6, 1, 4, 5, 99]));
    expect(batch.map((p) => p.timeUs)).toEqual([6000, 4000, 5000]);
    expect(batch.map((p) => p.iface)).toEqual([0, 1, 2]);
    expect(batch.map((p) => p.length)).toEqual([66, 64, 65]);
    expect([...batch[0]!.data]).toEqual([...packet(6, 26)]);
    expect(decodeBatch(r.encode([]))).toEqual([]);
  });

  it("under random sizes and bounds, keeps the newest packets whole, within both bounds", () => {
    for (let round = 0; round < 30; round++) {
      const rand = rng(round + 1);
      const maxPackets = 1 + Math.floor(rand() * 200);
      const maxBytes = 64 + Math.floor(rand() * 20_000);
      const r = new PacketRing(maxPackets, maxBytes, 1 + Math.floor(rand() * 512));
      const sizes: number[] = [0];
      let biggest = 0;
      const broken: string[] = [];
      for (let i = 1; i <= 2000; i++) {
        const size = Math.floor(rand() * (rand() < 0.05 ? 3000 : 200));
        sizes.push(size);
        biggest = Math.max(biggest, Math.min(size, maxBytes));
        if (r.push(i & 7, i, size + 4, packet(i, size)) !== i) broken.push(`push ${i}: wrong number`);
        if (r.size > maxPackets || r.bytes > maxBytes || r.capacity > maxBytes || r.newest !== i) broken.push(`push ${i}: out of bounds`);
        if (i % 97 === 0) {
          for (let s = r.oldest; s <= r.newest; s++) {
            const p = r.get(s)!;
            const want = packet(s, sizes[s]!).subarray(0, maxBytes);
            if (p.length !== sizes[s]! + 4 || p.iface !== (s & 7) || !Buffer.from(p.data).equals(Buffer.from(want))) broken.push(`packet ${s} after push ${i}`);
          }
          // what was let go was let go for a bound: either the count is full, or the bytes
          // kept plus the next packet's would not fit (the circle may waste up to a packet)
          const all = sizes.slice(1).reduce((a, b) => a + Math.min(b, maxBytes), 0);
          if (!(r.size === maxPackets || r.bytes + 2 * biggest >= Math.min(maxBytes, all))) broken.push(`push ${i}: let go more than its bounds ask`);
        }
      }
      expect(broken, `round ${round} (maxPackets ${maxPackets}, maxBytes ${maxBytes})`).toEqual([]);
      expect(r.stats.pushed).toBe(2000);
      expect(r.stats.dropped).toBe(2000 - r.size);
    }
  });

  it("refuses absurd bounds", () => {
    expect(() => new PacketRing(0, 10)).toThrow(/maxPackets/);
    expect(() => new PacketRing(10, -1)).toThrow(/maxBytes/);
  });
});
