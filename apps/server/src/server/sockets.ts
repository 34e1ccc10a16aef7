// socket.io: the handshake (protocol version, token, session), every client event checked
// against its schema before it reaches a handler, acks, rate limits, rooms per lab, and the
// terminals of each socket.
//
// Knows: the protocol's events and which module answers each. Leaves to others: labs
// (labs.ts), terminals (terminals/), who may connect at all (app.ts: Host and Origin).

import { randomBytes } from "node:crypto";
import type { Server, Socket } from "socket.io";
import type { Engine } from "@topolab/engine";
import { zodIssues } from "@topolab/topology";
import {
  clientEvents,
  HandshakeSchema,
  isClientEvent,
  PROTOCOL_VERSION,
  type AckValue,
  type ClientArgs,
  type ClientEventName,
  type ClientToServerEvents,
  type ErrorInfo,
  type FireEventName,
  type RequestEventName,
  type Response,
  type ServerPayload,
  type ServerToClientEvents,
} from "@topolab/protocol";
import { capturesOf } from "./capture";
import { accessLab, INSTRUCTOR, instructorOnly, notForStudents, shellForRole, type Classes, type Role } from "./classes";
import { exercisesOf } from "./exercises";
import { RequestError, runningMeta, toErrorInfo } from "./errors";
import { liveOf } from "./live";
import { traceInLab } from "./trace";
import { pingPairInLab } from "./pingpair";
import { TokenBucket } from "./limits";
import type { Hub, Labs } from "./labs";
import { clientAddress, tooManyFailures, type Guard } from "./security";
import type { Templates } from "./templates";
import type { Attachment, Terminals } from "../terminals/terminals";

export interface SocketData {
  session: string;
  /** who the socket is (classes.ts): the token holder, or a student with their class cookie */
  role: Role;
  /** the name the browser gives itself (handshake `client`), shown beside its terminals */
  client?: string;
  /** the socket watches a lab's kernel (live:watch): stopped when it goes */
  live?: boolean;
  /** the socket follows an exercise (exercise:watch): stopped when it goes */
  exercise?: boolean;
  /** the labs this socket opened read-only (lab:open with watch; lab:mode): what would change them is refused */
  readOnly?: Set<string>;
}

export type IO = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export interface SocketDeps {
  labs: Labs;
  terminals: Terminals;
  templates: Templates;
  engine: Engine;
  guard: Guard;
  version: string;
  log: (line: string) => void;
  classes: Classes;
}

const room = (lab: string) => `lab:${lab}`;
/** the instructor's sockets; a class's students; the instructor's sockets watching a class's grid */
const INSTRUCTORS = "role:instructor";
const studentsRoom = (code: string) => `class-students:${code}`;
const gridRoom = (code: string) => `class-grid:${code}`;

/** Terminal traffic has its own, larger allowance than everything else. */
const STREAM = new Set<ClientEventName>(["term:input", "term:resize", "term:ack", "capture:ack"]);
/** What a connection that watches a lab read-only may not do there (until lab:mode "edit"). */
const CHANGES_LAB = new Set<ClientEventName>(["lab:edit", "lab:rename", "lab:delete", "lab:start", "lab:stop", "live:restore", "exercise:reset", "term:open"]);

function readOnlyRefusal(lab: string): RequestError {
  return new RequestError("invalid", `you are watching lab ${lab} read-only: take over to change it`, undefined, 403);
}

/** A client refused this many times is disconnected. */
const MAX_REFUSED = 200;

/** What else hears a lab's room events (captures end when their link or lab goes), per server. */
const labObservers = new WeakMap<IO, (lab: string, event: string, payload: unknown) => void>();

export function socketHub(io: IO): Hub {
  // the payload's type is checked by Hub's signature; socket.io's generic emit cannot see that
  const emit = (target: object, event: string, payload: unknown) => (target as { emit(e: string, p: unknown): boolean }).emit(event, payload);
  return {
    toLab: (lab, event, payload) => {
      labObservers.get(io)?.(lab, event, payload);
      return emit(io.to(room(lab)), event, payload);
    },
    toAll: (event, payload) => {
      // the list of labs: all of it to the instructor, a student's own lab to each student
      if (event === "labs:changed") {
        const all = payload as ServerPayload<"labs:changed">;
        emit(io.to(INSTRUCTORS), event, payload);
        for (const s of io.sockets.sockets.values()) {
          const role = s.data.role;
          if (role?.kind === "student") emit(s, event, { labs: all.labs.filter((l) => l.name === role.lab) });
        }
        return;
      }
      emit(io, event, payload);
    },
    closeRoom: (lab) => io.in(room(lab)).socketsLeave(room(lab)),
  };
}

function refusal(code: string, message: string): Error {
  return Object.assign(new Error(message), { data: { code } });
}

type Handlers = { [E in RequestEventName]: (args: ClientArgs<E>) => Promise<AckValue<E>> } & {
  [E in FireEventName]: (args: ClientArgs<E>) => void;
};

function handlers(socket: Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>, d: SocketDeps): Handlers {
  const { session, role } = socket.data;
  /**
   * A student reaches a terminal only when their session holds it, in their own lab (else: "no
   * such terminal"): never another's, nor the instructor's root shell on their lab.
   */
  const termAccess = (id: string) => {
    if (role.kind === "student" && !d.terminals.list(session).some((t) => t.id === id && t.lab === role.lab)) {
      throw new RequestError("not_found", "there is no such terminal");
    }
    // and the one access rule, on the terminal's lab, as for every event that names a lab
    const lab = d.terminals.labOf(id);
    if (lab !== undefined) accessLab(role, lab);
  };
  const classes = d.classes;
  const at: Attachment = {
    socketId: socket.id,
    session,
    client: { name: socket.data.client || "a browser", address: socket.handshake.address.replace(/^::ffff:/, "") },
    output: (id, data) => socket.emit("term:output", { id, data }),
    exit: (id, info) => socket.emit("term:exit", { id, ...info }),
    detached: (id, reason) => socket.emit("term:detached", { id, reason }),
    mode: (id, mode, reason) => socket.emit("term:mode", { id, mode, reason }),
    watchers: (id, watchers) => socket.emit("term:watchers", { id, watchers }),
  };
  /** a terminal of a lab this socket watches read-only cannot be closed from it */
  const notReadOnly = (id: string) => {
    const lab = d.terminals.labOf(id);
    if (lab !== undefined && socket.data.readOnly?.has(lab)) throw readOnlyRefusal(lab);
  };
  const labs = d.labs;
  /** a student's captures (their limit) */
  let captureIds: string[] = [];
  /** the classes whose grid the socket watches (class:watch) */
  const watchingClasses = new Set<string>();
  return {
    "labs:list": async () => (await labs.list()).filter((l) => role.kind === "instructor" || l.name === role.lab),
    "templates:list": () => {
      instructorOnly(role, "template list");
      return d.templates.list();
    },
    "lab:create": async (a) => {
      instructorOnly(role, "such request");
      const view = await labs.create(a);
      await socket.join(room(view.name));
      return view;
    },
    "lab:open": async ({ lab, watch }) => {
      await socket.join(room(lab)); // first, so that no change falls between the view and the room
      try {
        const view = await labs.view(lab, { status: true });
        if (watch) (socket.data.readOnly ??= new Set()).add(lab);
        else socket.data.readOnly?.delete(lab);
        return view;
      } catch (e) {
        await socket.leave(room(lab));
        throw e;
      }
    },
    "lab:mode": async ({ lab, mode }) => {
      if (!socket.rooms.has(room(lab))) throw new RequestError("not_found", `open lab ${lab} (lab:open) before changing how you see it`);
      if (mode === "watch") (socket.data.readOnly ??= new Set()).add(lab);
      else socket.data.readOnly?.delete(lab);
      return null;
    },
    "lab:close": async ({ lab }) => {
      await socket.leave(room(lab));
      socket.data.readOnly?.delete(lab);
      return null;
    },
    "lab:edit": async ({ lab, changes }) => {
      classes.takeEdit(role);
      await classes.checkStudentEdit(role, lab, changes);
      return labs.edit(lab, changes);
    },
    "lab:rename": ({ lab, to }) => {
      notForStudents(role, "rename");
      return labs.rename(lab, to);
    },
    "lab:delete": async ({ lab }) => {
      notForStudents(role, "delete");
      await labs.remove(lab);
      return null;
    },
    "lab:start": ({ lab }) => labs.start(lab),
    "lab:stop": async ({ lab }) => {
      await labs.stop(lab);
      return null;
    },
    "lab:status": async ({ lab }) => {
      const status = await labs.status(lab);
      return status;
    },
    "live:watch": async ({ lab, rates }) => {
      if (!socket.rooms.has(room(lab))) throw new RequestError("not_found", `open lab ${lab} (lab:open) before watching it`);
      const live = liveOf(d.engine);
      if (!socket.data.live) {
        socket.data.live = true;
        socket.once("disconnect", () => void live.socketGone(socket.id));
      }
      return live.watch(lab, { socketId: socket.id, rates: !!rates, drift: true, send: (p) => socket.emit("live:event", p) });
    },
    "live:unwatch": async ({ lab }) => {
      await liveOf(d.engine).unwatch(lab, socket.id);
      return null;
    },
    "live:inspect": ({ lab, node }) => liveOf(d.engine).inspect(lab, node),
    "live:drift": ({ lab }) => liveOf(d.engine).drift(lab),
    "live:restore": ({ lab }) => liveOf(d.engine).restore(lab),
    "live:pingall": ({ lab }) => liveOf(d.engine).pingAll(lab),
    "live:trace": (req) => traceInLab(d.engine, req),
    "live:ping": (req) => pingPairInLab(d.engine, req),
    "exercise:watch": async ({ lab }) => {
      if (!socket.rooms.has(room(lab))) throw new RequestError("not_found", `open lab ${lab} (lab:open) before following its exercise`);
      const hub = exercisesOf(d.engine);
      if (!socket.data.exercise) {
        socket.data.exercise = true;
        socket.once("disconnect", () => void hub.socketGone(socket.id));
      }
      return hub.watch(lab, { socketId: socket.id, send: (s) => socket.emit("exercise:results", s) });
    },
    "exercise:unwatch": async ({ lab }) => {
      await exercisesOf(d.engine).unwatch(lab, socket.id);
      return null;
    },
    "exercise:run": async ({ lab }) => {
      if (!socket.rooms.has(room(lab))) throw new RequestError("not_found", `open lab ${lab} (lab:open) before running its checks`);
      return exercisesOf(d.engine).runNow(lab);
    },
    "exercise:reset": ({ lab }) => labs.reset(lab),
    "term:open": async ({ lab, node, cols, rows }) => {
      const ns = await d.engine.nodeNamespace(lab, node);
      await runningMeta(d.engine, lab, "start it to open a terminal");
      if (role.kind === "student" && d.terminals.list(session, { lab }).length >= classes.limits.terminals) {
        throw new RequestError("limit", `at most ${classes.limits.terminals} terminals per student; close one first`);
      }
      const spec = await shellForRole(role, d.engine.state.dir, lab, node, ns);
      // gone while this was read: a terminal attached to it would never be reaped
      if (socket.disconnected) throw new RequestError("not_found", "the connection closed");
      return d.terminals.open(session, at, { lab, node, cols, rows, spec });
    },
    "term:list": async ({ lab, node }) =>
      role.kind === "student"
        ? d.terminals.list(session).filter((t) => t.lab === role.lab && (lab === undefined || t.lab === lab) && (node === undefined || t.node === node))
        : d.terminals.list(session, { ...(lab !== undefined ? { lab } : {}), ...(node !== undefined ? { node } : {}) }),
    "term:attach": async ({ id }) => {
      termAccess(id);
      // the instructor joining a student's shell takes it over: the student watches, and gets it back
      if (role.kind === "instructor" && d.terminals.ownerOf(id)?.startsWith("student-") && d.terminals.ownerOf(id) !== session) {
        return d.terminals.takeOver(session, at, id);
      }
      return d.terminals.attach(session, at, id);
    },
    "term:close": async ({ id }) => {
      termAccess(id);
      notReadOnly(id);
      await d.terminals.close(session, id, "closed");
      return null;
    },
    "term:watch": async ({ id }) => {
      termAccess(id);
      return d.terminals.watch(session, at, id);
    },
    "term:unwatch": async ({ id }) => {
      termAccess(id);
      d.terminals.unwatch(session, socket.id, id);
      return null;
    },
    "term:takeover": async ({ id }) => {
      instructorOnly(role, "such terminal");
      return d.terminals.takeOver(session, at, id);
    },
    "term:giveback": async ({ id }) => {
      instructorOnly(role, "such terminal");
      d.terminals.giveBack(session, socket.id, id);
      return null;
    },
    "term:input": ({ id, data }) => {
      termAccess(id);
      d.terminals.input(session, socket.id, id, data);
    },
    "term:resize": ({ id, cols, rows }) => {
      termAccess(id);
      d.terminals.resize(session, socket.id, id, cols, rows);
    },
    "term:ack": ({ id, chars }) => {
      termAccess(id);
      d.terminals.ack(session, socket.id, id, chars);
    },
    "capture:start": async (a) => {
      if (!socket.rooms.has(room(a.lab))) throw new RequestError("not_found", `open lab ${a.lab} (lab:open) before capturing on it`);
      if (role.kind === "student") {
        captureIds = captureIds.filter((id) => capturesOf(d.engine).get(id)?.ended === null);
        if (captureIds.length >= classes.limits.captures)
          throw new RequestError("limit", `at most ${classes.limits.captures} captures per student at once; stop one first`);
      }
      const info = await capturesOf(d.engine).start(
        { socketId: socket.id, packets: (p) => socket.emit("capture:packets", p), ended: (p) => socket.emit("capture:ended", p) },
        a,
      );
      captureIds.push(info.id);
      return info;
    },
    "capture:stop": async ({ id }) => {
      await capturesOf(d.engine).stop(socket.id, id);
      return null;
    },
    "capture:ack": ({ id }) => capturesOf(d.engine).ack(socket.id, id),
    "class:list": () => {
      instructorOnly(role, "class");
      return classes.list();
    },
    "class:create": (a) => {
      instructorOnly(role, "class");
      return classes.create(a);
    },
    "class:watch": async ({ code }) => {
      instructorOnly(role, "class");
      const view = await classes.watch(code, socket.id);
      await socket.join(gridRoom(code));
      if (!watchingClasses.size) socket.once("disconnect", () => void Promise.all([...watchingClasses].map((c) => classes.unwatch(c, socket.id))));
      watchingClasses.add(code);
      return view;
    },
    "class:unwatch": async ({ code }) => {
      instructorOnly(role, "class");
      await socket.leave(gridRoom(code));
      watchingClasses.delete(code);
      await classes.unwatch(code, socket.id);
      return null;
    },
    "class:reset": async ({ code, student }) => {
      instructorOnly(role, "class");
      await classes.reset(code, student);
      return null;
    },
    "class:message": async ({ code, text }) => {
      instructorOnly(role, "class");
      await classes.message(code, text);
      return null;
    },
    "class:end": async ({ code }) => {
      instructorOnly(role, "class");
      await classes.end(code);
      return null;
    },
    "class:me": () => classes.me(role),
  };
}

export function attachSockets(io: IO, d: SocketDeps): void {
  d.classes.sink = {
    grid: (code, view) => void io.to(gridRoom(code)).emit("class:grid", view),
    toStudents: (code, event, payload) => {
      if (event === "class:message") io.to(studentsRoom(code)).emit("class:message", payload as ServerPayload<"class:message">);
      else {
        io.to(studentsRoom(code)).emit("class:ended", payload as ServerPayload<"class:ended">);
        io.in(studentsRoom(code)).disconnectSockets(true);
      }
    },
  };
  labObservers.set(io, (lab, event, payload) => {
    if (event === "lab:document" || event === "lab:removed" || event === "lab:busy") d.classes.labChanged(lab);
    if (event === "lab:document") {
      const p = payload as { running: boolean; document: Parameters<ReturnType<typeof capturesOf>["labChanged"]>[2] };
      capturesOf(d.engine).labChanged(lab, p.running, p.document);
      exercisesOf(d.engine).labChanged(lab, p.running);
    } else if (event === "lab:removed") {
      capturesOf(d.engine).labChanged(lab, false, null);
      exercisesOf(d.engine).labChanged(lab, false);
    }
  });
  io.use((socket, next) => {
    const hs = HandshakeSchema.safeParse(socket.handshake.auth);
    if (!hs.success) return next(refusal("invalid", "the connection's auth must be { protocol, token?, session? }"));
    if (hs.data.protocol !== PROTOCOL_VERSION) {
      return next(refusal("protocol", `this page speaks protocol ${hs.data.protocol} and the server ${PROTOCOL_VERSION}: reload the page`));
    }
    const shown = hs.data.token ?? d.guard.cookieToken(socket.handshake.headers);
    const address = clientAddress(socket.handshake.address);
    if (shown !== undefined) {
      // an address that showed too many wrong tokens waits (security.ts); no token is no guess
      const seconds = d.guard.failures.retryAfter(address);
      if (seconds > 0) return next(Object.assign(refusal("limit", tooManyFailures(seconds)), { data: { code: "limit", retryAfter: seconds } }));
    }
    if (!d.guard.tokenMatches(shown)) {
      // a student of a class shows no token but their signed class cookie
      const student = shown === undefined ? d.classes.studentFrom(socket.handshake.headers) : null;
      if (student?.kind === "student") {
        socket.data.role = student;
        // one session per student: their terminals are found again from any tab, after a reload
        socket.data.session = `student-${student.id}`;
        socket.data.client =
          hs.data.client
            ?.replace(/[^\x20-\x7e\u00a0-\uffff]/g, "")
            .trim()
            .slice(0, 64) || "a student";
        return next();
      }
      if (shown !== undefined) d.guard.failures.failed(address, shown);
      return next(refusal("unauthorized", "the access token is missing or wrong: open the address the server printed when it started"));
    }
    socket.data.role = INSTRUCTOR;
    socket.data.session = hs.data.session ?? randomBytes(16).toString("base64url");
    // printable characters only: it is shown to other browsers
    if (hs.data.client)
      socket.data.client = hs.data.client
        .replace(/[^\x20-\x7e\u00a0-\uffff]/g, "")
        .trim()
        .slice(0, 64);
    next();
  });

  io.on("connection", (socket) => {
    const control = new TokenBucket(20, 60);
    const stream = new TokenBucket(2000, 4000);
    let refused = 0;
    const h = handlers(socket, d) as Record<ClientEventName, (args: unknown) => Promise<unknown> | void>;

    const refuse = (event: string, error: ErrorInfo, ack?: (r: Response<never>) => void) => {
      if (ack) ack({ ok: false, error });
      else socket.emit("protocol:error", { event: event.slice(0, 64), error });
      if (++refused > MAX_REFUSED) socket.disconnect(true);
    };

    socket.use(([event, ...args], next) => {
      const last: unknown = args[args.length - 1];
      const ack = typeof last === "function" ? (last as (r: Response<never>) => void) : undefined;
      if (typeof event !== "string" || !isClientEvent(event)) {
        return refuse(String(event), { code: "unknown_event", message: `there is no event named ${JSON.stringify(String(event).slice(0, 64))}` }, ack);
      }
      if (!(STREAM.has(event) ? stream : control).take()) return refuse(event, { code: "limit", message: `too many ${event} requests; slow down` }, ack);
      next();
    });

    for (const name of Object.keys(clientEvents) as ClientEventName[]) {
      (socket as unknown as Socket).on(name, async (...args: unknown[]) => {
        const ack = typeof args[args.length - 1] === "function" ? (args.pop() as (r: Response<unknown>) => void) : undefined;
        const wantsAck = clientEvents[name].ack !== null;
        if (wantsAck && !ack) return refuse(name, { code: "invalid", message: `${name} needs an acknowledgement callback` });
        if (args.length !== 1) return refuse(name, { code: "invalid", message: `${name} takes one object` }, ack);
        const parsed = clientEvents[name].args.safeParse(args[0], { reportInput: true });
        if (!parsed.success) {
          return refuse(name, { code: "invalid", message: `${name}: the request is not valid`, issues: zodIssues(parsed.error, []) }, ack);
        }
        try {
          // every event that names a lab passes the one access rule first (classes.ts)
          const lab = (parsed.data as { lab?: unknown }).lab;
          if (typeof lab === "string") {
            accessLab(socket.data.role, lab);
            if (CHANGES_LAB.has(name) && socket.data.readOnly?.has(lab)) throw readOnlyRefusal(lab);
          }
          const value = await h[name](parsed.data);
          if (wantsAck) ack!({ ok: true, value: value ?? null });
        } catch (e) {
          const error = toErrorInfo(e, d.log);
          if (ack) ack({ ok: false, error });
          else socket.emit("protocol:error", { event: name, error });
        }
      });
    }

    const role = socket.data.role;
    void socket.join(role.kind === "student" ? studentsRoom(role.code) : INSTRUCTORS);
    d.classes.presence(role, 1);

    socket.on("disconnect", () => {
      d.classes.presence(role, -1);
      d.terminals.socketGone(socket.id);
      capturesOf(d.engine).socketGone(socket.id);
    });

    void d.engine.capabilities().then(
      (c) =>
        socket.emit("server:hello", {
          protocol: PROTOCOL_VERSION,
          version: d.version,
          session: socket.data.session,
          capabilities: {
            ovs: { available: c.ovs.available, datapath: c.ovs.datapath, ...(c.ovs.reason ? { reason: c.ovs.reason } : {}) },
            netem: c.netem,
            tbf: c.tbf,
          },
        }),
      (e) => d.log(`topolab: cannot read this machine's capabilities: ${(e as Error).message}`),
    );
  });
}
