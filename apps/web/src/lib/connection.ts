// The one socket.io connection of the page: typed requests with acknowledgements, events, and
// the connection's state for the banner. socket.io reconnects by itself; whoever needs to
// redo something after a reconnect (join a lab's room again, reattach terminals) listens to
// `onConnect`.
//
// Knows: the protocol's handshake (version, session kept in sessionStorage so that a reload
// finds its terminals again), acks as Response<T>, timeouts. Leaves to others: what the events
// mean (stores in lab/ and terminals/).

import { io, type Socket } from "socket.io-client";
import {
  PROTOCOL_VERSION,
  type AckValue,
  type ClientArgs,
  type ClientToServerEvents,
  type ErrorInfo,
  type FireEventName,
  type RequestEventName,
  type Response,
  type ServerEventName,
  type ServerPayload,
  type ServerToClientEvents,
} from "@topolab/protocol";
import { Emitter } from "./emitter";
import { clientName } from "../terminals/client";

/** Raised when the server answers a request with an error: the error is the server's own. */
export class RequestFailed extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
  }
}

export type ConnectionState =
  { kind: "connecting" } | { kind: "connected"; version: string } | { kind: "lost"; since: number; reason: string } | { kind: "refused"; reason: string };

const SESSION_KEY = "topolab-session";
const REQUEST_TIMEOUT_MS = 120_000;

function sessionId(): string {
  let s = sessionStorage.getItem(SESSION_KEY);
  if (!s || !/^[A-Za-z0-9_-]{16,64}$/.test(s)) {
    const bytes = crypto.getRandomValues(new Uint8Array(18));
    s = btoa(String.fromCharCode(...bytes))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
    sessionStorage.setItem(SESSION_KEY, s);
  }
  return s;
}

export class Connection {
  private socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  private stateNow: ConnectionState = { kind: "connecting" };
  readonly changed = new Emitter<ConnectionState>();
  private connectListeners = new Set<() => void>();

  constructor() {
    this.socket = io({
      transports: ["websocket"],
      auth: { protocol: PROTOCOL_VERSION, session: sessionId(), client: clientName(navigator.userAgent) },
      reconnectionDelay: 300,
      reconnectionDelayMax: 3000,
    });
    this.socket.on("server:hello", (hello) => this.set({ kind: "connected", version: hello.version }));
    this.socket.on("connect", () => {
      if (this.stateNow.kind !== "connected") this.set({ kind: "connected", version: "" });
      for (const l of [...this.connectListeners]) l();
    });
    this.socket.on("disconnect", (reason) => {
      this.set({ kind: "lost", since: Date.now(), reason: String(reason) });
      // the server closed it on purpose: socket.io does not retry by itself then
      if (reason === "io server disconnect") setTimeout(() => this.socket.connect(), 1000);
    });
    this.socket.on("connect_error", (err: Error & { data?: { code?: string } }) => {
      const code = err.data?.code;
      if (code === "unauthorized" || code === "protocol") this.set({ kind: "refused", reason: err.message });
      else if (this.stateNow.kind !== "lost") this.set({ kind: "lost", since: Date.now(), reason: err.message });
    });
  }

  get state(): ConnectionState {
    return this.stateNow;
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  private set(s: ConnectionState): void {
    this.stateNow = s;
    this.changed.emit(s);
  }

  /** Called at every (re)connection, and at once when connected now. */
  onConnect(listener: () => void): () => void {
    this.connectListeners.add(listener);
    if (this.socket.connected) listener();
    return () => this.connectListeners.delete(listener);
  }

  /**
   * A request; resolves with its value, rejects with RequestFailed carrying the server's reason.
   * A request sent while disconnected waits for the connection; one whose connection drops after
   * it left fails at once (its answer can never come: socket.io forgets it), not after the timeout.
   */
  request<E extends RequestEventName>(event: E, args: ClientArgs<E>, timeoutMs = REQUEST_TIMEOUT_MS): Promise<AckValue<E>> {
    return new Promise((resolve, reject) => {
      // socket.io's typed emit cannot see that E's ack is Response<AckValue<E>>: the protocol's types say it.
      // With a timeout, socket.io calls the ack with an error when the time is out or the connection drops.
      const socket = this.socket.timeout(timeoutMs) as unknown as {
        emit(e: string, a: unknown, ack: (err: Error | null, r: Response<AckValue<E>>) => void): void;
      };
      socket.emit(event, args, (err, r) => {
        if (err) {
          const dropped = this.stateNow.kind !== "connected" || !this.socket.connected;
          const message = dropped
            ? `${event}: the connection to the server was lost before its answer`
            : `${event}: no answer from the server in ${timeoutMs / 1000} s`;
          reject(new RequestFailed({ code: "internal", message }));
        } else if (r.ok) resolve(r.value);
        else reject(new RequestFailed(r.error));
      });
    });
  }

  /** An event without an answer (terminal input, resize, acks); dropped while disconnected. */
  fire<E extends FireEventName>(event: E, args: ClientArgs<E>): void {
    if (!this.socket.connected) return;
    (this.socket.emit as unknown as (e: string, a: unknown) => void).call(this.socket, event, args);
  }

  on<E extends ServerEventName>(event: E, handler: (payload: ServerPayload<E>) => void): () => void {
    const s = this.socket as unknown as { on(e: string, h: (p: unknown) => void): void; off(e: string, h: (p: unknown) => void): void };
    const h = handler as (p: unknown) => void;
    s.on(event, h);
    return () => s.off(event, h);
  }
}

let shared: Connection | null = null;

/** The page's connection, made on first use. */
export function connection(): Connection {
  return (shared ??= new Connection());
}
