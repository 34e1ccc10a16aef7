// Who may talk to the server: the access token (bearer header or cookie, compared in constant
// time), the Origin of anything that changes state or opens a websocket, and the Host header
// (against DNS rebinding).
//
// Failed authentication is counted per address (AuthFailures): an address that keeps showing
// wrong tokens is refused for a while without its tokens being looked at, so the token cannot
// be guessed at speed. Requests that show no token at all are not failures (a browser opening
// the page before it has the cookie), and a right token never counts.
//
// Knows: the rules and the cookie. Leaves to others: where the rules are applied (http.ts for
// express, sockets.ts for socket.io) and which names are allowed (config.ts).

import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { AllowList } from "./config";

export type AuthVia = "bearer" | "cookie";

/** Wrong tokens an address may show in a burst, and how fast that allowance comes back. */
export const AUTH_FAILURES = { burst: 10, perMinute: 10 } as const;

/**
 * Failed authentications per address, as a leaky bucket: each failure adds one, the level
 * drains at `perMinute`; at `burst` the address waits until the level is below it again. The
 * same wrong token shown again is not another guess (a browser with the cookie of the
 * server's last run sends it with every request): only different wrong tokens count.
 */
export class AuthFailures {
  private levels = new Map<string, { level: number; at: number }>();
  private seen = new Map<string, Set<string>>();

  constructor(
    private readonly burst: number = AUTH_FAILURES.burst,
    private readonly perMinute: number = AUTH_FAILURES.perMinute,
    private readonly now: () => number = Date.now,
  ) {}

  private current(address: string): number {
    const e = this.levels.get(address);
    if (!e) return 0;
    const level = Math.max(0, e.level - ((this.now() - e.at) / 60_000) * this.perMinute);
    if (level === 0) {
      this.levels.delete(address);
      this.seen.delete(address);
    }
    return level;
  }

  /** Seconds the address must wait before its tokens are looked at again; 0 when it need not. */
  retryAfter(address: string): number {
    // after `burst` failures, until the level has drained enough for one more
    const over = this.current(address) - (this.burst - 1);
    return over > 0 ? Math.max(1, Math.ceil((over / this.perMinute) * 60)) : 0;
  }

  /** `given`: the wrong token shown (only its digest is kept). */
  failed(address: string, given: string): void {
    if (this.levels.size > 10_000) for (const a of [...this.levels.keys()]) this.current(a); // forget the drained
    const digest = createHash("sha256").update(given).digest("base64url").slice(0, 16);
    let seen = this.seen.get(address);
    if (!seen) this.seen.set(address, (seen = new Set()));
    if (seen.has(digest)) return;
    if (seen.size >= 1000) seen.clear();
    seen.add(digest);
    this.levels.set(address, { level: this.current(address) + 1, at: this.now() });
  }
}

/** The address of a client as one key: "::ffff:127.0.0.1" and "127.0.0.1" are the same. */
export function clientAddress(address: string | undefined): string {
  return (address ?? "?").replace(/^::ffff:/, "");
}

export function tooManyFailures(seconds: number): string {
  return `too many failed attempts to authenticate from this address: try again in ${seconds} s`;
}

export class Guard {
  readonly cookieName: string;
  /** wrong tokens per address (http.ts and sockets.ts count them and refuse while too many) */
  readonly failures: AuthFailures;

  constructor(
    private readonly token: string,
    readonly allowed: AllowList,
    port: number,
    failures: AuthFailures = new AuthFailures(),
  ) {
    this.failures = failures;
    // cookies ignore ports: two servers on one machine must not overwrite each other's
    this.cookieName = `topolab-${port}`;
  }

  tokenMatches(given: string | undefined): boolean {
    if (typeof given !== "string" || given.length === 0 || given.length > 1024) return false;
    const digest = (s: string) => createHash("sha256").update(s).digest();
    return timingSafeEqual(digest(given), digest(this.token));
  }

  cookieToken(headers: IncomingHttpHeaders): string | undefined {
    return parseCookies(headers.cookie).get(this.cookieName);
  }

  /** The token the request shows (bearer, else this server's cookie), or undefined when it shows none. */
  shownToken(headers: IncomingHttpHeaders): string | undefined {
    const auth = headers.authorization;
    if (auth !== undefined) return auth.startsWith("Bearer ") ? auth.slice(7).trim() : auth;
    return this.cookieToken(headers);
  }

  /** How the request proves it has the token, or null when it does not. */
  authenticate(headers: IncomingHttpHeaders): AuthVia | null {
    const auth = headers.authorization;
    if (auth?.startsWith("Bearer ")) return this.tokenMatches(auth.slice(7).trim()) ? "bearer" : null;
    return this.tokenMatches(this.cookieToken(headers)) ? "cookie" : null;
  }

  hostAllowed(host: string | undefined): boolean {
    return typeof host === "string" && this.allowed.hosts.has(host.toLowerCase());
  }

  /** An exact match; a missing Origin and "null" are not allowed. */
  originAllowed(origin: string | undefined): boolean {
    return typeof origin === "string" && this.allowed.origins.has(origin.toLowerCase());
  }

  /** Set-Cookie for a browser that showed the token once in the address. */
  cookie(): string {
    return `${this.cookieName}=${this.token}; Path=/; HttpOnly; SameSite=Strict`;
  }
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}
