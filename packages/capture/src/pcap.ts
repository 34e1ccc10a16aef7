// The classic pcap format, read incrementally: what `tcpdump -w -` writes to its stdout. Feed it
// chunks as they arrive (any split, even inside a header); it returns the whole records so far
// and keeps the rest. It knows the file header (both byte orders, micro- and nanosecond
// timestamps) and the record headers; what is inside a frame is decode.ts's business.
//
// A stream that is not pcap, or a record longer than MAX_RECORD, is an error that says what
// was read: a capture whose stream is broken must stop, not drift.

export interface PcapHeader {
  /** LINKTYPE_* of every record (1 = Ethernet). */
  linktype: number;
  snaplen: number;
  /** Timestamps in nanoseconds (magic 0xa1b23c4d) rather than microseconds. */
  nanos: boolean;
  littleEndian: boolean;
}

export interface PcapRecord {
  /** Capture time in microseconds since the epoch. */
  timeUs: number;
  /** Bytes captured (data.length) and the frame's length on the wire. */
  data: Uint8Array;
  length: number;
}

/** No sane frame is longer; a longer record means the stream is corrupt. */
export const MAX_RECORD = 262_144;

export class PcapReader {
  header: PcapHeader | undefined;
  private buf = new Uint8Array(65_536);
  private start = 0;
  private end = 0;

  /** Adds a chunk of the stream; returns the records it completed. */
  push(chunk: Uint8Array): PcapRecord[] {
    const found: { at: number; capLen: number; timeUs: number; length: number }[] = [];
    const first = this.scan(chunk, (timeUs, length, at, capLen) => found.push({ at, capLen, timeUs, length }));
    if (found.length === 0) return [];
    // one copy for all the records of this push, each a view into it: one allocation per chunk,
    // not per packet (a flood makes hundreds of thousands)
    const block = this.buf.slice(first, this.start);
    return found.map((r) => ({ timeUs: r.timeUs, data: block.subarray(r.at - first, r.at - first + r.capLen), length: r.length }));
  }

  /**
   * Adds a chunk of the stream and hands each record it completed to `fn`, its bytes a view into
   * the reader's own buffer, valid only during the call (copy them to keep them): nothing is
   * allocated per record or per chunk. Returns how many records there were.
   */
  each(chunk: Uint8Array, fn: (timeUs: number, length: number, data: Uint8Array) => void): number {
    let n = 0;
    this.scan(chunk, (timeUs, length, at, capLen) => {
      n++;
      fn(timeUs, length, this.buf.subarray(at, at + capLen));
    });
    return n;
  }

  /** Appends the chunk and walks the whole records in the buffer; returns where the first began. */
  private scan(chunk: Uint8Array, fn: (timeUs: number, length: number, at: number, capLen: number) => void): number {
    this.append(chunk);
    if (!this.header) {
      if (this.end - this.start < 24) return this.start;
      this.header = readHeader(this.buf.subarray(this.start, this.start + 24));
      this.start += 24;
    }
    const le = this.header.littleEndian;
    const nanos = this.header.nanos;
    const dv = new DataView(this.buf.buffer, this.buf.byteOffset);
    const first = this.start;
    while (this.end - this.start >= 16) {
      const p = this.start;
      const sec = dv.getUint32(p, le);
      const frac = dv.getUint32(p + 4, le);
      const capLen = dv.getUint32(p + 8, le);
      const length = dv.getUint32(p + 12, le);
      if (capLen > MAX_RECORD) throw new Error(`pcap: record of ${capLen} bytes at stream offset ${p} is longer than ${MAX_RECORD}: the stream is corrupt`);
      if (this.end - p < 16 + capLen) break;
      this.start = p + 16 + capLen;
      fn(sec * 1_000_000 + (nanos ? Math.floor(frac / 1000) : frac), length, p + 16, capLen);
    }
    return first;
  }

  /** Bytes received that do not yet make a whole record (0 at a clean end of stream). */
  pending(): number {
    return this.end - this.start;
  }

  private append(chunk: Uint8Array): void {
    if (this.start === this.end) this.start = this.end = 0;
    if (this.end + chunk.length > this.buf.length) {
      const live = this.end - this.start;
      if (live + chunk.length <= this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const next = new Uint8Array(Math.max(this.buf.length * 2, live + chunk.length));
        next.set(this.buf.subarray(this.start, this.end), 0);
        this.buf = next;
      }
      this.start = 0;
      this.end = live;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }
}

function readHeader(h: Uint8Array): PcapHeader {
  const dv = new DataView(h.buffer, h.byteOffset, 24);
  const magic = dv.getUint32(0, false);
  let littleEndian: boolean;
  let nanos: boolean;
  if (magic === 0xa1b2c3d4) [littleEndian, nanos] = [false, false];
  else if (magic === 0xd4c3b2a1) [littleEndian, nanos] = [true, false];
  else if (magic === 0xa1b23c4d) [littleEndian, nanos] = [false, true];
  else if (magic === 0x4d3cb2a1) [littleEndian, nanos] = [true, true];
  else throw new Error(`pcap: the stream does not start with a pcap magic number (read 0x${magic.toString(16).padStart(8, "0")})`);
  const major = dv.getUint16(4, littleEndian);
  if (major !== 2) throw new Error(`pcap: version ${major} is not 2`);
  return { littleEndian, nanos, snaplen: dv.getUint32(16, littleEndian), linktype: dv.getUint32(20, littleEndian) & 0x0fffffff };
}

/** Reads a whole classic pcap file. */
export function readPcap(bytes: Uint8Array): { header: PcapHeader; records: PcapRecord[] } {
  const r = new PcapReader();
  const records = r.push(bytes);
  if (!r.header) throw new Error(`pcap: ${bytes.length} bytes are shorter than the 24-byte file header`);
  if (r.pending() > 0) throw new Error(`pcap: the file ends inside a record (${r.pending()} bytes left over)`);
  return { header: r.header, records };
}
