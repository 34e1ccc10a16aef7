// The dock at the bottom of a lab: terminal tabs (title = node name, a mark when the shell has
// ended and why), the command log as another tab, and a splitter to resize it. The xterm
// screens and the command log are lazy chunks, loaded the first time they are shown.
//
// Knows: layout and tabs. Leaves to others: terminals (manager.ts), the log (CommandLog).

import { lazy, Suspense, useCallback, useEffect, useRef, useState } from "react";
import { useStore } from "../lib/emitter";
import type { LabStore } from "../lab/labStore";
import { terminals } from "./manager";
import { RunningShells } from "./Running";

const TerminalView = lazy(() => import("./TerminalView"));
const CommandLog = lazy(() => import("../lab/CommandLog"));

const HEIGHT_KEY = "topolab-dock-height";
const LOG_TAB = "log";

export function Dock({ store, open, setOpen }: { store: LabStore; open: boolean; setOpen: (v: boolean) => void }) {
  const tabs = useStore(terminals.tabs);
  const active = useStore(terminals.active);
  const [height, setHeight] = useState(() => Number(localStorage.getItem(HEIGHT_KEY)) || 300);
  const [showLog, setShowLog] = useState(false);
  const [showRunning, setShowRunning] = useState(false);
  const closeRunning = useCallback(() => setShowRunning(false), []);
  const logCount = useStore(store.state, (s) => s.log.length);
  const dragging = useRef<{ y: number; h: number } | null>(null);

  // a new terminal opens the dock on it
  const count = tabs.length;
  useEffect(() => {
    if (count) setOpen(true);
  }, [count, setOpen]);
  useEffect(() => {
    if (active && active !== LOG_TAB) setShowLog(false);
  }, [active]);

  const onPointerDown = useCallback(
    (e: React.PointerEvent) => {
      dragging.current = { y: e.clientY, h: height };
      (e.target as HTMLElement).setPointerCapture(e.pointerId);
    },
    [height],
  );
  const onPointerMove = useCallback((e: React.PointerEvent) => {
    if (!dragging.current) return;
    const h = Math.max(120, Math.min(window.innerHeight - 160, dragging.current.h + dragging.current.y - e.clientY));
    setHeight(h);
  }, []);
  const onPointerUp = useCallback(() => {
    dragging.current = null;
    localStorage.setItem(HEIGHT_KEY, String(height));
  }, [height]);

  const current = showLog ? LOG_TAB : active;
  const activeTab = tabs.find((t) => t.id === current);

  return (
    <section className={`dock ${open ? "open" : "closed"}`} style={open ? { height } : undefined} data-testid="dock">
      {open && (
        <div
          className="dock-splitter"
          role="separator"
          aria-orientation="horizontal"
          aria-label="Resize the terminal dock"
          data-testid="dock-splitter"
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
        />
      )}
      <div className="dock-tabs" role="tablist">
        {tabs.map((t) => (
          <div
            key={t.id}
            role="tab"
            aria-selected={current === t.id}
            className={`dock-tab ${current === t.id ? "active" : ""} ${t.state}`}
            data-testid={`terminal-tab-${t.node}`}
            data-state={t.state}
            title={t.reason ?? `shell on ${t.node}`}
            onClick={() => {
              setShowLog(false);
              terminals.active.set(t.id);
              setOpen(true);
            }}
          >
            <span className={`dot ${t.state === "live" ? "up" : t.state === "exited" ? "error" : "pending"}`} />
            <span className="dock-tab-title">{t.node}</span>
            {t.state === "exited" && <span className="dock-tab-note">ended</span>}
            {t.state === "watching" && <span className="dock-tab-note">read-only</span>}
            {t.takenOver && <span className="dock-tab-note">taken over</span>}
            {t.state === "live" && !!t.watchedBy?.length && (
              <span className="dock-tab-note" data-testid={`terminal-watched-${t.node}`} title={`watched read-only by ${t.watchedBy.join(", ")}`}>
                watched
              </span>
            )}
            <button
              className="icon-button small"
              aria-label={`Close the terminal on ${t.node}`}
              data-testid={`terminal-close-${t.node}`}
              onClick={(e) => {
                e.stopPropagation();
                void terminals.close(t.id);
              }}
            >
              ×
            </button>
          </div>
        ))}
        <div
          role="tab"
          aria-selected={showLog}
          className={`dock-tab ${showLog ? "active" : ""}`}
          data-testid="dock-tab-log"
          onClick={() => {
            setShowLog(true);
            setOpen(true);
          }}
        >
          <span className="dock-tab-title">Commands</span>
          <span className="badge">{logCount}</span>
        </div>
        <div className="dock-spacer" />
        <button
          className="dock-running-button"
          data-testid="dock-running"
          aria-expanded={showRunning}
          title="Every running shell of this lab, yours and other browsers': join one"
          onClick={() => setShowRunning(!showRunning)}
        >
          Running shells
        </button>
        <button
          className="icon-button"
          data-testid="dock-toggle"
          aria-label={open ? "Hide the dock" : "Show the dock"}
          title={open ? "Hide (`)" : "Show (`)"}
          onClick={() => setOpen(!open)}
        >
          {open ? "▾" : "▴"}
        </button>
      </div>
      {showRunning && <RunningShells onClose={closeRunning} />}
      {/* kept mounted while hidden: the screens keep their scrollback */}
      <div className="dock-body" hidden={!open}>
        {activeTab?.state === "exited" && !showLog && (
          <div className="term-ended" data-testid={`terminal-ended-${activeTab.node}`} role="status">
            This terminal has ended: {activeTab.reason}
            <button className="link-button" onClick={() => void terminals.open(activeTab.lab, activeTab.node, { another: true })}>
              open a new one
            </button>
          </div>
        )}
        {activeTab?.state === "detached" && !showLog && (
          <div className="term-ended" role="status">
            {activeTab.reason}
            <button className="link-button" onClick={() => void terminals.attach(activeTab.id)}>
              take it back
            </button>
          </div>
        )}
        {activeTab?.state === "watching" && !showLog && (
          <div className="term-ended term-watching" data-testid={`terminal-watching-${activeTab.node}`} role="status">
            {terminals.watching ? "Watching this shell read-only: your keys do not reach it." : (activeTab.reason ?? "This shell is read-only here.")}
            {terminals.watching && (
              <button
                className="button small primary"
                data-testid={`terminal-takeover-${activeTab.node}`}
                onClick={() => void terminals.takeOver(activeTab.id)}
              >
                Take over
              </button>
            )}
          </div>
        )}
        {activeTab?.state === "live" && activeTab.takenOver && !showLog && (
          <div className="term-ended term-watching" data-testid={`terminal-taken-${activeTab.node}`} role="status">
            You have taken this shell over: your keys reach it, its owner watches.
            <button className="button small" data-testid={`terminal-giveback-${activeTab.node}`} onClick={() => void terminals.giveBack(activeTab.id)}>
              Give back
            </button>
          </div>
        )}
        <Suspense fallback={<div className="term-loading">loading terminal…</div>}>
          {tabs.map((t) => (
            <div key={t.id} className="term-pane" hidden={showLog || t.id !== active}>
              <TerminalView tab={t} visible={!showLog && t.id === active && open} />
            </div>
          ))}
        </Suspense>
        {showLog && (
          <Suspense fallback={<div className="term-loading">loading…</div>}>
            <CommandLog store={store} />
          </Suspense>
        )}
        {!tabs.length && !showLog && (
          <div className="dock-empty">
            {terminals.watching
              ? "No shell is open in this lab yet: the student's shells appear here as they open them."
              : "Double-click a host or router (or select it and press T) to open a root shell in it."}
          </div>
        )}
      </div>
    </section>
  );
}
