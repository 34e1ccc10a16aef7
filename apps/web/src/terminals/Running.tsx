// The lab's running shells, whoever opened them, in a panel over the dock: per node, who opened
// each (the browser's name and address) and when, who holds it now or since when none does
// (one no browser holds ends after the server's reattach window), and a button to join it.
// A shell left behind by a closed tab is found and taken over here, from any browser.
//
// Knows: the list's layout and its refresh. Leaves to others: the terminals (manager.ts).

import { useCallback, useEffect, useState } from "react";
import type { TerminalInfo } from "@topolab/protocol";
import { useStore } from "../lib/emitter";
import { reasonOf } from "../lib/toasts";
import { terminals } from "./manager";

const REFRESH_MS = 3000;

const time = (iso: string | undefined) => (iso ? new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }) : "?");
const who = (c: TerminalInfo["openedBy"]) => (c ? `${c.name} (${c.address})` : "an earlier server");

export function RunningShells({ onClose }: { onClose: () => void }) {
  const [list, setList] = useState<TerminalInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const tabs = useStore(terminals.tabs);

  const load = useCallback(() => {
    terminals.running().then(
      (l) => {
        setList(l);
        setError(null);
      },
      (e: unknown) => setError(reasonOf(e)),
    );
  }, []);
  useEffect(() => {
    load();
    const timer = setInterval(load, REFRESH_MS);
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => {
      clearInterval(timer);
      window.removeEventListener("keydown", onKey);
    };
  }, [load, onClose]);

  const byNode = new Map<string, TerminalInfo[]>();
  for (const t of list ?? []) byNode.set(t.node, [...(byNode.get(t.node) ?? []), t]);
  const here = (t: TerminalInfo) => tabs.some((x) => x.id === t.id && x.state === "live");

  return (
    <div className="running-shells" role="dialog" aria-label="Running shells of this lab" data-testid="running-shells">
      <div className="running-head">
        <strong>Running shells</strong>
        <span className="muted small">of every browser on this lab</span>
        <span className="dock-spacer" />
        <button className="icon-button small" aria-label="Refresh the list" title="Refresh" onClick={load}>
          ↻
        </button>
        <button className="icon-button small" aria-label="Close the list" data-testid="running-close" onClick={onClose}>
          ×
        </button>
      </div>
      {error && <p className="field-error">Could not list the shells: {error}</p>}
      {list === null && !error ? (
        <p className="muted">loading…</p>
      ) : list && !list.length ? (
        <p className="muted" data-testid="running-empty">
          No shell is running in this lab.
        </p>
      ) : (
        [...byNode].map(([node, items]) => (
          <section key={node} data-testid={`running-node-${node}`}>
            <h3>{node}</h3>
            <ul>
              {items.map((t) => (
                <li key={t.id} data-testid={`running-${node}`} data-id={t.id}>
                  <span>
                    opened by {who(t.openedBy)} at {time(t.createdAt)}
                    <br />
                    <span className="muted small">
                      {here(t)
                        ? "open in this tab"
                        : t.attachedBy
                          ? `held by ${who(t.attachedBy)}`
                          : `no browser holds it since ${time(t.detachedAt)}: it ends soon unless one joins`}
                    </span>
                  </span>
                  {here(t) ? (
                    <button
                      className="button small"
                      onClick={() => {
                        terminals.active.set(t.id);
                        onClose();
                      }}
                    >
                      Show
                    </button>
                  ) : (
                    <button
                      className="button small primary"
                      data-testid={`running-join-${node}`}
                      title={t.attachedBy ? `takes it over from ${who(t.attachedBy)}` : "takes it over, with its recent output"}
                      onClick={() => {
                        void terminals.join(t);
                        onClose();
                      }}
                    >
                      Join
                    </button>
                  )}
                </li>
              ))}
            </ul>
          </section>
        ))
      )}
    </div>
  );
}
