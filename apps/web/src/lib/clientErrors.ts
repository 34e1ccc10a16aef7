// Browser errors sent to the server (POST /api/client-errors), so that whoever runs it sees a
// crash in a student's page: what a panel's error boundary caught, uncaught errors and
// unhandled promise rejections, each with the lab and the page. Sends at most a few per
// minute, and the same message once; a report that cannot be sent is dropped (never retried
// in a loop, never itself reported).
//
// Knows: the report's shape and throttling. Leaves to others: catching (ErrorBoundary, the
// window listeners installed by main.tsx), the server's handling (clienterrors.ts).

export type ClientErrorKind = "boundary" | "error" | "rejection";

export interface ClientErrorReport {
  kind: ClientErrorKind;
  message: string;
  stack?: string;
  panel?: string;
  lab?: string;
  page: string;
  userAgent?: string;
}

const MAX_PER_MINUTE = 10;

/** The lab a page path shows, if it is a lab's page. */
export function labOfPath(path: string): string | undefined {
  const m = /^\/labs\/([^/]+)\/?$/.exec(path);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return m[1];
  }
}

/** A report from anything thrown, cut to the server's limits. */
export function toReport(kind: ClientErrorKind, error: unknown, where: { panel?: string; path: string; userAgent?: string }): ClientErrorReport {
  const e = error as { message?: unknown; stack?: unknown; name?: unknown } | null;
  let message = typeof e?.message === "string" && e.message ? e.message : String(error);
  if (typeof e?.name === "string" && e.name && e.name !== "Error" && !message.startsWith(e.name)) message = `${e.name}: ${message}`;
  const lab = labOfPath(where.path);
  return {
    kind,
    message: (message || "unknown error").slice(0, 2000),
    ...(typeof e?.stack === "string" ? { stack: e.stack.slice(0, 8000) } : {}),
    ...(where.panel ? { panel: where.panel.slice(0, 60) } : {}),
    ...(lab ? { lab: lab.slice(0, 100) } : {}),
    page: where.path.slice(0, 500),
    ...(where.userAgent ? { userAgent: where.userAgent.slice(0, 300) } : {}),
  };
}

/** Lets through at most `max` reports a minute, each message once. */
export class ReportThrottle {
  private sent: number[] = [];
  private seen = new Set<string>();
  constructor(private readonly max = MAX_PER_MINUTE) {}
  allow(r: ClientErrorReport, now = Date.now()): boolean {
    const key = `${r.kind}|${r.panel ?? ""}|${r.message}`;
    if (this.seen.has(key)) return false;
    this.sent = this.sent.filter((t) => now - t < 60_000);
    if (this.sent.length >= this.max) return false;
    this.sent.push(now);
    this.seen.add(key);
    return true;
  }
}

const throttle = new ReportThrottle();

export function reportClientError(kind: ClientErrorKind, error: unknown, panel?: string): void {
  const report = toReport(kind, error, { ...(panel ? { panel } : {}), path: location.pathname, userAgent: navigator.userAgent });
  if (!throttle.allow(report)) return;
  void fetch("/api/client-errors", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(report),
    credentials: "same-origin",
    keepalive: true,
  }).catch(() => undefined);
}

/** Reports uncaught errors and unhandled rejections of the page (once, at start). */
export function reportWindowErrors(): void {
  addEventListener("error", (e: ErrorEvent) => {
    // a browser's note that layout took two passes, not an error of the page
    if (!e.error && e.message.startsWith("ResizeObserver loop")) return;
    reportClientError("error", e.error ?? e.message);
  });
  addEventListener("unhandledrejection", (e: PromiseRejectionEvent) => reportClientError("rejection", e.reason));
}
