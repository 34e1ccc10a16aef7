// A bounded ring of captured packets kept in one byte buffer, not one object per packet: the
// bytes of every packet live in a single Uint8Array (grown by doubling up to maxBytes, then
// reused in a circle), their times, lengths, interfaces and offsets in typed arrays of
// maxPackets slots. A flood of hundreds of thousands of packets then allocates nothing per
// packet, and what is kept is exactly what the bounds say (no V8 heap of small objects and
// ArrayBuffers to be collected later).
//
// Packets are numbered 1, 2, 3… (seq) in the order they were pushed; the oldest go first when
// either bound is reached. A packet is read back by its number while it is kept: get() returns
// a view into the ring, valid until the next push (copy it to keep it).
//
// Knows: storage and the batch wire format (wire.ts) written straight from it. Pure; no I/O.
// Leaves to others: where packets come from (the engine's tcpdump reader) and who reads them.

import { WIRE_HEAD, WIRE_PER, WIRE_VERSION, type WirePacket } from "./wire";

export interface RingStats {
  /** packets pushed */
  pushed: number;
  /** packets let go to make room (the oldest) */
  dropped: number;
}

export class PacketRing {
  private data: Uint8Array;
  private readonly ifaces: Uint16Array;
  private readonly times: Float64Array;
  private readonly lengths: Uint32Array;
  private readonly caplens: Uint32Array;
  private readonly offsets: Uint32Array;
  /** slot of the oldest packet kept */
  private headSlot = 0;
  private n = 0;
  /** where the next packet's bytes go */
  private tail = 0;
  /** whether the newest packets' bytes start again at 0, before the oldest's */
  private wrapped = false;
  private keptBytes = 0;
  /** seq of the oldest packet kept (the next one's when none is) */
  private first = 1;
  readonly stats: RingStats = { pushed: 0, dropped: 0 };

  constructor(
    readonly maxPackets: number,
    readonly maxBytes: number,
    initialBytes = 1 << 20,
  ) {
    if (!(Number.isInteger(maxPackets) && maxPackets > 0)) throw new RangeError(`ring: maxPackets must be a whole number above 0, not ${maxPackets}`);
    if (!(Number.isInteger(maxBytes) && maxBytes > 0)) throw new RangeError(`ring: maxBytes must be a whole number above 0, not ${maxBytes}`);
    this.data = new Uint8Array(Math.min(maxBytes, initialBytes));
    this.ifaces = new Uint16Array(maxPackets);
    this.times = new Float64Array(maxPackets);
    this.lengths = new Uint32Array(maxPackets);
    this.caplens = new Uint32Array(maxPackets);
    this.offsets = new Uint32Array(maxPackets);
  }

  /** Packets kept. */
  get size(): number {
    return this.n;
  }

  /** Bytes of packet data kept. */
  get bytes(): number {
    return this.keptBytes;
  }

  /** The byte buffer's size (grows by doubling up to maxBytes). */
  get capacity(): number {
    return this.data.length;
  }

  /** seq of the oldest packet kept. */
  get oldest(): number {
    return this.first;
  }

  /** seq of the newest packet (oldest - 1 when none is kept). */
  get newest(): number {
    return this.first + this.n - 1;
  }

  /**
   * Keeps a packet (its bytes are copied in; a packet longer than maxBytes keeps its first
   * maxBytes); returns its seq.
   */
  push(iface: number, timeUs: number, length: number, bytes: Uint8Array): number {
    const cap = Math.min(bytes.length, this.maxBytes);
    if (this.n === this.maxPackets) this.dropOldest();
    const at = this.place(cap);
    this.data.set(cap === bytes.length ? bytes : bytes.subarray(0, cap), at);
    const slot = (this.headSlot + this.n) % this.maxPackets;
    this.ifaces[slot] = iface;
    this.times[slot] = timeUs;
    this.lengths[slot] = length;
    this.caplens[slot] = cap;
    this.offsets[slot] = at;
    this.n++;
    this.keptBytes += cap;
    this.tail = at + cap;
    this.stats.pushed++;
    return this.newest;
  }

  /** The packet numbered seq while it is kept: a view into the ring, valid until the next push. */
  get(seq: number): WirePacket | undefined {
    if (!this.has(seq)) return undefined;
    const slot = this.slot(seq);
    const o = this.offsets[slot]!;
    return { iface: this.ifaces[slot]!, timeUs: this.times[slot]!, length: this.lengths[slot]!, data: this.data.subarray(o, o + this.caplens[slot]!) };
  }

  /** Bytes kept of the packet numbered seq (0 when it is not kept). */
  caplen(seq: number): number {
    return this.has(seq) ? this.caplens[this.slot(seq)]! : 0;
  }

  has(seq: number): boolean {
    return Number.isInteger(seq) && seq >= this.first && seq <= this.newest;
  }

  /** Lets every packet go (the numbering goes on). */
  clear(): void {
    this.stats.dropped += this.n;
    this.first += this.n;
    this.n = 0;
    this.keptBytes = 0;
    this.headSlot = 0;
    this.tail = 0;
    this.wrapped = false;
  }

  /**
   * The packets numbered `seqs` (kept ones only, in the order given) as one batch in the wire
   * format (wire.ts), written straight from the ring: one allocation per batch.
   */
  encode(seqs: readonly number[]): Uint8Array {
    let size = WIRE_HEAD;
    let count = 0;
    for (const s of seqs) {
      if (!this.has(s)) continue;
      size += WIRE_PER + this.caplens[this.slot(s)]!;
      count++;
    }
    const out = new Uint8Array(size);
    const dv = new DataView(out.buffer);
    dv.setUint8(0, WIRE_VERSION);
    dv.setUint32(1, count);
    let o = WIRE_HEAD;
    for (const s of seqs) {
      if (!this.has(s)) continue;
      const slot = this.slot(s);
      const cap = this.caplens[slot]!;
      const at = this.offsets[slot]!;
      dv.setUint16(o, this.ifaces[slot]!);
      dv.setFloat64(o + 2, this.times[slot]!);
      dv.setUint32(o + 10, this.lengths[slot]!);
      dv.setUint32(o + 14, cap);
      out.set(this.data.subarray(at, at + cap), o + WIRE_PER);
      o += WIRE_PER + cap;
    }
    return out;
  }

  private slot(seq: number): number {
    return (this.headSlot + (seq - this.first)) % this.maxPackets;
  }

  private dropOldest(): void {
    const was = this.offsets[this.headSlot]!;
    this.keptBytes -= this.caplens[this.headSlot]!;
    this.headSlot = (this.headSlot + 1) % this.maxPackets;
    this.first++;
    this.n--;
    this.stats.dropped++;
    if (this.n === 0) {
      this.headSlot = 0;
      this.tail = 0;
      this.wrapped = false;
    } else if (this.offsets[this.headSlot]! < was) this.wrapped = false;
  }

  /** Where `size` bytes go: after the newest packet, or at the start; grows or lets the oldest go until they fit. */
  private place(size: number): number {
    for (;;) {
      if (this.n === 0) {
        this.tail = 0;
        this.wrapped = false;
        if (size <= this.data.length) return 0;
      } else {
        const head = this.offsets[this.headSlot]!;
        if (!this.wrapped) {
          // live bytes are [head, tail): free after tail, or before head
          if (this.tail + size <= this.data.length) return this.tail;
          if (size <= head) {
            this.wrapped = true;
            return 0;
          }
        } else if (this.tail + size <= head) {
          // live bytes are [head, end) and [0, tail)
          return this.tail;
        }
      }
      if (this.data.length < this.maxBytes) this.grow(size);
      else this.dropOldest();
    }
  }

  /** A buffer twice the size (at most maxBytes), the packets kept copied in order from 0. */
  private grow(need: number): void {
    const next = new Uint8Array(Math.min(this.maxBytes, Math.max(this.data.length * 2, this.bytes + need)));
    let o = 0;
    for (let i = 0; i < this.n; i++) {
      const slot = (this.headSlot + i) % this.maxPackets;
      const at = this.offsets[slot]!;
      const cap = this.caplens[slot]!;
      next.set(this.data.subarray(at, at + cap), o);
      this.offsets[slot] = o;
      o += cap;
    }
    this.data = next;
    this.tail = o;
    this.wrapped = false;
  }
}
