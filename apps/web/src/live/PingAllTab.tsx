// The lab's "Ping all" tab: runs live:pingall, draws the matrix (a cell per pair, answered or
// not), and a click on a cell (or Enter on it) opens that pair's detail: source → target, the
// address, what fping saw over ping all's rounds (echoes, replies, loss, round trips) and its
// raw lines, with "Ping again" (live:ping: a real `ping -c 3 -W 1` in the source's namespace)
// whose output is shown verbatim. Escape or Close shuts the detail and gives the focus back to
// the cell.
//
// Knows: the pair's fields as the protocol carries them (pingall.ts) and how to word them.
// Leaves to others: running the pings (server, engine), the reachability marks on the canvas
// (edges.ts reachStylesheet from the same result), the result's keeping (liveStore).

import { type KeyboardEvent, useEffect, useMemo, useRef, useState } from "react";
import type { PingAll, PingPair } from "@topolab/protocol";
import { connection } from "../lib/connection";
import { useStore } from "../lib/emitter";
import { reasonOf, toast } from "../lib/toasts";
import type { LabStore } from "../lab/labStore";
import type { LiveStore } from "./liveStore";
import { ms, pairSummary } from "./pingSummary";
import "./pingall.css";

type Pair = PingAll["pairs"][number];

/** A matrix cell's key: the pair from one host to another. */
const pairId = (from: string, to: string) => `${from}>${to}`;

function PairDetail({ lab, pair, onClose }: { lab: string; pair: Pair; onClose: () => void }) {
  const [again, setAgain] = useState<PingPair | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    box.current?.focus();
  }, [pair.from, pair.to]);
  const pingAgain = async () => {
    setBusy(true);
    setError(null);
    try {
      setAgain(await connection().request("live:ping", { lab, from: pair.from, to: pair.to }, 30_000));
    } catch (e) {
      setError(reasonOf(e));
    } finally {
      setBusy(false);
    }
  };
  const o = pair.output;
  return (
    <div
      className="ping-detail"
      role="region"
      aria-label={`${pair.from} to ${pair.to}`}
      tabIndex={-1}
      ref={box}
      data-testid="live-cell-detail"
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <div className="ping-detail-head">
        <strong data-testid="live-cell-title">
          {pair.from} → {pair.to}: ping {pair.address} {pair.ok ? "answered" : "got no answer"}
        </strong>
        <button className="button small" onClick={onClose} data-testid="live-cell-close" aria-label="Close the ping's detail">
          Close
        </button>
      </div>
      <dl className="ping-detail-facts">
        <dt>target</dt>
        <dd>
          {pair.to} at {pair.address}
        </dd>
        <dt>ping all saw</dt>
        <dd data-testid="live-cell-summary">{pairSummary(o)}</dd>
      </dl>
      <pre className="ping-lines" data-testid="live-cell-lines" aria-label="fping's lines for this pair">
        {o.lines.length ? o.lines.map((l) => `[round ${l.round}: ${l.command}]\n${l.text}`).join("\n") : "(fping printed nothing about this pair)"}
      </pre>
      <div className="live-actions">
        {/* aria-disabled, not disabled: a disabled button drops the keyboard's focus (Escape would no longer reach the detail) */}
        <button className="button small" onClick={() => void (busy || pingAgain())} aria-disabled={busy} data-testid="live-cell-ping">
          {busy ? "pinging…" : again ? "Ping again (once more)" : "Ping again"}
        </button>
        {again && (
          <span className="small" data-testid="live-cell-ping-stats">
            {again.stats
              ? `${again.stats.received}/${again.stats.sent} received, ${again.stats.lossPercent}% loss${again.stats.rtt ? `, rtt avg ${ms(again.stats.rtt.avg)}` : ""}`
              : `ping could not send (exit ${again.code})`}
          </span>
        )}
      </div>
      {error && (
        <p className="error" role="alert" data-testid="live-cell-ping-error">
          {error}
        </p>
      )}
      {again && (
        <>
          <div className="small muted">
            in {again.from}: <code>{again.argv.slice(again.argv.indexOf("ping")).join(" ")}</code>
          </div>
          <pre className="ping-lines" data-testid="live-cell-ping-output" aria-live="polite">
            {again.output}
          </pre>
        </>
      )}
    </div>
  );
}

export function PingAllTab({ store, live }: { store: LabStore; live: LiveStore }) {
  const result: PingAll | null = useStore(live.state, (s) => s.ping);
  const [busy, setBusy] = useState(false);
  const [cell, setCell] = useState<string | null>(null);
  const table = useRef<HTMLTableElement>(null);
  const run = async () => {
    setBusy(true);
    try {
      live.setPing(await connection().request("live:pingall", { lab: store.name }, 120_000));
    } catch (e) {
      toast("error", "Ping all failed", reasonOf(e));
    } finally {
      setBusy(false);
    }
  };
  const close = () => {
    const was = cell;
    setCell(null);
    if (was) table.current?.querySelector<HTMLButtonElement>(`[data-pair="${CSS.escape(was)}"]`)?.focus();
  };
  // the matrix looks each cell up: once per result, not a search of every pair per cell and render
  const { hosts, byPair } = useMemo(
    () => ({
      hosts: result ? [...new Set(result.pairs.flatMap((p) => [p.from, p.to]))].sort() : [],
      byPair: new Map((result?.pairs ?? []).map((p) => [pairId(p.from, p.to), p])),
    }),
    [result],
  );
  /** the arrow keys move between the cells, past the diagonal (a node does not ping itself) */
  const arrows = (e: KeyboardEvent<HTMLTableElement>) => {
    const step = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[e.key];
    const at = (e.target as HTMLElement).dataset["pair"]?.split(">");
    if (!step || !at) return;
    let [r, c] = [hosts.indexOf(at[0]!), hosts.indexOf(at[1]!)];
    do [r, c] = [r + step[0]!, c + step[1]!];
    while (r === c && r >= 0 && r < hosts.length);
    const next = table.current?.querySelector<HTMLButtonElement>(`[data-pair="${CSS.escape(pairId(hosts[r]!, hosts[c]!))}"]`);
    if (next) {
      e.preventDefault();
      next.focus();
    }
  };
  const shown = cell ? byPair.get(cell) : undefined;
  return (
    <div>
      <div className="live-actions">
        <button className="button small" onClick={() => void run()} disabled={busy} data-testid="live-pingall">
          {busy ? "pinging…" : result ? "Ping all again" : "Ping all"}
        </button>
        {result && (
          <span data-testid="live-pingall-summary" className="small">
            {result.received}/{result.sent} received, {result.dropped}% dropped
          </span>
        )}
      </div>
      {result && (
        <div className="live-scroll">
          <table className="live-matrix" data-testid="live-matrix" ref={table} onKeyDown={arrows}>
            <caption className="small muted">click a cell (or Enter on it; arrows move between cells) for that ping's output</caption>
            <thead>
              <tr>
                <th>from \ to</th>
                {hosts.map((h) => (
                  <th key={h} scope="col">
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {hosts.map((f) => (
                <tr key={f}>
                  <th scope="row">{f}</th>
                  {hosts.map((t) => {
                    const id = pairId(f, t);
                    const p = byPair.get(id);
                    if (!p) return <td key={t} className="self" />;
                    return (
                      <td key={t} className={`${p.ok ? "ok" : "fail"}${cell === id ? " chosen" : ""}`}>
                        <button
                          className="live-cell"
                          data-testid={`live-cell-${f}-${t}`}
                          data-pair={id}
                          onClick={() => setCell(cell === id ? null : id)}
                          title={`${f} → ${t}: ping ${p.address}: ${pairSummary(p.output)}`}
                          aria-label={`${f} to ${t}: ${p.ok ? "answered" : "no answer"}`}
                          aria-expanded={cell === id}
                        >
                          {p.ok ? "✓" : "✗"}
                        </button>
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {shown && <PairDetail key={cell} lab={store.name} pair={shown} onClose={close} />}
      {result && result.unaddressed.length > 0 && <p className="muted">without an IPv4 address: {result.unaddressed.join(", ")}</p>}
    </div>
  );
}
