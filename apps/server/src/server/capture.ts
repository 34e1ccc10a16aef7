// Packet captures on the server: each started by one socket on a lab it has opened, streamed
// to that socket in binary batches with flow control, ended when the socket asks or goes, when
// its link, node or lab goes, on the engine's limits; the packets kept (a bounded ring) download
// as pcapng for a while after it ended.
//
// Knows: who owns a capture, the batches and the sampling of a browser that cannot keep up
// (at most MAX_UNACKED batches unacknowledged, so socket.io's queue for a client holds at most
// that many; a browser more than MAX_WAITING packets behind is sent a uniform sample of them
// and the count of those left out). Nothing is copied per packet: each socket has a cursor into
// the capture's ring (the packets it has not been sent yet are the ring's), and a batch is
// written straight from the ring. Leaves to others: tcpdump, the ring and the command lines
// (engine/capture.ts), bytes on the wire (@topolab/capture), the events' shapes (protocol),
// the socket plumbing (sockets.ts), the REST route (rest.ts).

import { randomBytes } from "node:crypto";
import { Capture, CaptureError, labCapturePoints, NotFoundError, type Engine } from "@topolab/engine";
import { CAPTURE_LIMITS, type CaptureInfo, type ClientArgs, type ServerPayload } from "@topolab/protocol";
import type { Lab } from "@topolab/topology";
import { invalid, RequestError } from "./errors";

/**
 * Batches a socket may have unacknowledged (socket.io's queue for it holds at most these): a
 * page acknowledges a batch once the window that took it in is drawn, a few frames after it
 * came, so a window of several keeps 10,000 packets/s flowing without a backlog anywhere.
 */
export const MAX_UNACKED = 6;
/** Packets waiting for a slow socket: beyond this, it is sent a uniform sample of them. */
export const MAX_WAITING = 2000;
/** Packets in one batch, and its bytes at most (but for a batch of one packet). */
export const MAX_BATCH = 200;
export const MAX_BATCH_BYTES = 1 << 20;
/** Ended captures kept for their download, and for how long. */
const KEEP_ENDED = 16;
const KEEP_ENDED_MS = 30 * 60_000;
const MAX_RUNNING = 32;

export interface CaptureSink {
  socketId: string;
  packets(payload: ServerPayload<"capture:packets">): void;
  ended(payload: ServerPayload<"capture:ended">): void;
}

interface Entry {
  info: CaptureInfo;
  capture: Capture;
  sink: CaptureSink | null;
  unacked: number;
  /** the next packet (seq in the capture's ring) this socket is to be sent */
  cursor: number;
  /** the newest packet the capture handed on */
  until: number;
  /** packets left out (sampled, or let go by the ring) since the last batch */
  missed: number;
  endedAt?: number;
}

export class Captures {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly engine: Engine) {}

  /** Starts a capture for a socket; resolves once every tcpdump listens. */
  async start(sink: CaptureSink, args: ClientArgs<"capture:start">): Promise<CaptureInfo> {
    const mine = [...this.entries.values()].filter((e) => e.sink?.socketId === sink.socketId && !e.capture.ended);
    if (mine.length >= CAPTURE_LIMITS.perSocket)
      throw new RequestError("limit", `at most ${CAPTURE_LIMITS.perSocket} captures at once per connection: stop one first`);
    if ([...this.entries.values()].filter((e) => !e.capture.ended).length >= MAX_RUNNING)
      throw new RequestError("limit", `the server runs ${MAX_RUNNING} captures already`);
    let capture: Capture;
    try {
      const points = await labCapturePoints(this.engine, args.lab, args.interfaces);
      capture = await Capture.start(points, args.filter ? { filter: args.filter } : {});
    } catch (e) {
      if (e instanceof CaptureError) throw invalid([{ path: e.field, message: e.message }], e.message);
      if (e instanceof NotFoundError && /is not up/.test(e.message)) throw new RequestError("stopped", `${e.message}: start it to capture`);
      throw e;
    }
    const id = randomBytes(9).toString("base64url");
    const info: CaptureInfo = {
      id,
      lab: args.lab,
      interfaces: capture.points.map((p) => ({ label: p.label, node: p.node, iface: p.iface, linktype: 1 })),
      filter: capture.filter,
      startedAt: new Date(capture.startedAt).toISOString(),
      download: `/api/labs/${args.lab}/captures/${id}.pcapng`,
    };
    const entry: Entry = { info, capture, sink, unacked: 0, cursor: 1, until: 0, missed: 0 };
    this.entries.set(id, entry);
    for (const line of capture.commandLines()) void this.engine.logCommand(args.lab, line);
    capture.on("ready", (_from: number, to: number) => {
      entry.until = to;
      this.send(entry, false);
    });
    capture.once("end", (reason: string) => {
      this.send(entry, true);
      entry.endedAt = Date.now();
      entry.sink?.ended({ id, reason, total: capture.stats.packets });
      this.prune();
    });
    return info;
  }

  /**
   * Sends the socket what waits for it: one batch per free place in its window (all of it at
   * the end). More than MAX_WAITING behind, a uniform sample of MAX_BATCH of the packets waiting
   * is sent and the rest counted as missed; packets the ring let go before they were sent are
   * missed too.
   */
  private send(e: Entry, final: boolean): void {
    if (!e.sink) return;
    const ring = e.capture.ring;
    while (e.cursor <= e.until && (final || e.unacked < MAX_UNACKED)) {
      if (e.cursor < ring.oldest) {
        e.missed += ring.oldest - e.cursor;
        e.cursor = ring.oldest;
        if (e.cursor > e.until) break;
      }
      const waiting = e.until - e.cursor + 1;
      const seqs: number[] = [];
      if (waiting > MAX_WAITING) {
        const step = waiting / MAX_BATCH;
        let bytes = 0;
        for (let k = 0; k < MAX_BATCH && (seqs.length === 0 || bytes < MAX_BATCH_BYTES); k++) {
          const s = e.cursor + Math.floor(k * step);
          seqs.push(s);
          bytes += ring.caplen(s);
        }
        e.missed += waiting - seqs.length;
        e.cursor = e.until + 1;
      } else {
        let bytes = 0;
        while (e.cursor <= e.until && seqs.length < MAX_BATCH && (seqs.length === 0 || bytes + ring.caplen(e.cursor) <= MAX_BATCH_BYTES)) {
          bytes += ring.caplen(e.cursor);
          seqs.push(e.cursor++);
        }
      }
      e.unacked++;
      e.sink.packets({ id: e.info.id, batch: ring.encode(seqs), missed: e.missed, total: e.capture.stats.packets });
      e.missed = 0;
    }
  }

  ack(socketId: string, id: string): void {
    const e = this.entries.get(id);
    if (!e || e.sink?.socketId !== socketId) return;
    e.unacked = Math.max(0, e.unacked - 1);
    this.send(e, false);
  }

  async stop(socketId: string, id: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e || e.sink?.socketId !== socketId) throw new RequestError("not_found", `there is no capture ${id} of this connection`);
    await e.capture.stop("stopped");
  }

  /** The socket went: its captures stop (their packets stay downloadable for a while). */
  socketGone(socketId: string): void {
    for (const e of this.entries.values()) {
      if (e.sink?.socketId !== socketId) continue;
      e.sink = null;
      void e.capture.stop("the browser disconnected");
    }
  }

  /** A lab's document changed: captures on interfaces it no longer has, or on a stopped lab, end. */
  labChanged(lab: string, running: boolean, doc: Lab | null): void {
    for (const e of this.entries.values()) {
      if (e.info.lab !== lab || e.capture.ended) continue;
      if (!doc) void e.capture.stop(`lab ${lab} was removed`);
      else if (!running) void e.capture.stop(`lab ${lab} was stopped`);
      else {
        const ends = new Set(doc.links.flatMap((l) => l.endpoints.map((x) => `${x.node}:${x.interface}`)));
        const gone = e.info.interfaces.find((i) => !ends.has(i.label));
        if (gone) void e.capture.stop(`${gone.label}: its link was removed`);
      }
    }
  }

  /** The pcapng of a capture of that lab (running or ended not long ago). */
  pcapng(lab: string, id: string): Uint8Array {
    const e = this.entries.get(id);
    if (!e || e.info.lab !== lab)
      throw new RequestError("not_found", `lab ${lab} has no capture ${id} (captures are kept ${KEEP_ENDED_MS / 60_000} minutes after they end)`);
    return e.capture.pcapng();
  }

  get(id: string): { info: CaptureInfo; pids: number[]; ended: string | null; packets: number } | undefined {
    const e = this.entries.get(id);
    return e && { info: e.info, pids: e.capture.pids, ended: e.capture.ended, packets: e.capture.stats.packets };
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => e.capture.stop("the server is shutting down")));
  }

  private prune(): void {
    const ended = [...this.entries.values()].filter((e) => e.endedAt !== undefined).sort((a, b) => a.endedAt! - b.endedAt!);
    const now = Date.now();
    ended.forEach((e, i) => {
      if (i < ended.length - KEEP_ENDED || now - e.endedAt! > KEEP_ENDED_MS) this.entries.delete(e.info.id);
    });
  }
}

/**
 * The captures of a server, found by its engine (sockets.ts and rest.ts both have it), so that
 * neither the server's assembly nor the REST router's signature has to change.
 */
const byEngine = new WeakMap<Engine, Captures>();
export function capturesOf(engine: Engine): Captures {
  let c = byEngine.get(engine);
  if (!c) byEngine.set(engine, (c = new Captures(engine)));
  return c;
}
