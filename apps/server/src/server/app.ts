// The server assembled: one HTTP server carrying express and socket.io, one engine whose
// command log feeds the labs' rooms, the terminals, the state watcher, and reconcile at start.
// `startServer` is what the CLI's `serve` and the tests call (port 0 picks a free port).
//
// Knows: how the parts are wired and in which order they start and stop. Leaves to others:
// everything each part does.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { Engine, useLauncher } from "@topolab/engine";
import { LIMITS } from "@topolab/protocol";
import { Terminals } from "../terminals/terminals";
import { LabChecker } from "./checker";
import { Classes } from "./classes";
import { CommandLog } from "./commandlog";
import { JournalTail } from "./journal";
import { allowList, resolveConfig, type ServerOptions } from "./config";
import { httpApp } from "./http";
import { Labs } from "./labs";
import { closeExercises } from "./exercises";
import { startLive, type LiveHub } from "./live";
import { reconcile, type ReconcileReport } from "./reconcile";
import { Guard } from "./security";
import { VERSION } from "../version";
import { attachSockets, socketHub, type IO } from "./sockets";
import { Templates } from "./templates";
import { StateWatcher } from "./watch";

export { VERSION } from "../version";
const MAX_CONNECTIONS = 100;

export interface RunningServer {
  /** http://host:port, without the token */
  url: string;
  host: string;
  port: number;
  token: string;
  origins: string[];
  /** resolves when reconcile at start is done (null when it was turned off) */
  reconciled: Promise<ReconcileReport | null>;
  labs: Labs;
  terminals: Terminals;
  /** the labs' kernels, live, for the sockets that watch them and the exercises (live.ts) */
  live: LiveHub;
  /** classes and their students (classes.ts) */
  classes: Classes;
  /** ends every terminal, waits for running changes, stops listening; labs keep running */
  close(): Promise<void>;
}

function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::" || host === "[::]") return "127.0.0.1";
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const cfg = resolveConfig(options);
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  // express is registered before socket.io attaches, so socket.io passes it every other path
  const http = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(cfg.port, cfg.host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const guard = new Guard(cfg.token, allowList(cfg.host, port, cfg.extraOrigins), port);

  const io: IO = new Server(http, {
    transports: ["websocket"],
    serveClient: false,
    maxHttpBufferSize: LIMITS.maxMessageBytes,
    allowRequest: (req, cb) => {
      if (!guard.hostAllowed(req.headers.host)) return cb("Host header refused", false);
      if (!guard.originAllowed(req.headers.origin)) return cb("Origin refused", false);
      if (io.engine.clientsCount >= MAX_CONNECTIONS) return cb("too many connections", false);
      cb(null, true);
    },
  });
  const hub = socketHub(io);
  const commandLog = new CommandLog((lab, entries) => hub.toLab(lab, "lab:log", { lab, entries }));
  // the server's programs start from a helper process: a spawn from Node forks the whole server
  const releaseLauncher = await useLauncher(cfg.log);
  const engine = new Engine({ ...(cfg.stateDir ? { stateDir: cfg.stateDir } : {}), log: (e) => commandLog.add(e) });
  const terminals = new Terminals({ reattachMs: cfg.reattachMs, scrollbackChars: cfg.scrollbackChars });
  const templates = new Templates(cfg.templatesDir);
  const checker = new LabChecker({ limits: cfg.limits, worker: cfg.checkWorker, log: cfg.log });
  const labs = new Labs(engine, { hub, terminals, templates, commandLog, log: cfg.log, checker, maxLabs: cfg.limits.maxLabs });
  const live = startLive(engine, labs); // the sockets, the labs and the exercises find it by liveOf(engine)
  const classes = new Classes({ engine, labs, templates, port, log: cfg.log, ...(cfg.classLabPrefix ? { labPrefix: cfg.classLabPrefix } : {}) });
  await classes.ready();
  attachSockets(io, { labs, terminals, templates, engine, guard, version: VERSION, log: cfg.log, classes });
  const app = httpApp({ guard, labs, engine, templates, webDir: cfg.webDir, version: VERSION, log: cfg.log, classes });
  handle = app;

  const watcher = new StateWatcher(labs, cfg.watchMs, () => io.engine.clientsCount > 0);
  // the CLI's commands for a lab (`topolab capture`) join its command log
  const journals = new JournalTail(engine.state, commandLog, cfg.watchMs, () => io.engine.clientsCount > 0, cfg.log);
  const reconciled = cfg.reconcile ? reconcile(engine, labs.queue, cfg.reconcileScope) : Promise.resolve(null);
  const watching = reconciled.then(
    () => Promise.all([watcher.start(), journals.start().catch((e: Error) => cfg.log(`topolab: the labs' command journals: ${e.message}`))]),
    (e) => cfg.log(`topolab: reconcile failed: ${(e as Error).message}`),
  );

  let closing: Promise<void> | null = null;
  const url = `http://${urlHost(cfg.host)}:${port}`;
  return {
    url,
    host: cfg.host,
    port,
    token: cfg.token,
    origins: [...guard.allowed.origins],
    reconciled,
    labs,
    terminals,
    live,
    classes,
    close: () =>
      (closing ??= (async () => {
        await watching;
        watcher.stop();
        journals.stop();
        await terminals.closeAll("the server is shutting down");
        await labs.queue.idle();
        await checker.close();
        await classes.close();
        // the exercises' timers and every watch's `ip monitor` end before the sockets do
        await closeExercises(engine);
        await live.close();
        io.disconnectSockets(true);
        http.closeAllConnections();
        // closes the HTTP server too; close's own promise settles before the HTTP server has closed, its callback after
        await new Promise<void>((resolve) => void io.close(() => resolve()));
        const running = await releaseLauncher();
        if (running.length) cfg.log(`topolab: still running as the server closed (they end on their own): ${running.join("; ")}`);
      })()),
  };
}
