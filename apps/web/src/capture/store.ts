// The packets of one capture panel, as its Web Worker keeps them (capture.worker.ts runs this;
// pure, so that it is unit-tested without a worker): the binary batches from the server go into
// a bounded ring of bytes (@topolab/capture's PacketRing), the display filter keeps the list of
// packet numbers that pass it, and the page is sent only what its virtualised list shows (the
// visible window of rows, decoded for it, and the counts), one window at a time: the next is
// sent once the page says it drew the last, with the number of batches that window took in, so
// that the page acknowledges batches to the server only once they are drawn (and a page that
// cannot keep up is sent a sample). A packet's field tree and bytes are decoded on selection.
//
// Knows: the messages between the panel and its worker, bounds, the display filter, which rows
// are visible. Leaves to others: the socket (the panel), drawing (the panel), decoding
// (@topolab/capture).

import { compileFilter, decode, forEachPacket, mac, PacketRing, type Field, type Filterable } from "@topolab/capture";

/** The most packets (and bytes) a panel keeps (the server keeps its own ring for the download). */
export const MAX_PACKETS = 50_000;
export const MAX_BYTES = 64 * 1024 * 1024;
/** Rows a window holds at most (the list asks for what its height shows). */
export const MAX_ROWS = 400;
/** Dots sent with a window at most, and per batch. */
const MAX_DOTS = 30;
const DOTS_PER_BATCH = 6;

/** One row of the list, decoded for it. */
export interface Row {
  /** the packet's number: 1, 2, 3… in arrival order, as in the download */
  no: number;
  iface: number;
  /** seconds since the first packet kept, as Wireshark's list */
  time: string;
  src: string;
  dst: string;
  protocol: string;
  length: number;
  summary: string;
  malformed: boolean;
  vlans: number[];
}

export interface DotSeed {
  iface: number;
  /** the frame's source MAC */
  src: string;
  protocol: string;
}

export type ToWorker =
  | { type: "init"; labels: string[] }
  | { type: "batch"; batch: ArrayBuffer; missed: number; total: number }
  /** the list's visible rows: `count` from `first`, or the last `count` when following */
  | { type: "view"; first: number; count: number; follow: boolean }
  | { type: "filter"; text: string }
  | { type: "clear" }
  | { type: "select"; no: number | null }
  /** the page drew the last window */
  | { type: "drawn" };

export interface WindowMessage {
  type: "window";
  /** index in the shown list of rows[0] */
  first: number;
  rows: Row[];
  /** packets that pass the display filter (the list's length) */
  shown: number;
  /** packets the page received, captured by the server, left out by its sampling, let go by this ring */
  received: number;
  total: number;
  missed: number;
  dropped: number;
  filterError: string | null;
  dots: DotSeed[];
  /** batches this window took in: the page acknowledges them once it is drawn */
  acks: number;
}

export interface DetailMessage {
  type: "detail";
  no: number;
  /** null: the packet is no longer kept */
  layers: Field[] | null;
  malformed?: string;
  data: ArrayBuffer | null;
}

export interface ErrorMessage {
  type: "error";
  message: string;
}

export type FromWorker = WindowMessage | DetailMessage | ErrorMessage;

/** "0.123456": seconds between two capture times. */
export function relSeconds(timeUs: number, firstUs: number | null): string {
  return ((timeUs - (firstUs ?? timeUs)) / 1e6).toFixed(6);
}

export class CaptureStore {
  private ring = new PacketRing(MAX_PACKETS, MAX_BYTES, 1 << 20);
  /** numbers of the packets that pass the display filter, from `head` on */
  private shownSeqs: number[] = [];
  private head = 0;
  private labels: string[] = [];
  private test: ((no: number) => boolean) | null = null;
  private filterError: string | null = null;
  private firstUs: number | null = null;
  private received = 0;
  private total = 0;
  private missed = 0;
  private cleared = 0;
  private view = { first: 0, count: 40, follow: true };
  private dots: DotSeed[] = [];
  private acks = 0;
  private dirty = true;
  /** a window is with the page, not yet drawn */
  private inflight = false;

  /** Handles one message from the page; returns what to send it (in order). */
  handle(m: ToWorker): FromWorker[] {
    switch (m.type) {
      case "init":
        this.labels = m.labels;
        this.dirty = true;
        break;
      case "batch":
        this.add(new Uint8Array(m.batch), m.missed, m.total);
        break;
      case "view": {
        const count = Math.max(1, Math.min(MAX_ROWS, Math.floor(m.count)));
        const first = Math.max(0, Math.floor(m.first));
        // following, the list shows the last rows whatever its scroll says
        if (count !== this.view.count || m.follow !== this.view.follow || (!m.follow && first !== this.view.first)) this.dirty = true;
        this.view = { first, count, follow: m.follow };
        break;
      }
      case "filter":
        this.setFilter(m.text);
        break;
      case "clear":
        this.cleared += this.ring.size;
        this.ring.clear();
        this.shownSeqs = [];
        this.head = 0;
        this.firstUs = null;
        this.dirty = true;
        break;
      case "select":
        return m.no === null ? [] : [this.detail(m.no)];
      case "drawn":
        this.inflight = false;
        break;
    }
    const w = this.window();
    return w ? [w] : [];
  }

  /** The window for the page, when something changed and the page drew the last one. */
  window(): WindowMessage | null {
    if (!this.dirty || this.inflight) return null;
    this.dirty = false;
    this.inflight = true;
    const shown = this.shownSeqs.length - this.head;
    const count = Math.min(this.view.count, shown);
    const first = this.view.follow ? Math.max(0, shown - count) : Math.min(this.view.first, Math.max(0, shown - count));
    const rows: Row[] = [];
    for (let i = first; i < first + count; i++) {
      const row = this.row(this.shownSeqs[this.head + i]!);
      if (row) rows.push(row);
    }
    const out: WindowMessage = {
      type: "window",
      first,
      rows,
      shown,
      received: this.received,
      total: this.total,
      missed: this.missed,
      dropped: this.ring.stats.dropped - this.cleared,
      filterError: this.filterError,
      dots: this.dots,
      acks: this.acks,
    };
    this.dots = [];
    this.acks = 0;
    return out;
  }

  private add(batch: Uint8Array, missed: number, total: number): void {
    // walked in place, each packet copied once, into the ring
    const from = this.ring.newest + 1;
    const n = forEachPacket(batch, (iface, timeUs, length, data) => {
      this.firstUs ??= timeUs;
      const no = this.ring.push(iface, timeUs, length, data);
      if (!this.test || this.test(no)) this.shownSeqs.push(no);
    });
    // a few dots per batch: a sample when packets come faster than can be drawn
    const step = Math.max(1, Math.ceil(n / DOTS_PER_BATCH));
    for (let no = from; no < from + n && this.dots.length < MAX_DOTS; no += step) {
      const p = this.ring.get(no);
      if (p) this.dots.push({ iface: p.iface, src: p.data.length >= 12 ? mac(p.data, 6) : "", protocol: decode(p.data, 1, p.length).protocol });
    }
    this.received += n;
    this.missed += missed;
    this.total = Math.max(this.total, total);
    this.acks++;
    this.trim();
    this.dirty = true;
  }

  /** Forgets the shown numbers of packets the ring let go. */
  private trim(): void {
    const oldest = this.ring.oldest;
    while (this.head < this.shownSeqs.length && this.shownSeqs[this.head]! < oldest) this.head++;
    if (this.head > 4096 && this.head * 2 > this.shownSeqs.length) {
      this.shownSeqs = this.shownSeqs.slice(this.head);
      this.head = 0;
    }
  }

  private setFilter(text: string): void {
    this.filterError = null;
    this.test = null;
    if (text.trim()) {
      try {
        const f = compileFilter(text);
        this.test = (no) => {
          const p = this.ring.get(no);
          if (!p) return false;
          const d: Filterable = decode(p.data, 1, p.length);
          d.iface = this.labels[p.iface] ?? "";
          return f(d);
        };
      } catch (e) {
        this.filterError = (e as Error).message;
      }
    }
    this.shownSeqs = [];
    this.head = 0;
    for (let no = this.ring.oldest; no <= this.ring.newest; no++) if (!this.test || this.test(no)) this.shownSeqs.push(no);
    this.dirty = true;
  }

  private row(no: number): Row | null {
    const p = this.ring.get(no);
    if (!p) return null;
    const d = decode(p.data, 1, p.length);
    return {
      no,
      iface: p.iface,
      time: relSeconds(p.timeUs, this.firstUs),
      src: d.src,
      dst: d.dst,
      protocol: d.protocol,
      length: p.length,
      summary: d.summary,
      malformed: !!d.malformed,
      vlans: d.vlans,
    };
  }

  private detail(no: number): DetailMessage {
    const p = this.ring.get(no);
    if (!p) return { type: "detail", no, layers: null, data: null };
    const d = decode(p.data, 1, p.length);
    const data = p.data.slice().buffer;
    return { type: "detail", no, layers: d.layers, ...(d.malformed ? { malformed: d.malformed } : {}), data };
  }
}
