// The command log (a lazy chunk): every kernel operation of the lab as the plain command it
// amounts to (`ip link add …`, `ovs-vsctl …`), with its success or the kernel's error, newest
// at the bottom; and "Export as script", the lab's rebuild script from the server.
//
// Knows: rendering entries. Leaves to others: where they come from (labStore, lab:log).

import { useEffect, useRef, useState } from "react";
import { useStore } from "../lib/emitter";
import { ErrorBoundary } from "../ui/ErrorBoundary";
import type { LabStore } from "./labStore";

/** The log inside its own error boundary: a failure here leaves the dock and the page working. */
export default function CommandLogPanel({ store }: { store: LabStore }) {
  return (
    <ErrorBoundary panel="command log" className="command-log">
      <CommandLog store={store} />
    </ErrorBoundary>
  );
}

function CommandLog({ store }: { store: LabStore }) {
  const log = useStore(store.state, (s) => s.log);
  const [errorsOnly, setErrorsOnly] = useState(false);
  const end = useRef<HTMLDivElement>(null);
  const shown = errorsOnly ? log.filter((e) => !e.ok) : log;
  // a block body: Chromium's scrollIntoView() returns a Promise, which React would call as
  // the effect's cleanup (and throw); effects.test.ts keeps this mistake out of the app
  useEffect(() => {
    end.current?.scrollIntoView({ block: "end" });
  }, [shown.length]);
  const lab = encodeURIComponent(store.name);
  return (
    <div className="command-log" data-testid="command-log">
      <div className="command-log-bar">
        <span>{log.length} kernel commands (this server keeps the last 200 of each lab)</span>
        <label>
          <input type="checkbox" checked={errorsOnly} onChange={(e) => setErrorsOnly(e.target.checked)} /> errors only
        </label>
        <a className="button small" href={`/api/labs/${lab}/export?format=sh`} download={`${store.name}.sh`} data-testid="export-script">
          Export as script
        </a>
      </div>
      <ol className="command-log-list">
        {shown.map((e, i) => (
          <li key={i} className={e.ok ? "ok" : "failed"} data-testid="log-entry" data-ok={e.ok}>
            <span className="log-time">{e.time.slice(11, 19)}</span>
            <span className="log-mark" aria-label={e.ok ? "succeeded" : "failed"}>
              {e.ok ? "✓" : "✗"}
            </span>
            <code className="log-command">{e.command}</code>
            {e.error && <div className="log-error">{e.error}</div>}
          </li>
        ))}
        {!shown.length && (
          <li className="log-empty">{errorsOnly ? "No errors." : "No kernel commands yet: edits on the canvas appear here as the commands they run."}</li>
        )}
      </ol>
      <div ref={end} />
    </div>
  );
}
