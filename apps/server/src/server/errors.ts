// Errors as a client sees them: every failure becomes { code, message, issues? }, the same for
// a socket.io ack and a REST response (with an HTTP status to match).
//
// Knows: which engine and topology errors mean what to a person. Leaves to others: raising them.

import { ApplyError, ConflictError, LockError, NotFoundError, type Engine, type LabMeta } from "@topolab/engine";
import { LabValidationError } from "@topolab/topology";
import type { ErrorCode, ErrorInfo, Issue } from "@topolab/protocol";
import { QueueFullError } from "./limits";

/** A refusal the server words itself; `status` overrides the code's HTTP status (413 for a body too big). */
export class RequestError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: Issue[],
    readonly status?: number,
  ) {
    super(message);
    this.name = "RequestError";
  }
}

export const invalid = (issues: Issue[], message = "the lab is not valid") => new RequestError("invalid", message, issues);

/**
 * The lab's meta, when the lab exists and runs; else "not_found", or "stopped" with what it
 * takes (`then`: "start it to ping in it").
 */
export async function runningMeta(engine: Engine, lab: string, then: string): Promise<LabMeta> {
  return mustRun(await engine.state.readMeta(lab), lab, then);
}

/** runningMeta() of a meta read already (null: there is no such lab). */
export function mustRun(meta: LabMeta | null, lab: string, then: string): LabMeta {
  if (!meta) throw new RequestError("not_found", `there is no lab named ${lab}`);
  if (!meta.running) throw new RequestError("stopped", `lab ${lab} is stopped: ${then}`);
  return meta;
}

export function toErrorInfo(e: unknown, log?: (line: string) => void): ErrorInfo {
  if (e instanceof RequestError) return { code: e.code, message: e.message, ...(e.issues ? { issues: e.issues } : {}) };
  if (e instanceof LabValidationError) return { code: "invalid", message: "the lab is not valid", issues: e.issues };
  if (e instanceof NotFoundError) return { code: "not_found", message: e.message };
  if (e instanceof ConflictError) return { code: "conflict", message: e.message };
  if (e instanceof LockError) return { code: "busy", message: e.message };
  if (e instanceof ApplyError) return { code: "apply_failed", message: e.message };
  if (e instanceof QueueFullError) return { code: "limit", message: e.message };
  log?.(`topolab: internal error: ${(e as Error)?.stack ?? String(e)}`);
  return { code: "internal", message: `internal error: ${(e as Error)?.message ?? String(e)}` };
}

const STATUS: Record<ErrorCode, number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  busy: 409,
  stopped: 409,
  apply_failed: 500,
  limit: 429,
  unknown_event: 400,
  internal: 500,
};

export function httpStatus(code: ErrorCode): number {
  return STATUS[code];
}

/** The HTTP status for an error: its own when it has one, else its code's. */
export function statusOf(e: unknown, info: ErrorInfo): number {
  return e instanceof RequestError && e.status !== undefined ? e.status : httpStatus(info.code);
}

const bytes = (n: number) => n.toLocaleString("en-US");

/** A lab (file text or document) larger than the server takes: 413, saying both sizes. */
export function tooLarge(what: string, size: number, max: number): RequestError {
  return new RequestError("limit", `${what} is ${bytes(size)} bytes; the server takes at most ${bytes(max)} (${Math.round(max / 1024)} KiB)`, undefined, 413);
}
