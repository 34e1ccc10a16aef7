// What stays on every page: the connection banner (lost: reconnecting by itself; refused: the
// access token is needed) and the toasts.

import { useEffect, useState } from "react";
import { connection } from "../lib/connection";
import { useStore, Store } from "../lib/emitter";
import { dismiss, toasts } from "../lib/toasts";

const connectionState = new Store(connection().state);
connection().changed.on((s) => connectionState.set(s));

export function ConnectionBanner() {
  const s = useStore(connectionState);
  const [, tick] = useState(0);
  useEffect(() => {
    if (s.kind !== "lost") return;
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [s.kind]);
  if (s.kind === "lost") {
    const secs = Math.round((Date.now() - s.since) / 1000);
    return (
      <div className="banner banner-lost" role="alert" data-testid="banner-connection">
        Connection to the server lost {secs > 1 ? `${secs} s ago` : ""}: reconnecting… Your terminals are kept for a few minutes.
      </div>
    );
  }
  if (s.kind === "refused") {
    return (
      <div className="banner banner-refused" role="alert" data-testid="banner-refused">
        The server refused this page: {s.reason}
      </div>
    );
  }
  return null;
}

export function Toasts() {
  const list = useStore(toasts);
  return (
    <div className="toasts" aria-live="polite">
      {list.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind}`} data-testid="toast" data-kind={t.kind} role={t.kind === "error" ? "alert" : "status"}>
          <div className="toast-title">{t.title}</div>
          {t.detail && <div className="toast-detail">{t.detail}</div>}
          <button className="icon-button small" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
