// The HTTP side, in the order a request meets it: the Host header (DNS rebinding), security
// headers, the one-time `?token=` swapped for a cookie, authentication, the Origin of anything
// that changes state, rate limits, then the API and the web app.
//
// Knows: express middleware and error responses. Leaves to others: the rules (security.ts),
// the routes (rest.ts, web.ts).

import express, { type ErrorRequestHandler, type RequestHandler } from "express";
import type { Engine } from "@topolab/engine";
import { LIMITS, PROTOCOL_VERSION } from "@topolab/protocol";
import { classesRouter, joinRoute } from "./classes-rest";
import { INSTRUCTOR, type Classes } from "./classes";
import { clientErrorsRouter } from "./clienterrors";
import { statusOf, toErrorInfo } from "./errors";
import type { Labs } from "./labs";
import { BucketMap } from "./limits";
import { restRouter } from "./rest";
import { clientAddress, tooManyFailures, type Guard } from "./security";
import type { Templates } from "./templates";
import { noAccessPage, webApp } from "./web";

export interface HttpDeps {
  guard: Guard;
  labs: Labs;
  engine: Engine;
  templates: Templates;
  webDir: string;
  version: string;
  log: (line: string) => void;
  classes: Classes;
}

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const wantsApi = (path: string) => path === "/api" || path.startsWith("/api/");

export function httpApp(d: HttpDeps): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  const { guard } = d;
  const fail = (res: express.Response, status: number, code: string, message: string) => res.status(status).json({ error: { code, message } });

  const hostCheck: RequestHandler = (req, res, next) => {
    if (guard.hostAllowed(req.headers.host)) return next();
    res
      .status(403)
      .type("text")
      .send(
        "topolab: this server is not reached under that name (Host header refused, against DNS rebinding); use the address it printed, or allow it with --allow-origin\n",
      );
  };

  const headers: RequestHandler = (_req, res, next) => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("X-Frame-Options", "DENY");
    res.setHeader("Referrer-Policy", "no-referrer");
    res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
    res.setHeader("Cross-Origin-Resource-Policy", "same-origin");
    res.setHeader("Content-Security-Policy", CSP);
    next();
  };

  // an address that showed too many wrong tokens waits, its tokens not even looked at
  const waiting = (req: express.Request, res: express.Response): boolean => {
    const seconds = guard.failures.retryAfter(clientAddress(req.socket.remoteAddress));
    if (seconds === 0) return false;
    res.setHeader("Retry-After", String(seconds));
    if (wantsApi(req.path)) fail(res, 429, "limit", tooManyFailures(seconds));
    else
      res
        .status(429)
        .type("text")
        .send(`topolab: ${tooManyFailures(seconds)}\n`);
    return true;
  };
  const wrongToken = (req: express.Request, given: string) => guard.failures.failed(clientAddress(req.socket.remoteAddress), given);

  // the address printed at start carries the token once; the browser keeps it as a cookie
  const tokenSwap: RequestHandler = (req, res, next) => {
    const url = new URL(req.originalUrl, "http://topolab");
    const token = url.searchParams.get("token");
    if (token === null || req.method !== "GET") return next();
    if (waiting(req, res)) return;
    if (!guard.tokenMatches(token)) {
      wrongToken(req, token);
      res.status(401).type("html").send(noAccessPage);
      return;
    }
    url.searchParams.delete("token");
    res.setHeader("Set-Cookie", guard.cookie());
    res.setHeader("Cache-Control", "no-store");
    res.redirect(302, `${url.pathname}${url.search}`);
  };

  const authenticate: RequestHandler = (req, res, next) => {
    // no token shown is no guess: a browser before it has the cookie gets the page that says so
    const shown = guard.shownToken(req.headers);
    if (shown !== undefined && waiting(req, res)) return;
    const via = guard.authenticate(req.headers);
    if (via) {
      res.locals["auth"] = via;
      res.locals["role"] = INSTRUCTOR;
      return next();
    }
    // a student of a class: no token, their signed class cookie (classes.ts)
    const student = shown === undefined ? d.classes.studentFrom(req.headers) : null;
    if (student) {
      res.locals["auth"] = "cookie";
      res.locals["role"] = student;
      return next();
    }
    if (shown !== undefined) wrongToken(req, shown);
    if (wantsApi(req.path)) fail(res, 401, "unauthorized", "send the access token: Authorization: Bearer <token>");
    else res.status(401).type("html").send(noAccessPage);
  };

  // a browser's cross-site request carries a foreign Origin, or (old browsers) the cookie and
  // none: both refused. A bearer token cannot be sent cross-site without our consent (CORS),
  // so scripts such as curl may omit Origin.
  const originCheck: RequestHandler = (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const origin = req.headers.origin;
    if (origin === undefined ? res.locals["auth"] === "bearer" : guard.originAllowed(origin)) return next();
    fail(res, 403, "forbidden", origin === undefined ? "a request that changes something needs an Origin header" : `requests from ${origin} are not allowed`);
  };

  const perClient = new BucketMap(50, 200);
  const rateLimit: RequestHandler = (req, res, next) => {
    if (perClient.take(req.socket.remoteAddress ?? "?")) return next();
    fail(res, 429, "limit", "too many requests; slow down");
  };

  app.use(hostCheck, headers, tokenSwap);
  app.get("/api/health", (_req, res) => {
    res.json({ ok: true, version: d.version, protocol: PROTOCOL_VERSION });
  });
  // before the token: the join page (and the app's files it needs), and joining a class
  const publicWeb = webApp(d.webDir);
  app.use((req, res, next) => {
    const open = req.method === "GET" && (req.path === "/join" || req.path.startsWith("/join/") || req.path.startsWith("/assets/"));
    if (!open) return next();
    publicWeb[0]!(req, res, () => publicWeb[1]!(req, res, next));
  });
  const joins = new BucketMap(2, 60);
  app.post(
    "/api/class/join",
    (req, res, next) => {
      res.setHeader("Cache-Control", "no-store");
      if (!guard.originAllowed(req.headers.origin)) return fail(res, 403, "forbidden", "joining a class needs the Origin of this server's page");
      if (!joins.take(clientAddress(req.socket.remoteAddress))) return fail(res, 429, "limit", "too many joins from this address; slow down");
      next();
    },
    express.json({ limit: 4096 }),
    joinRoute(d.classes),
  );
  app.use(authenticate, originCheck);
  // browsers' error reports: their own size limit and rate, before the API's body parser
  // a student may report their browser's errors, not read everyone's
  app.get("/api/client-errors", (_req, res, next) => {
    if ((res.locals["role"] as { kind?: string } | undefined)?.kind === "student")
      return fail(res, 404, "not_found", "there is no such API path (see docs/api.md)");
    next();
  });
  app.use("/api/client-errors", clientErrorsRouter({ log: d.log }));
  app.use(
    "/api",
    (_req, res, next) => {
      res.setHeader("Cache-Control", "no-store");
      next();
    },
    rateLimit,
    express.json({
      limit: LIMITS.maxMessageBytes,
      // a whole lab document (PUT) has the lab file's limit: refused before it is parsed
      verify: (req, _res, buf) => {
        if (req.method === "PUT" && buf.length > LIMITS.maxLabText) {
          throw Object.assign(new Error("lab document too large"), { status: 413, type: "entity.too.large", limit: LIMITS.maxLabText, length: buf.length });
        }
      },
    }),
    // text bodies are lab files: their own, smaller limit (checker.ts says the same of documents)
    express.text({ type: ["application/yaml", "application/x-yaml", "text/yaml", "text/plain"], limit: LIMITS.maxLabText }),
    restRouter(d),
    classesRouter(d.classes),
    (_req, res) => fail(res, 404, "not_found", "there is no such API path (see docs/api.md)"),
  );
  app.use(webApp(d.webDir));

  const errors: ErrorRequestHandler = (err, _req, res, _next) => {
    const e = err as { type?: string; status?: number; message?: string; limit?: number; length?: number };
    if (e.type === "entity.too.large") {
      const max = e.limit ?? LIMITS.maxMessageBytes;
      const size = typeof e.length === "number" && e.length > 0 ? `is ${e.length.toLocaleString("en-US")} bytes; ` : "";
      return fail(
        res,
        413,
        "limit",
        `the request body ${size}the server takes at most ${max.toLocaleString("en-US")} bytes (${Math.round(max / 1024)} KiB)${max === LIMITS.maxLabText ? " for a lab" : ""}`,
      );
    }
    if (e.type === "entity.parse.failed") return fail(res, 400, "invalid", `the request body is not valid JSON: ${e.message}`);
    if (typeof e.status === "number" && e.status < 500 && e.type) return fail(res, e.status, "invalid", e.message ?? "bad request");
    const info = toErrorInfo(err, d.log);
    res.status(statusOf(err, info)).json({ error: info });
  };
  app.use(errors);
  return app;
}
