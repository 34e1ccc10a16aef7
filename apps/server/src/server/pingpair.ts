// live:ping on the server: one pair of ping all's matrix pinged again (engine pingall.ts,
// `ping -c 3 -W 1` in the source's namespace), its refusals worded for the client (a wrong
// from/to is "invalid" with the field, a stopped lab "stopped"). Who may ping is the one access
// rule every event that names a lab passes first (sockets.ts, classes.ts: a student only in
// their own lab); the command goes to the lab's command log through the engine's log.
//
// Knows: the request's mapping to the engine and its errors. Leaves to others: pinging
// (engine), the socket plumbing (sockets.ts).

import { PingPairError, type Engine } from "@topolab/engine";
import type { PingPair, PingPairRequest } from "@topolab/protocol";
import { RequestError, runningMeta } from "./errors";

export async function pingPairInLab(engine: Engine, req: PingPairRequest): Promise<PingPair> {
  await runningMeta(engine, req.lab, "start it to ping in it");
  try {
    return await engine.pingPair(req.lab, req.from, req.to);
  } catch (e) {
    if (e instanceof PingPairError) throw new RequestError("invalid", e.message, [{ path: e.field, message: e.message }]);
    throw e;
  }
}
