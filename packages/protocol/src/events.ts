// The socket.io contract: every event both ways, its payload as a strict zod schema, the
// acknowledgement each request gets, the protocol version and the limits.
//
// Knows: event names and shapes, which client events want an ack, and the bounds a payload
// must keep (sizes, terminal dimensions). Leaves to others: what the server does with them,
// and the lab rules (topology).

import { z } from "zod";
import { LabNameSchema, NodeNameSchema } from "@topolab/topology";
import { ChangeSchema } from "./changes";
import { DriftSchema, LiveEventMessageSchema, LiveSnapshotSchema, PingAllSchema } from "./live";
import { InspectSchema } from "./inspect";
import { ExerciseStateSchema } from "./exercise";
import { TraceRequestSchema, TraceSchema } from "./trace";
import { PingPairRequestSchema, PingPairSchema } from "./pingall";
import { ClassCreateSchema, ClassMessageSchema, ClassRef, ClassStudentRef, ClassViewSchema, StudentViewSchema } from "./class";
import type { Issue } from "./issues";
import {
  CapabilitiesSchema,
  EditResultSchema,
  LabSchema,
  LabStatusSchema,
  LabSummarySchema,
  LabViewSchema,
  LogEntrySchema,
  TemplateInfoSchema,
  TerminalInfoSchema,
  ClientInfoSchema,
} from "./views";

/** Raised whenever an event, a payload or a meaning changes incompatibly. */
export const PROTOCOL_VERSION = 1;

export const LIMITS = {
  /** the largest socket.io message; a bigger one closes the connection */
  maxMessageBytes: 1024 * 1024,
  /** an uploaded lab file */
  maxLabText: 512 * 1024,
  /** changes in one lab:edit */
  maxChanges: 1000,
  /** one term:input (a paste) */
  maxInput: 64 * 1024,
  cols: { min: 2, max: 500 },
  rows: { min: 1, max: 200 },
  /**
   * Flow control: the server stops reading a terminal when this many characters of its
   * output are not acknowledged (term:ack), and reads again below lowWater.
   */
  highWater: 256 * 1024,
  lowWater: 32 * 1024,
} as const;

// ---- connection ----

/** socket.io's `auth` option: io({ auth: { protocol: PROTOCOL_VERSION, session } }). */
export const HandshakeSchema = z.strictObject({
  protocol: z.number().int(),
  /** the access token, when the cookie is not there (scripts, tests) */
  token: z.string().max(512).optional(),
  /**
   * Chosen by the browser tab and kept over a reload (sessionStorage): its terminals are
   * listed and reattached by it.
   */
  session: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,64}$/)
    .optional(),
  /** how the browser names itself to others (e.g. "Chromium on Linux"), shown beside its terminals */
  client: z.string().max(64).optional(),
});
export type Handshake = z.infer<typeof HandshakeSchema>;

// ---- acknowledgements ----

export type ErrorCode =
  | "invalid" // the request or the lab it asks for breaks a rule: see issues
  | "not_found"
  | "conflict" // a name is taken, or the kernel has a name in the way
  | "busy" // the lab is being changed by someone else (the CLI), or its page is still loading it
  | "apply_failed" // the kernel refused; the lab was rolled back
  | "stopped" // the lab is not running (terminals, exec)
  | "limit" // too many, too often or too big
  | "unknown_event"
  | "internal";

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  issues?: Issue[];
}

export type Response<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };
export type Ack<T> = (response: Response<T>) => void;

export const IssueSchema = z.object({
  path: z.string(),
  message: z.string(),
  line: z.number().optional(),
  node: z.string().optional(),
  link: z.string().optional(),
});
export const ErrorInfoSchema = z.object({ code: z.string(), message: z.string(), issues: z.array(IssueSchema).optional() });
export function responseSchema<T extends z.ZodType>(value: T) {
  return z.union([z.object({ ok: z.literal(true), value }), z.object({ ok: z.literal(false), error: ErrorInfoSchema })]);
}

// ---- client -> server ----

const TermIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);
const ColsSchema = z.number().int().min(LIMITS.cols.min).max(LIMITS.cols.max);
const RowsSchema = z.number().int().min(LIMITS.rows.min).max(LIMITS.rows.max);
const LabRef = z.strictObject({ lab: LabNameSchema });
const Empty = z.strictObject({});

export const CreateSourceSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("blank") }),
  /** a file in the server's templates directory, by id */
  z.strictObject({ type: z.literal("template"), id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/) }),
  /** the text of a lab file (YAML or JSON) */
  z.strictObject({ type: z.literal("file"), text: z.string().max(LIMITS.maxLabText) }),
]);

// ---- packet capture (issue 12) ----

const CaptureIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);
export const CAPTURE_LIMITS = {
  /** interfaces in one capture */
  maxInterfaces: 32,
  /** characters of a capture filter */
  maxFilter: 2000,
  /** captures running at once per connection */
  perSocket: 4,
} as const;

export const CaptureStartSchema = z.strictObject({
  lab: LabNameSchema,
  /** "node:if", or "node" for all its linked interfaces */
  interfaces: z
    .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,14})?$/, "NODE or NODE:IF"))
    .min(1)
    .max(CAPTURE_LIMITS.maxInterfaces),
  /** a BPF capture filter (tcpdump syntax), applied by the kernel; must not begin with "-" */
  filter: z.string().max(CAPTURE_LIMITS.maxFilter).optional(),
});

export const CaptureInfoSchema = z.object({
  id: z.string(),
  lab: z.string(),
  /** in the order packets name them (a packet's interface index) */
  interfaces: z.array(z.object({ label: z.string(), node: z.string(), iface: z.string(), linktype: z.number() })),
  filter: z.string(),
  startedAt: z.string(),
  /** where the packets kept so far download as pcapng (GET, with the token) */
  download: z.string(),
});
export type CaptureInfo = z.infer<typeof CaptureInfoSchema>;

/**
 * Each client event: its payload schema, and the schema of the value its ack carries (null:
 * the event is fire-and-forget, no ack). Every request is one object; every ack a Response.
 */
export const clientEvents = {
  "labs:list": { args: Empty, ack: z.array(LabSummarySchema) },
  "templates:list": { args: Empty, ack: z.array(TemplateInfoSchema) },
  /** name: required for blank; for a template or file, overrides the name inside it */
  "lab:create": { args: z.strictObject({ name: LabNameSchema.optional(), source: CreateSourceSchema }), ack: LabViewSchema },
  /**
   * Joins the lab's room: lab:document, lab:status, lab:log and lab:removed follow. With watch,
   * this connection sees the lab read-only (issue 15, the instructor's watch): every request
   * that would change it (edit, rename, delete, start, stop, restore, reset, opening a shell)
   * is refused until lab:mode "edit".
   */
  "lab:open": { args: z.strictObject({ lab: LabNameSchema, watch: z.boolean().optional() }), ack: LabViewSchema },
  /** watch: this connection sees the lab read-only from now on; edit: it may change it again ("take over") */
  "lab:mode": { args: z.strictObject({ lab: LabNameSchema, mode: z.enum(["watch", "edit"]) }), ack: z.null() },
  "lab:close": { args: LabRef, ack: z.null() },
  /** all changes apply, or none; rejected ones come back with issues and their places */
  "lab:edit": { args: z.strictObject({ lab: LabNameSchema, changes: z.array(ChangeSchema).min(1).max(LIMITS.maxChanges) }), ack: EditResultSchema },
  "lab:rename": { args: z.strictObject({ lab: LabNameSchema, to: LabNameSchema }), ack: LabSummarySchema },
  /** takes the lab down and forgets it */
  "lab:delete": { args: LabRef, ack: z.null() },
  /** brings a stopped lab up again */
  "lab:start": { args: LabRef, ack: EditResultSchema },
  /** takes it down, keeping the document */
  "lab:stop": { args: LabRef, ack: z.null() },
  /** reads the kernel now */
  "lab:status": { args: LabRef, ack: LabStatusSchema },
  /**
   * Follows the lab's kernel live (the socket must have opened the lab): the snapshot comes
   * back, then live:event as anything changes; with rates, counters and MAC tables every second.
   */
  "live:watch": { args: z.strictObject({ lab: LabNameSchema, rates: z.boolean().optional() }), ack: LiveSnapshotSchema },
  "live:unwatch": { args: LabRef, ack: z.null() },
  /** one node read from the kernel now: interfaces, routes, neighbours, sockets, processes; a switch's ports and MAC table */
  "live:inspect": { args: z.strictObject({ lab: LabNameSchema, node: NodeNameSchema }), ack: InspectSchema },
  /** where the kernel differs from the document; adopt an item with lab:edit and its changes */
  "live:drift": { args: LabRef, ack: DriftSchema },
  /** puts the kernel back as the document says (hand-made addresses and routes removed, the planner's difference applied); the drift after */
  "live:restore": { args: LabRef, ack: DriftSchema },
  /** Mininet's pingall on the lab: every host pings every other; the matrix */
  "live:pingall": { args: LabRef, ack: PingAllSchema },
  /** one pair of the matrix pinged again: `ping -c 3 -W 1` from a host or router to another's first IPv4 address (as read from the kernel), its output verbatim; in the lab's command log */
  "live:ping": { args: PingPairRequestSchema, ack: PingPairSchema },
  /**
   * The path a packet takes from a host or router to another node, node:interface or address
   * (traceroute on the lab's links): the hops, each across the switches, and where and why it stopped
   */
  "live:trace": { args: TraceRequestSchema, ack: TraceSchema },
  /**
   * Follows the lab's exercise (the socket must have opened the lab): its state comes back,
   * then exercise:results whenever a check's result changes (the checks run again as the
   * kernel changes). A lab without an exercise is "not_found".
   */
  "exercise:watch": { args: LabRef, ack: ExerciseStateSchema },
  "exercise:unwatch": { args: LabRef, ack: z.null() },
  /** runs every check now (retry windows included); the state after */
  "exercise:run": { args: LabRef, ack: ExerciseStateSchema },
  /** "start over": the lab goes down and comes up as the exercise shipped (kernel and document) */
  "exercise:reset": { args: LabRef, ack: EditResultSchema },
  "term:open": { args: z.strictObject({ lab: LabNameSchema, node: NodeNameSchema, cols: ColsSchema, rows: RowsSchema }), ack: TerminalInfoSchema },
  /**
   * No lab: this session's terminals (after a reload). With a lab (and a node): every running
   * terminal there, whoever opened it, for anyone on the lab to join (term:attach).
   */
  "term:list": { args: z.strictObject({ lab: LabNameSchema.optional(), node: NodeNameSchema.optional() }), ack: z.array(TerminalInfoSchema) },
  /** takes a terminal over (any browser's: joining it): its recent output comes back, then term:output follows */
  "term:attach": { args: z.strictObject({ id: TermIdSchema }), ack: z.object({ terminal: TerminalInfoSchema, scrollback: z.string() }) },
  "term:close": { args: z.strictObject({ id: TermIdSchema }), ack: z.null() },
  /**
   * Watches a terminal read-only (issue 15), beside whoever holds it: its recent output comes
   * back, then term:output follows (at this connection's own pace: one too far behind misses
   * output and is redrawn). Its term:input is refused, its term:resize ignored. The instructor
   * watches any terminal; a student only their own.
   */
  "term:watch": { args: z.strictObject({ id: TermIdSchema }), ack: z.object({ terminal: TerminalInfoSchema, scrollback: z.string() }) },
  "term:unwatch": { args: z.strictObject({ id: TermIdSchema }), ack: z.null() },
  /**
   * The instructor takes a terminal over: their keys reach the shell; its holder (the student)
   * watches meanwhile (term:mode "watch") and cannot take it back until term:giveback.
   */
  "term:takeover": { args: z.strictObject({ id: TermIdSchema }), ack: z.object({ terminal: TerminalInfoSchema, scrollback: z.string() }) },
  /** the instructor gives a terminal they took over back to its owner (term:mode "hold" to them); they watch on */
  "term:giveback": { args: z.strictObject({ id: TermIdSchema }), ack: z.null() },
  "term:input": { args: z.strictObject({ id: TermIdSchema, data: z.string().max(LIMITS.maxInput) }), ack: null },
  "term:resize": { args: z.strictObject({ id: TermIdSchema, cols: ColsSchema, rows: RowsSchema }), ack: null },
  /** the number of output characters the browser has written to the screen since its last ack */
  "term:ack": { args: z.strictObject({ id: TermIdSchema, chars: z.number().int().min(0).max(LIMITS.maxMessageBytes) }), ack: null },
  /**
   * Starts a packet capture on a lab's interfaces (the socket must have opened the lab):
   * capture:packets batches follow, then capture:ended. A wrong filter is refused with
   * tcpdump's own message ("invalid", issue path "filter"), nothing started.
   */
  "capture:start": { args: CaptureStartSchema, ack: CaptureInfoSchema },
  "capture:stop": { args: z.strictObject({ id: CaptureIdSchema }), ack: z.null() },
  /** the browser has drawn a capture:packets batch: the server sends the next (flow control) */
  "capture:ack": { args: z.strictObject({ id: CaptureIdSchema }), ack: null },
  // ---- classes (issue 15; class.ts): the instructor's, but class:me (a student's own) ----
  "class:list": { args: Empty, ack: z.array(ClassViewSchema) },
  "class:create": { args: ClassCreateSchema, ack: ClassViewSchema },
  /** the class's grid now; class:grid after, whenever a card changes */
  "class:watch": { args: ClassRef, ack: ClassViewSchema },
  "class:unwatch": { args: ClassRef, ack: z.null() },
  /** the student's lab as the class began (its shells end) */
  "class:reset": { args: ClassStudentRef, ack: z.null() },
  /** to every student of the class (class:message) */
  "class:message": { args: ClassMessageSchema, ack: z.null() },
  /** every lab of the class goes down; the students' sessions end */
  "class:end": { args: ClassRef, ack: z.null() },
  /** a student's own class, lab and messages */
  "class:me": { args: Empty, ack: StudentViewSchema },
} as const;

export type ClientEventName = keyof typeof clientEvents;
export type ClientArgs<E extends ClientEventName> = z.infer<(typeof clientEvents)[E]["args"]>;
type AckSchemaOf<E extends ClientEventName> = (typeof clientEvents)[E]["ack"];
export type RequestEventName = { [E in ClientEventName]: AckSchemaOf<E> extends null ? never : E }[ClientEventName];
export type FireEventName = Exclude<ClientEventName, RequestEventName>;
export type AckValue<E extends RequestEventName> = AckSchemaOf<E> extends z.ZodType ? z.infer<AckSchemaOf<E>> : never;

export const isClientEvent = (name: string): name is ClientEventName => Object.hasOwn(clientEvents, name);

// ---- server -> client ----

export const serverEvents = {
  /** right after connecting */
  "server:hello": z.object({ protocol: z.number(), version: z.string(), session: z.string(), capabilities: CapabilitiesSchema }),
  /** the list changed: a lab was created, renamed, deleted, started or stopped (here or by the CLI) */
  "labs:changed": z.object({ labs: z.array(LabSummarySchema) }),
  /** to the lab's room, after every accepted change (also by the CLI): the whole new document */
  "lab:document": z.object({ lab: z.string(), revision: z.number(), running: z.boolean(), document: LabSchema }),
  /** to the lab's room: the kernel's view, after changes and when asked */
  "lab:status": z.object({ lab: z.string(), status: LabStatusSchema }),
  /** to the lab's room: kernel commands as they complete, in order */
  "lab:log": z.object({ lab: z.string(), entries: z.array(LogEntrySchema) }),
  /** to the lab's room: a change is being applied (busy) or done */
  "lab:busy": z.object({ lab: z.string(), busy: z.boolean(), what: z.string().optional() }),
  /** to the sockets watching the lab (live:watch): one kernel change, numbered */
  "live:event": LiveEventMessageSchema,
  /** to the sockets following the lab's exercise (exercise:watch): the checks' results changed */
  "exercise:results": ExerciseStateSchema,
  /** to the lab's room: the lab was deleted or renamed; the room is closed */
  "lab:removed": z.object({ lab: z.string(), reason: z.string(), renamedTo: z.string().optional() }),
  "term:output": z.object({ id: z.string(), data: z.string() }),
  /** the terminal is gone, and why (shell exited, node removed, lab stopped, ...) */
  "term:exit": z.object({ id: z.string(), code: z.number().nullable(), signal: z.number().nullable(), reason: z.string() }),
  /** another tab of this session took the terminal over */
  "term:detached": z.object({ id: z.string(), reason: z.string() }),
  /**
   * This connection's part in a terminal changed (issue 15): "watch" (taken over by the
   * instructor: read-only until given back) or "hold" (given back: its keys reach the shell again)
   */
  "term:mode": z.object({ id: z.string(), mode: z.enum(["hold", "watch"]), reason: z.string() }),
  /** to the terminal's holder: who watches it now (issue 15: a student sees that the instructor watches their shell) */
  "term:watchers": z.object({ id: z.string(), watchers: z.array(ClientInfoSchema) }),
  /**
   * To the capture's socket: packets in @topolab/capture's binary batch form (encodeBatch).
   * A browser that has not acked the previous batches gets a sample: `missed` packets were
   * left out since the last batch. `total` counts every packet captured so far.
   */
  "capture:packets": z.object({
    id: z.string(),
    batch: z.custom<Uint8Array | ArrayBuffer>((v) => v instanceof Uint8Array || v instanceof ArrayBuffer),
    missed: z.number(),
    total: z.number(),
  }),
  /** the capture stopped: asked, its link, node or lab went, a limit, tcpdump failed */
  "capture:ended": z.object({ id: z.string(), reason: z.string(), total: z.number() }),
  /** an event without an ack was refused (unknown, malformed, too frequent) */
  "protocol:error": z.object({ event: z.string(), error: ErrorInfoSchema }),
  /** to the instructor's sockets watching the class (class:watch) */
  "class:grid": ClassViewSchema,
  /** to the class's students: the teacher's message */
  "class:message": z.object({ code: z.string(), text: z.string(), at: z.string() }),
  /** to the class's students: the class ended (their lab is gone) */
  "class:ended": z.object({ code: z.string(), reason: z.string() }),
} as const;

export type ServerEventName = keyof typeof serverEvents;
export type ServerPayload<E extends ServerEventName> = z.infer<(typeof serverEvents)[E]>;

// ---- typed event maps for socket.io's Server<...> and Socket<...> ----

export type ClientToServerEvents = {
  [E in RequestEventName]: (args: ClientArgs<E>, ack: Ack<AckValue<E>>) => void;
} & {
  [E in FireEventName]: (args: ClientArgs<E>) => void;
};

export type ServerToClientEvents = {
  [E in ServerEventName]: (payload: ServerPayload<E>) => void;
};
