// The pcapng writer: a Section Header Block, one Interface Description Block per captured
// interface (if_name "node:if", so Wireshark shows where each packet was seen) and an Enhanced
// Packet Block per packet, little-endian, microsecond timestamps (the IDB default). Pure bytes
// in, bytes out; how packets were captured and kept is the engine's and the server's business.

export interface PcapngInterface {
  /** "node:if" */
  name: string;
  linktype: number;
  snaplen?: number;
}

export interface PcapngPacket {
  /** Index into the interfaces given to writePcapng. */
  interface: number;
  timeUs: number;
  data: Uint8Array;
  /** Length on the wire (>= data.length). */
  length: number;
}

const enc = new TextEncoder();
const pad4 = (n: number) => (n + 3) & ~3;

function option(code: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + pad4(value.length));
  const dv = new DataView(out.buffer);
  dv.setUint16(0, code, true);
  dv.setUint16(2, value.length, true);
  out.set(value, 4);
  return out;
}

function block(type: number, body: Uint8Array): Uint8Array {
  const total = 12 + body.length;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(4, total, true);
  out.set(body, 8);
  dv.setUint32(total - 4, total, true);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const END_OF_OPT = new Uint8Array(4);

/** The Section Header Block that starts the file. */
export function sectionHeader(application = "topolab"): Uint8Array {
  const fixed = new Uint8Array(16);
  const dv = new DataView(fixed.buffer);
  dv.setUint32(0, 0x1a2b3c4d, true);
  dv.setUint16(4, 1, true);
  dv.setUint16(6, 0, true);
  dv.setInt32(8, -1, true); // section length unknown: -1 over 64 bits
  dv.setInt32(12, -1, true);
  return block(0x0a0d0d0a, concat([fixed, option(4, enc.encode(application)), END_OF_OPT]));
}

export function interfaceBlock(iface: PcapngInterface): Uint8Array {
  const fixed = new Uint8Array(8);
  const dv = new DataView(fixed.buffer);
  dv.setUint16(0, iface.linktype, true);
  dv.setUint32(4, iface.snaplen ?? 262_144, true);
  return block(1, concat([fixed, option(2, enc.encode(iface.name)), END_OF_OPT]));
}

export function packetBlock(p: PcapngPacket): Uint8Array {
  const body = new Uint8Array(20 + pad4(p.data.length));
  const dv = new DataView(body.buffer);
  dv.setUint32(0, p.interface, true);
  dv.setUint32(4, Math.floor(p.timeUs / 0x1_0000_0000), true);
  dv.setUint32(8, (p.timeUs % 0x1_0000_0000) >>> 0, true);
  dv.setUint32(12, p.data.length, true);
  dv.setUint32(16, Math.max(p.length, p.data.length), true);
  body.set(p.data, 20);
  return block(6, body);
}

/** A whole pcapng file. */
export function writePcapng(interfaces: PcapngInterface[], packets: Iterable<PcapngPacket>): Uint8Array {
  const parts = [sectionHeader(), ...interfaces.map(interfaceBlock)];
  for (const p of packets) {
    if (!(p.interface >= 0 && p.interface < interfaces.length))
      throw new Error(`pcapng: packet names interface ${p.interface}, but there are ${interfaces.length}`);
    parts.push(packetBlock(p));
  }
  return concat(parts);
}
