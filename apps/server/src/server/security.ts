// Who may talk to the server: the access token (bearer header or cookie, compared in constant
// time), the Origin of anything that changes state or opens a websocket, and the Host header
// (against DNS rebinding).
//
// Knows: the rules and the cookie. Leaves to others: where the rules are applied (http.ts for
// express, sockets.ts for socket.io) and which names are allowed (config.ts).

import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { AllowList } from "./config";

export type AuthVia = "bearer" | "cookie";

export class Guard {
  readonly cookieName: string;

  constructor(
    private readonly token: string,
    readonly allowed: AllowList,
    port: number,
  ) {
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
