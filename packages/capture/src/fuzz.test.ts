// The decoder never throws: random bytes, every truncation of every recorded frame, and
// recorded frames with random bytes changed all come back decoded or "malformed" with what
// could be read. fast-check drives it.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decode, LINKTYPE } from "./decode";
import { readPcap } from "./pcap";

const dir = join(import.meta.dirname, "fixtures");
const frames = readdirSync(dir)
  .filter((f) => f.endsWith(".pcap"))
  .flatMap((f) => readPcap(new Uint8Array(readFileSync(join(dir, f)))).records.map((r) => r.data));

function sane(d: ReturnType<typeof decode>, frame: Uint8Array): void {
  expect(typeof d.summary).toBe("string");
  expect(d.summary.length).toBeGreaterThan(0);
  const walk = (fs: typeof d.layers) => {
    for (const f of fs) {
      expect(f.offset + f.length).toBeLessThanOrEqual(Math.max(frame.length, f.offset));
      walk(f.children ?? []);
    }
  };
  walk(d.layers);
}

describe("decode on bad input", () => {
  it("never throws on random bytes, whatever the link type", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.constantFrom(0, 1, 101, 113, 276, 999), (bytes, lt) => {
        sane(decode(bytes, lt), bytes);
      }),
      { numRuns: 3000 },
    );
  }, 60_000);

  it("reads every truncation of every recorded frame up to where it ends, and says it is malformed", () => {
    let malformed = 0;
    for (const frame of frames) {
      const whole = decode(frame);
      expect(whole.malformed).toBeUndefined();
      for (let n = 0; n < frame.length; n++) {
        const cut = frame.subarray(0, n);
        const d = decode(cut, LINKTYPE.ETHERNET, frame.length);
        sane(d, cut);
        if (d.malformed) {
          malformed++;
          expect(d.summary).toContain("[malformed:");
          // what could be read: the layers before the cut are there, in order
          for (let i = 0; i < d.layers.length - 1; i++) expect(d.layers[i]!.name).toBe(whole.layers[i]!.name);
        }
      }
      // a frame cut inside its Ethernet header reads as malformed
      expect(decode(frame.subarray(0, 13)).malformed).toMatch(/Ethernet/);
    }
    expect(malformed).toBeGreaterThan(frames.length * 10);
  }, 60_000);

  it("a frame cut in its IPv4 header keeps the Ethernet layer and names the field that was cut", () => {
    const icmp = frames.find((f) => decode(f).protocol === "ICMP")!;
    const d = decode(icmp.subarray(0, 14 + 16));
    expect(d.layers.map((l) => l.name)).toEqual(["Ethernet II", "Internet Protocol Version 4"]);
    expect(d.malformed).toBe("IPv4 addresses: truncated (needs 34 bytes, frame has 30)");
    expect(d.src).toBe(decode(icmp).layers[0]!.children![1]!.value);
  });

  it("never throws on recorded frames with random bytes changed", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...frames),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        (frame, edits) => {
          const f = frame.slice();
          for (const [i, v] of edits) f[i % f.length] = v;
          sane(decode(f), f);
        },
      ),
      { numRuns: 3000 },
    );
  }, 60_000);
});
