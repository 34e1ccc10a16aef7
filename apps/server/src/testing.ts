// Test support for the server's integration tests and benchmark (not part of the product): a
// real server on port 0 with its own state directory, real socket.io clients with a request
// helper and an event recorder, REST calls, and a terminal reader.
//
// Knows: how a test talks to the server like a browser would (Origin header, token, session).

import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { spawn as spawnPty, type IPty } from "node-pty";
import { io, type Socket } from "socket.io-client";
import { Engine, readProcStats, type ShellSpec } from "@topolab/engine";
import { leftoversAfterSettling, tempStateDir } from "@topolab/engine/testing";
import {
  PROTOCOL_VERSION,
  type AckValue,
  type ClientArgs,
  type RequestEventName,
  type Response,
  type ServerEventName,
  type ServerPayload,
} from "@topolab/protocol";
import { startServer, type RunningServer } from "./server/app";
import type { ServerOptions } from "./server/config";
import { shellEnv } from "./terminals/terminal";

/** Lab names of server tests start with this. */
export const TEST_PREFIX = "tsrv";

export interface TestServer {
  server: RunningServer;
  stateDir: string;
  templatesDir: string;
  origin: string;
  token: string;
  /** an engine on the same state directory, as the CLI would be */
  engine: Engine;
  lines: string[];
  connect(o?: ConnectOptions): Promise<Client>;
  rest(
    method: string,
    path: string,
    o?: { body?: unknown; headers?: Record<string, string>; token?: string | null },
  ): Promise<{ status: number; body: unknown; text: string; headers: Headers }>;
  /** takes down every lab left in the state directory, proves nothing is left, stops the server */
  close(): Promise<void>;
}

export interface ConnectOptions {
  token?: string | null;
  origin?: string | null;
  session?: string;
  protocol?: number;
  /** the name the client gives itself (handshake `client`) */
  client?: string;
}

export async function startTestServer(options: ServerOptions = {}): Promise<TestServer> {
  const state = await tempStateDir();
  const templatesDir = join(state.dir, "templates");
  await mkdir(templatesDir, { recursive: true });
  const token = randomBytes(16).toString("hex");
  const lines: string[] = [];
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    token,
    stateDir: join(state.dir, "state"),
    templatesDir,
    webDir: join(state.dir, "web"),
    // test files run side by side on one kernel: a server that reconciled would take the
    // other files' labs for orphans. Tests of reconcile turn it on for their own labs only.
    reconcile: false,
    watchMs: 200,
    log: (l) => lines.push(l),
    ...options,
  });
  await server.reconciled;
  const origin = server.url;
  const engine = new Engine({ stateDir: join(state.dir, "state") });
  const clients: Client[] = [];
  return {
    server,
    stateDir: join(state.dir, "state"),
    templatesDir,
    origin,
    token,
    engine,
    lines,
    async connect(o: ConnectOptions = {}) {
      const c = await connectClient(origin, { token, origin, ...o });
      clients.push(c);
      return c;
    },
    async rest(method, path, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      const t = o.token === undefined ? token : o.token;
      if (t !== null) headers["authorization"] = `Bearer ${t}`;
      let body: string | undefined;
      if (o.body !== undefined) {
        body = typeof o.body === "string" ? o.body : JSON.stringify(o.body);
        headers["content-type"] ??= typeof o.body === "string" ? "application/yaml" : "application/json";
      }
      const res = await fetch(`${origin}${path}`, { method, headers, ...(body !== undefined ? { body } : {}), redirect: "manual" });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed, text, headers: res.headers };
    },
    async close() {
      for (const c of clients) c.close();
      await server.close();
      const problems: string[] = [];
      for (const name of await engine.state.labNames()) {
        await engine.down(name).catch(() => undefined);
        problems.push(...(await leftoversAfterSettling(name)).map((l) => `${name}: ${l}`));
      }
      await state.remove();
      if (problems.length) throw new Error(`left behind:\n${problems.join("\n")}`);
    },
  };
}

export async function writeTemplate(dir: string, id: string, text: string): Promise<void> {
  await writeFile(join(dir, `${id}.yaml`), text);
}

type Recorded = { [E in ServerEventName]?: ServerPayload<E>[] };

export class Client {
  readonly events: Recorded = {};
  private waiters: { event: ServerEventName; test: (p: unknown) => boolean; resolve: (p: unknown) => void }[] = [];
  /** output per terminal id, acknowledged as it arrives (as xterm.js would after drawing it) */
  readonly screens = new Map<string, string>();
  autoAck = true;

  constructor(readonly socket: Socket) {
    socket.onAny((event: ServerEventName, payload: unknown) => {
      ((this.events[event] ??= []) as unknown[]).push(payload);
      if (event === "term:output") {
        const { id, data } = payload as { id: string; data: string };
        this.screens.set(id, (this.screens.get(id) ?? "") + data);
        if (this.autoAck) socket.emit("term:ack", { id, chars: data.length });
      }
      for (const w of [...this.waiters]) {
        if (w.event === event && w.test(payload)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(payload);
        }
      }
    });
  }

  request<E extends RequestEventName>(event: E, args: ClientArgs<E>, timeoutMs = 30_000): Promise<Response<AckValue<E>>> {
    return (this.socket.timeout(timeoutMs).emitWithAck as (e: string, a: unknown) => Promise<Response<AckValue<E>>>)(event, args);
  }

  /** The ack's value; throws with the server's message when it refused. */
  async ok<E extends RequestEventName>(event: E, args: ClientArgs<E>, timeoutMs?: number): Promise<AckValue<E>> {
    const r = await this.request(event, args, timeoutMs);
    if (!r.ok) throw new Error(`${event}: ${r.error.code}: ${r.error.message}${r.error.issues ? ` ${JSON.stringify(r.error.issues)}` : ""}`);
    return r.value;
  }

  /** The next `event` (already received ones count, from `since` on) that passes `test`. */
  next<E extends ServerEventName>(event: E, test: (p: ServerPayload<E>) => boolean = () => true, timeoutMs = 15_000): Promise<ServerPayload<E>> {
    const seen = (this.events[event] ?? []) as ServerPayload<E>[];
    const found = seen.find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        event,
        test: test as (p: unknown) => boolean,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p as ServerPayload<E>);
        },
      });
    });
  }

  clear(event?: ServerEventName): void {
    if (event) delete this.events[event];
    else for (const k of Object.keys(this.events)) delete this.events[k as ServerEventName];
  }

  /** Waits until the terminal's output matches. */
  async screen(id: string, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.screens.get(id) ?? "")) {
      if (Date.now() > deadline) throw new Error(`terminal output did not match ${pattern}:\n${this.screens.get(id) ?? ""}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.screens.get(id)!;
  }

  close(): void {
    this.socket.disconnect();
  }
}

export function connectClient(url: string, o: ConnectOptions & { origin?: string | null }): Promise<Client> {
  const socket = io(url, {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    ...(o.origin ? { extraHeaders: { origin: o.origin } } : {}),
    auth: {
      protocol: o.protocol ?? PROTOCOL_VERSION,
      ...(o.token ? { token: o.token } : {}),
      ...(o.session ? { session: o.session } : {}),
      ...(o.client ? { client: o.client } : {}),
    },
  });
  const client = new Client(socket);
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(client));
    socket.once("connect_error", (e: Error & { data?: unknown }) => {
      socket.disconnect();
      reject(Object.assign(new Error(e.message), { data: e.data }));
    });
  });
}

/** The same shell as a browser terminal, on a pty in this process: no server, no socket.io. */
export function localPty(spec: ShellSpec): IPty {
  return spawnPty(spec.argv[0]!, spec.argv.slice(1), { name: "xterm-256color", cols: 80, rows: 24, cwd: spec.cwd, env: shellEnv(spec) });
}

/** This process's `ip monitor` children (a test server runs in the test's process). */
export async function monitorChildren(): Promise<number[]> {
  const out: number[] = [];
  for (const p of await readProcStats()) {
    if (p.ppid !== process.pid) continue;
    try {
      if ((await readFile(`/proc/${p.pid}/cmdline`, "utf8")).includes("monitor\0label\0all-nsid")) out.push(p.pid);
    } catch {
      /* ended meanwhile */
    }
  }
  return out;
}
