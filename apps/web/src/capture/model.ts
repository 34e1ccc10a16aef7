// The packets of one capture panel, outside React: appended from binary batches, decoded once,
// bounded (the oldest go first), filtered incrementally by the display filter. Pure; the panel
// reads it on animation frames.
import { compileFilter, decode, decodeBatch, type Decoded } from "@topolab/capture";

/** What the list and the display filter need; the field tree is decoded again on selection. */
export type Light = Omit<Decoded, "layers">;

export interface Packet {
  /** 1, 2, 3... in arrival order, as in the pcapng */
  no: number;
  iface: number;
  timeUs: number;
  length: number;
  data: Uint8Array;
  d: Light;
}

function light(data: Uint8Array, length: number): Light {
  // the tree is dropped at once: 50,000 of them would weigh hundreds of MiB
  const { layers: _layers, ...rest } = decode(data, 1, length);
  return rest;
}

/** The most packets a panel keeps (the server keeps its own ring for the download). */
export const MAX_PACKETS = 50_000;

export class PacketModel {
  packets: Packet[] = [];
  /** indexes into packets that pass the display filter */
  shown: number[] = [];
  private head = 0;
  private no = 0;
  private test: (p: Packet) => boolean = () => true;
  filterText = "";
  filterError: string | null = null;
  missed = 0;
  total = 0;
  dropped = 0;
  firstUs: number | null = null;

  constructor(private labels: string[]) {}

  /** Adds a batch; returns the new packets. */
  add(batch: Uint8Array, missed: number, total: number): Packet[] {
    const added: Packet[] = [];
    for (const w of decodeBatch(batch)) {
      const p: Packet = { no: ++this.no, iface: w.iface, timeUs: w.timeUs, length: w.length, data: w.data, d: light(w.data, w.length) };
      this.firstUs ??= p.timeUs;
      this.packets.push(p);
      added.push(p);
      if (this.test(p)) this.shown.push(this.packets.length - 1 + this.head);
    }
    this.missed += missed;
    this.total = Math.max(this.total, total);
    this.trim();
    return added;
  }

  /** packets[i] by its absolute index (indexes stay valid while older packets are dropped) */
  at(abs: number): Packet | undefined {
    return this.packets[abs - this.head];
  }

  private trim(): void {
    const over = this.packets.length - MAX_PACKETS;
    if (over <= 0) return;
    this.packets.splice(0, over);
    this.head += over;
    this.dropped += over;
    let i = 0;
    while (i < this.shown.length && this.shown[i]! < this.head) i++;
    if (i) this.shown.splice(0, i);
  }

  setFilter(text: string): void {
    this.filterText = text;
    try {
      const f = compileFilter(text);
      this.test = (p) => f({ ...p.d, iface: this.labels[p.iface] ?? "" });
      this.filterError = null;
    } catch (e) {
      this.filterError = (e as Error).message;
      this.test = () => true;
    }
    this.shown = [];
    this.packets.forEach((p, i) => {
      if (this.test(p)) this.shown.push(i + this.head);
    });
  }

  clear(): void {
    this.head += this.packets.length;
    this.packets = [];
    this.shown = [];
    this.firstUs = null;
  }
}

/** "0.123456": seconds since the first packet shown, as Wireshark's list. */
export function relTime(p: Packet, firstUs: number | null): string {
  return ((p.timeUs - (firstUs ?? p.timeUs)) / 1e6).toFixed(6);
}

/** Rows of a hex dump: offset, 16 bytes in hex, and their ASCII. */
export function hexRows(data: Uint8Array): { offset: number; bytes: number[] }[] {
  const rows: { offset: number; bytes: number[] }[] = [];
  for (let o = 0; o < data.length; o += 16) rows.push({ offset: o, bytes: Array.from(data.subarray(o, o + 16)) });
  return rows;
}

export const PROTOCOL_COLORS: Record<string, string> = {
  ARP: "#e8a33d",
  ICMP: "#3fae5a",
  ICMPv6: "#3fae5a",
  TCP: "#3b7dd8",
  HTTP: "#3b7dd8",
  UDP: "#9b59b6",
  DNS: "#9b59b6",
  MDNS: "#9b59b6",
  DHCP: "#d35480",
};

export function colorOf(protocol: string): string {
  return PROTOCOL_COLORS[protocol] ?? "#888";
}
