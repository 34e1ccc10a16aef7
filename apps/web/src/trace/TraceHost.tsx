// Trace on a lab's page: the toolbar's "Trace" (two hosts or routers selected, shift-click or a
// box), the node menu's "Trace to…" (then a click on the second node), and what a trace draws:
// the path along the links (highlighted, in the packet's direction, each link with its hop's
// number), the link it should have crossed next, the node where it stopped with the reason, and
// a small panel listing the hops. Esc or the panel's close button clears it.
//
// Knows: when tracing is offered and how the answer is shown. The canvas is never re-rendered
// for a trace: one stylesheet (draw.ts) and badges in the viewport's portal, each following only
// its own two nodes. Leaves to others: the request (traceStore), the marks (draw.ts), the canvas.

import { useEffect, useMemo } from "react";
import { useInternalNode, ViewportPortal, type InternalNode } from "@xyflow/react";
import type { Trace } from "@topolab/protocol";
import { useStore } from "../lib/emitter";
import { registerContextMenuItems } from "../lab/contextMenu";
import { hasShell } from "../lab/kinds";
import type { LabStore } from "../lab/labStore";
import { traceMarks, traceStylesheet, type LinkMark } from "./draw";
import { traceStoreFor, type TraceStore } from "./traceStore";
import "./trace.css";

const traceable = (store: LabStore, node: string) => {
  const n = store.state.get().doc?.nodes.find((x) => x.name === node);
  return !!n && hasShell(n) && n.state !== "stopped";
};

/** The toolbar's button: enabled with exactly two hosts or routers selected while the lab runs. */
export function TraceButton({ store, selection }: { store: LabStore; selection: { nodes: string[] } }) {
  const trace = useMemo(() => traceStoreFor(store.name), [store]);
  const running = useStore(store.state, (s) => s.running);
  const busy = useStore(trace.state, (s) => s.busy !== null);
  const pair = selection.nodes.length === 2 && selection.nodes.every((n) => traceable(store, n)) ? (selection.nodes as [string, string]) : null;
  const title = !running
    ? "Trace needs the lab running"
    : pair
      ? `The path a packet takes from ${pair[0]} to ${pair[1]} (traceroute)`
      : "Select two hosts or routers (shift-click, or drag a box with shift), or right-click a host: Trace to…";
  return (
    <button
      className="button"
      data-testid="trace-button"
      disabled={!running || !pair || busy}
      title={title}
      onClick={() => pair && void trace.trace(pair[0], pair[1])}
    >
      {busy ? "Tracing…" : pair ? `Trace ${pair[0]} → ${pair[1]}` : "Trace"}
    </button>
  );
}

export function TraceHost({ store }: { store: LabStore }) {
  const trace = useMemo(() => traceStoreFor(store.name), [store]);
  const running = useStore(store.state, (s) => s.running);
  const doc = useStore(store.state, (s) => s.doc);
  const { picking, busy, result } = useStore(trace.state);

  useEffect(() => {
    trace.state.update((s) => ({ ...s, running }));
  }, [trace, running]);
  // leaving the page leaves nothing drawn for the next visit
  useEffect(() => () => trace.clear(), [trace]);
  // a stopped lab has no path to show
  useEffect(() => {
    if (!running) trace.clear();
  }, [trace, running]);
  useEffect(
    () =>
      registerContextMenuItems(
        "trace",
        (target, ctx) => {
          if (target.kind !== "node" || !trace.state.get().running) return [];
          const node = ctx.lab.nodes.find((n) => n.name === target.node);
          if (!node || !hasShell(node) || node.state === "stopped") return [];
          return [{ id: "trace-to", label: "Trace to…", hint: "then click a node", run: () => trace.startPick(node.name) }];
        },
        47,
      ),
    [trace],
  );
  // Esc: cancel "Trace to…", or clear the drawn trace
  useEffect(() => {
    if (!picking && !result) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      if (trace.state.get().picking) trace.cancelPick();
      else trace.clear();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [trace, picking, result]);
  // "Trace to…": the next click on a host or router is the target (before the canvas selects it)
  useEffect(() => {
    if (!picking) return;
    const onClick = (e: MouseEvent) => {
      const el = (e.target as HTMLElement | null)?.closest?.(".react-flow__node");
      const id = el?.getAttribute("data-id");
      if (!id) return;
      e.stopPropagation();
      e.preventDefault();
      if (id === picking || !traceable(store, id)) return;
      void trace.trace(picking, id);
    };
    document.addEventListener("click", onClick, true);
    return () => document.removeEventListener("click", onClick, true);
  }, [trace, store, picking]);

  const marks = useMemo(() => (result && doc ? traceMarks(result, doc) : null), [result, doc]);
  const css = useMemo(() => traceStylesheet(marks), [marks]);

  return (
    <>
      <style data-testid="trace-style">{css}</style>
      {marks && (
        <ViewportPortal>
          {marks.links.map((l) => (
            <LinkBadge key={`${l.link}-${l.hop}`} mark={l} />
          ))}
          {marks.stop && <StopMark node={marks.stop.node} reason={marks.stop.reason} />}
        </ViewportPortal>
      )}
      {picking && (
        <div className="trace-pick" data-testid="trace-pick" role="status">
          Trace from <b>{picking}</b>: click the host or router to trace to (Esc cancels)
        </div>
      )}
      {(result || busy) && <TracePanel trace={trace} result={result} busy={busy} />}
    </>
  );
}

function centre(n: InternalNode) {
  const w = n.measured.width ?? 140;
  const h = n.measured.height ?? 48;
  return { x: n.internals.positionAbsolute.x + w / 2, y: n.internals.positionAbsolute.y + h / 2, w, h };
}

/** The hop's number in the middle of a link; follows its two nodes only. */
function LinkBadge({ mark }: { mark: LinkMark }) {
  const s = useInternalNode(mark.source);
  const t = useInternalNode(mark.target);
  if (!s || !t) return null;
  const a = centre(s);
  const b = centre(t);
  return (
    <div
      className={`trace-badge${mark.expected ? " expected" : ""}`}
      data-testid={`trace-badge-${mark.link}`}
      data-hop={mark.hop}
      title={mark.title}
      style={{ transform: `translate(-50%, -50%) translate(${(a.x + b.x) / 2}px, ${(a.y + b.y) / 2}px)` }}
    >
      {mark.expected ? "?" : mark.hop}
    </div>
  );
}

/** Under the node where the trace stopped: why. */
function StopMark({ node, reason }: { node: string; reason: string }) {
  const n = useInternalNode(node);
  if (!n) return null;
  const c = centre(n);
  return (
    <div
      className="trace-stop"
      data-testid={`trace-stop-${node}`}
      title={reason}
      style={{ transform: `translate(-50%, 0) translate(${c.x}px, ${c.y + c.h / 2 + 8}px)` }}
    >
      ✕ stopped here: {reason}
    </div>
  );
}

/** The hops to list: those that answered, and the silent ones after the last answer as one row ("3–8 no answer"). */
function shownHops(t: Trace): { hop: Trace["hops"][number]; until?: number }[] {
  let last = -1;
  t.hops.forEach((h, i) => {
    if (h.address !== null) last = i;
  });
  const out: { hop: Trace["hops"][number]; until?: number }[] = t.hops.slice(0, last + 1).map((hop) => ({ hop }));
  const rest = t.hops.slice(last + 1);
  if (rest.length) out.push({ hop: rest[0]!, ...(rest.length > 1 ? { until: rest[rest.length - 1]!.ttl } : {}) });
  return out;
}

function TracePanel({ trace, result, busy }: { trace: TraceStore; result: Trace | null; busy: { from: string; to: string } | null }) {
  const again = result && !busy ? () => void trace.trace(result.from, result.to) : undefined;
  const back = result && !busy && result.targetNode ? () => void trace.trace(result.targetNode!, result.from) : undefined;
  return (
    <div className="trace-panel" data-testid="trace-panel" role="dialog" aria-label="Trace">
      <div className="trace-head">
        <strong data-testid="trace-summary">
          {busy
            ? `Tracing ${busy.from} → ${busy.to}…`
            : result
              ? `${result.from} → ${result.to}${result.to !== result.target ? ` (${result.target})` : ""}: ${
                  result.reached ? `reached in ${result.hops.length} hop${result.hops.length === 1 ? "" : "s"}` : `stopped at ${result.stop?.at ?? "?"}`
                }`
              : ""}
        </strong>
        <span className="trace-actions">
          {again && (
            <button className="button" data-testid="trace-again" onClick={again} title="Trace the same again">
              Again
            </button>
          )}
          {back && (
            <button className="button" data-testid="trace-back" onClick={back} title="Trace the way back">
              ⇄ Back
            </button>
          )}
          <button className="icon-button" data-testid="trace-close" onClick={() => trace.clear()} title="Clear the trace (Esc)" aria-label="Clear the trace">
            ✕
          </button>
        </span>
      </div>
      {result && (
        <>
          <table className="trace-hops" data-testid="trace-hops">
            <tbody>
              {shownHops(result).map(({ hop: h, until }) => {
                const seg = result.segments.find((s) => s.hop === h.ttl && !s.expected);
                return (
                  <tr key={h.ttl} data-testid={`trace-hop-${h.ttl}`} className={h.address ? "" : "silent"}>
                    <td className="num">{until !== undefined ? `${h.ttl}–${until}` : h.ttl}</td>
                    <td>{h.address ? (h.node ? `${h.node}:${h.interface}` : "(outside the lab)") : "no answer"}</td>
                    <td>{h.address ?? "* * *"}</td>
                    <td>{h.rttMs !== null ? `${h.rttMs < 10 ? h.rttMs.toFixed(2) : h.rttMs.toFixed(0)} ms` : ""}</td>
                    <td className="how" title={seg?.detail}>
                      {h.mark ? `${h.mark} ` : ""}
                      {seg ? `${seg.nodes.slice(1, -1).join(" → ") || "direct"}${seg.l2 === "graph" ? " (graph)" : ""}` : ""}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {result.hops.length === 0 && <p className="muted">no probe left {result.from}</p>}
          {result.stop && (
            <p className="trace-reason" data-testid="trace-reason" data-code={result.stop.code}>
              <b>Stopped at {result.stop.at}:</b> {result.stop.reason}
            </p>
          )}
          <details>
            <summary>traceroute's output</summary>
            <pre data-testid="trace-output">{`$ ${result.command}\n${result.output}`}</pre>
          </details>
        </>
      )}
    </div>
  );
}
