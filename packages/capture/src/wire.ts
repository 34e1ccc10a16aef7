// The binary form of a batch of captured packets, as the server sends them to the browser
// (one socket.io binary attachment per batch, not one per packet):
//   u8 version (1) · u32 count · then per packet: u16 interface index · f64 time (µs since the
//   epoch) · u32 length on the wire · u32 captured length · the captured bytes
// big-endian. Interface indexes refer to the capture's interface list, sent once at start.

export interface WirePacket {
  iface: number;
  timeUs: number;
  length: number;
  data: Uint8Array;
}

const HEAD = 5;
const PER = 18;
/** The batch format's version byte, header size, and per-packet header size (ring.ts writes batches too). */
export const WIRE_VERSION = 1;
export const WIRE_HEAD = HEAD;
export const WIRE_PER = PER;

export function encodeBatch(packets: readonly WirePacket[]): Uint8Array {
  const size = HEAD + packets.reduce((n, p) => n + PER + p.data.length, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint8(0, 1);
  dv.setUint32(1, packets.length);
  let o = HEAD;
  for (const p of packets) {
    dv.setUint16(o, p.iface);
    dv.setFloat64(o + 2, p.timeUs);
    dv.setUint32(o + 10, p.length);
    dv.setUint32(o + 14, p.data.length);
    out.set(p.data, o + PER);
    o += PER + p.data.length;
  }
  return out;
}

/**
 * Walks a batch without copying: `fn` gets each packet's bytes as a view into the batch (valid
 * while the batch is; copy them to keep them). Returns the count. A batch that is cut short or of another version is an error saying so.
 */
export function forEachPacket(bytes: Uint8Array, fn: (iface: number, timeUs: number, length: number, data: Uint8Array) => void): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < HEAD) throw new Error(`capture batch: ${bytes.length} bytes, shorter than its header`);
  if (dv.getUint8(0) !== 1) throw new Error(`capture batch: version ${dv.getUint8(0)} is not 1`);
  const count = dv.getUint32(1);
  // checked whole first, so that a batch cut short hands over nothing
  let o = HEAD;
  for (let i = 0; i < count; i++) {
    if (o + PER > bytes.length || o + PER + dv.getUint32(o + 14) > bytes.length) throw new Error(`capture batch: packet ${i} of ${count} is cut short`);
    o += PER + dv.getUint32(o + 14);
  }
  o = HEAD;
  for (let i = 0; i < count; i++) {
    const cap = dv.getUint32(o + 14);
    fn(dv.getUint16(o), dv.getFloat64(o + 2), dv.getUint32(o + 10), bytes.subarray(o + PER, o + PER + cap));
    o += PER + cap;
  }
  return count;
}

/** Reads a batch (each packet's bytes copied); a batch that is cut short or of another version is an error saying so. */
export function decodeBatch(bytes: Uint8Array): WirePacket[] {
  const out: WirePacket[] = [];
  forEachPacket(bytes, (iface, timeUs, length, data) => out.push({ iface, timeUs, length, data: data.slice() }));
  return out;
}
