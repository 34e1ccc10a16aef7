// live:trace on the server: a trace in a running lab (engine trace.ts), its refusals worded for
// the client (a wrong from/to is "invalid" with the field, a stopped lab "stopped"). Who may
// trace is the one access rule every event that names a lab passes first (sockets.ts, classes.ts:
// a student only in their own lab); the trace's commands go to the lab's command log through
// the engine's log.
//
// Knows: the request's mapping to the engine and its errors. Leaves to others: tracing (engine),
// the socket plumbing (sockets.ts).

import { TraceError, type Engine } from "@topolab/engine";
import type { Trace, TraceRequest } from "@topolab/protocol";
import { RequestError, runningMeta } from "./errors";

export async function traceInLab(engine: Engine, req: TraceRequest): Promise<Trace> {
  await runningMeta(engine, req.lab, "start it to trace in it");
  const options = {
    ...(req.maxHops !== undefined ? { maxHops: req.maxHops } : {}),
    ...(req.timeoutSeconds !== undefined ? { timeoutSeconds: req.timeoutSeconds } : {}),
    ...(req.queries !== undefined ? { queries: req.queries } : {}),
  };
  try {
    return await engine.trace(req.lab, req.from, req.to, options);
  } catch (e) {
    if (e instanceof TraceError && e.field) throw new RequestError("invalid", e.message, [{ path: e.field, message: e.message }]);
    throw e;
  }
}
