// Errors from the browsers, reported to the server so that a crash in a student's page is
// seen by the person running it: POST /api/client-errors with what failed (a panel's error
// boundary, an uncaught error, an unhandled rejection), the lab and the page. Each report is
// checked (zod), limited in size and in rate per client, logged as one line, and the last
// ones are kept for GET /api/client-errors.
//
// Knows: the report's shape, its limits, the log line. Leaves to others: authentication and
// Origin (http.ts, which mounts this before the API's own body parser), what the browser
// sends (apps/web/src/lib/clientErrors.ts).

import express from "express";
import { z } from "zod";
import { zodIssues } from "@topolab/topology";
import { BucketMap } from "./limits";

export const MAX_REPORT_BYTES = 16 * 1024;
const KEEP = 100;

export const ClientErrorReport = z.strictObject({
  /** boundary: a panel's error boundary caught it; error: window error; rejection: unhandledrejection */
  kind: z.enum(["boundary", "error", "rejection"]),
  message: z.string().min(1).max(2000),
  stack: z.string().max(8000).optional(),
  /** the panel whose boundary caught it (inspector, dock, command log, canvas, home, …) */
  panel: z.string().max(60).optional(),
  /** the lab the page showed */
  lab: z.string().max(100).optional(),
  /** the page's path */
  page: z.string().max(500),
  userAgent: z.string().max(300).optional(),
});
export type ClientErrorReport = z.infer<typeof ClientErrorReport>;

export interface StoredClientError extends ClientErrorReport {
  time: string;
  client: string;
}

/** One line for the server's log: where, what, and the top of the stack. */
export function clientErrorLine(r: StoredClientError): string {
  const where = [r.panel ? `panel ${r.panel}` : r.kind, r.lab ? `lab ${r.lab}` : null, `page ${r.page}`].filter(Boolean).join(", ");
  const top = r.stack
    ?.split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.includes(r.message))
    .slice(0, 2)
    .join(" | ");
  // oxlint-disable-next-line no-control-regex -- control characters are what is removed
  const clean = (s: string) => s.replace(/[\u0000-\u001f\u007f]+/g, " ");
  return clean(`topolab: browser error (${where}) from ${r.client}: ${r.message}${top ? ` — ${top}` : ""}`);
}

export function clientErrorsRouter(o: { log: (line: string) => void; perSecond?: number; burst?: number }): express.Router {
  const r = express.Router();
  const kept: StoredClientError[] = [];
  const limit = new BucketMap(o.perSecond ?? 1, o.burst ?? 20);
  const fail = (res: express.Response, status: number, code: string, message: string, issues?: unknown) =>
    res.status(status).json({ error: { code, message, ...(issues ? { issues } : {}) } });

  r.post("/", (req, res, next) => {
    const client = req.socket.remoteAddress ?? "?";
    if (!limit.take(client)) return void fail(res, 429, "limit", "too many error reports from this client; slow down");
    next();
  });
  r.post("/", express.json({ limit: MAX_REPORT_BYTES }), (req, res) => {
    const parsed = ClientErrorReport.safeParse(req.body ?? {}, { reportInput: true });
    if (!parsed.success) return void fail(res, 400, "invalid", "the error report is not valid", zodIssues(parsed.error, []));
    const stored: StoredClientError = { ...parsed.data, time: new Date().toISOString(), client: req.socket.remoteAddress ?? "?" };
    kept.push(stored);
    if (kept.length > KEEP) kept.shift();
    o.log(clientErrorLine(stored));
    res.status(204).end();
  });
  r.get("/", (_req, res) => {
    res.setHeader("Cache-Control", "no-store");
    res.json(kept);
  });
  const errors: express.ErrorRequestHandler = (err, _req, res, next) => {
    const e = err as { type?: string; message?: string };
    if (e.type === "entity.too.large") return void fail(res, 413, "limit", `an error report is at most ${MAX_REPORT_BYTES} bytes`);
    if (e.type === "entity.parse.failed") return void fail(res, 400, "invalid", `the error report is not valid JSON: ${e.message}`);
    next(err);
  };
  r.use(errors);
  return r;
}
