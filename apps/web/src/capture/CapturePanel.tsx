// The capture panel (loaded lazily, with the decoder): starts a capture on the server, shows its
// packets live in a virtualised list (time, interface, source, destination, protocol, length,
// summary), a display filter, the selected packet's field tree and hex dump with the selected
// field's bytes highlighted; pause, clear, a new capture filter, download as pcapng, stop. While
// it runs, packets are drawn as dots along the edge they crossed (CaptureDots).
//
// Knows: the capture events (protocol.md, "Packet capture"); that the packets live in a Web
// Worker (capture.worker.ts, store.ts) which is handed the server's batches as they come
// (their ArrayBuffers transferred, not copied) and sends back only the rows the list shows;
// drawing at most once per animation frame, and acknowledging batches to the server only once
// the window that took them in is drawn (so a page that cannot keep up is sent a sample).
// Leaves to others: decoding and keeping packets (the worker), the page's connection.
//
// User Timing entries, for bench:capture: marks "topolab-capture:request", ":answer",
// ":first-batch", ":first-window", ":first-draw" on a capture's start, and a measure
// "topolab-capture-draw" per window drawn (the main thread's part).

import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { flushSync } from "react-dom";
import type { CaptureInfo } from "@topolab/protocol";
import type { Field } from "@topolab/capture";
import { connection, RequestFailed } from "../lib/connection";
import { useStore } from "../lib/emitter";
import type { LabStore } from "../lab/labStore";
import { closeCapture, type OpenCapture } from "./captures";
import { CaptureDots, type Dot } from "./CaptureDots";
import { colorOf, hexRows } from "./model";
import type { DetailMessage, FromWorker, ToWorker, WindowMessage } from "./store";
import "./capture.css";

const ROW = 22;
/** Rows drawn above and below the visible ones. */
const OVERSCAN = 5;

const mark = (name: string) => performance.mark(`topolab-capture:${name}`);

/** The ArrayBuffer of a batch, to transfer to the worker (copied only if it is a view into a larger one). */
function ownBuffer(b: ArrayBuffer | Uint8Array): ArrayBuffer {
  if (b instanceof ArrayBuffer) return b;
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer) return b.buffer;
  return b.slice().buffer;
}

export default function CapturePanel({ store, capture }: { store: LabStore; capture: OpenCapture }) {
  const doc = useStore(store.state, (s) => s.doc);
  const [captureFilter, setCaptureFilter] = useState("");
  const [run, setRun] = useState(0);
  const [info, setInfo] = useState<CaptureInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [ended, setEnded] = useState<string | null>(null);
  const [paused, setPaused] = useState(false);
  const [display, setDisplay] = useState("");
  const [selected, setSelected] = useState<number | null>(null);
  const [detail, setDetail] = useState<DetailMessage | null>(null);
  const [field, setField] = useState<Field | null>(null);
  const [win, setWin] = useState<WindowMessage | null>(null);
  const [minimized, setMinimized] = useState(false);
  const worker = useRef<Worker | null>(null);
  const dots = useRef<Dot[]>([]);
  const pausedRef = useRef(false);
  pausedRef.current = paused;
  const displayRef = useRef(display);
  displayRef.current = display;
  /** what the drawn window asks for: batches to acknowledge, the worker to tell, when it began */
  const afterDraw = useRef<{ acks: number; start: number; first: boolean } | null>(null);
  const drawnRef = useRef<(acks: number) => void>(() => undefined);
  const measured = useRef(0);

  const post = useCallback((m: ToWorker, transfer: Transferable[] = []) => worker.current?.postMessage(m, transfer), []);

  // start (again, on a new capture filter): a worker and a capture; both end when the panel goes
  useEffect(() => {
    const conn = connection();
    let w = new Worker(new URL("./capture.worker.ts", import.meta.url), { type: "module" });
    worker.current = w;
    /** whether the worker has spoken (its script loaded), whether it was started again, batches it holds unacknowledged */
    let heard = false;
    let retried = false;
    let holding = 0;
    let labels: string[] | null = null;
    let id: string | null = null;
    let alive = true;
    let frame = 0;
    let latest: WindowMessage | null = null;
    let firstBatch = true;
    let firstWindow = true;
    const early: { batch: Uint8Array | ArrayBuffer; missed: number; total: number; id: string }[] = [];
    setInfo(null);
    setEnded(null);
    setError(null);
    setWin(null);
    setSelected(null);
    setDetail(null);

    const drawn = (acks: number) => {
      if (!alive) return;
      holding = Math.max(0, holding - acks);
      for (let k = 0; k < acks; k++) if (id) conn.fire("capture:ack", { id });
      w.postMessage({ type: "drawn" } satisfies ToWorker);
    };
    drawnRef.current = drawn;
    // a window from the worker is drawn on the next animation frame (one per frame at most)
    const apply = () => {
      frame = 0;
      const m = latest;
      latest = null;
      if (!m) return;
      const now = performance.now();
      for (const d of m.dots) dots.current.push({ iface: d.iface, src: d.src, color: colorOf(d.protocol), born: now });
      if (pausedRef.current) {
        // the list stands still while paused; what came is taken in and acknowledged all the same
        drawn(m.acks);
        return;
      }
      const first = firstWindow && m.rows.length > 0;
      if (first) firstWindow = false;
      afterDraw.current = { acks: m.acks, start: now, first };
      // drawn in this animation frame, not in a task after it: the window reaches the screen
      // with this frame, and its batches are acknowledged (the layout effect) without a frame's delay
      flushSync(() => setWin(m));
    };
    const onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      heard = true;
      if (!alive) return;
      if (m.type === "window") {
        if (firstWindow && m.rows.length) mark("first-window");
        latest = m;
        if (!frame) frame = requestAnimationFrame(apply);
      } else if (m.type === "detail") setDetail(m);
      else setError(m.message);
    };
    // a worker whose script did not load says nothing more than that it failed: it is started
    // once more (the batches it was handed are lost: acknowledged, so that the server goes on)
    const onerror = (e: ErrorEvent) => {
      if (!alive) return;
      if (!heard && !retried) {
        retried = true;
        w.terminate();
        if (holding && id) for (; holding > 0; holding--) conn.fire("capture:ack", { id });
        holding = 0;
        w = new Worker(new URL("./capture.worker.ts", import.meta.url), { type: "module" });
        worker.current = w;
        hello();
        return;
      }
      setError(`the capture's worker failed: ${e.message || "its script could not be loaded (reload the page)"}`);
    };
    const hello = () => {
      w.onmessage = onmessage;
      w.onerror = onerror;
      w.postMessage({ type: "filter", text: displayRef.current } satisfies ToWorker);
      if (labels) w.postMessage({ type: "init", labels } satisfies ToWorker);
    };
    hello();

    const take = (p: { batch: Uint8Array | ArrayBuffer; missed: number; total: number }) => {
      if (firstBatch) {
        firstBatch = false;
        mark("first-batch");
      }
      const batch = ownBuffer(p.batch);
      holding++;
      w.postMessage({ type: "batch", batch, missed: p.missed, total: p.total } satisfies ToWorker, [batch]);
    };
    const offPackets = conn.on("capture:packets", (p) => {
      if (!alive) return;
      if (id === null) early.push(p);
      else if (p.id === id) take(p);
    });
    const offEnded = conn.on("capture:ended", (p) => {
      if (alive && p.id === id) setEnded(p.reason);
    });
    mark("request");
    conn.request("capture:start", { lab: capture.lab, interfaces: capture.interfaces, ...(captureFilter.trim() ? { filter: captureFilter.trim() } : {}) }).then(
      (i) => {
        if (!alive) {
          void conn.request("capture:stop", { id: i.id }).catch(() => undefined);
          return;
        }
        mark("answer");
        id = i.id;
        labels = i.interfaces.map((x) => x.label);
        w.postMessage({ type: "init", labels } satisfies ToWorker);
        setInfo(i);
        for (const e of early.splice(0)) if (e.id === i.id) take(e);
      },
      (e) => alive && setError(e instanceof RequestFailed ? (e.info.issues?.[0]?.message ?? e.message) : String(e)),
    );
    return () => {
      alive = false;
      offPackets();
      offEnded();
      if (frame) cancelAnimationFrame(frame);
      w.terminate();
      if (worker.current === w) worker.current = null;
      if (id) void conn.request("capture:stop", { id }).catch(() => undefined);
    };
    // display is applied separately; a new capture filter restarts it
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [capture.lab, capture.interfaces.join(" "), run]);

  // once a window is in the page: its batches are acknowledged, and the worker may send the next
  useLayoutEffect(() => {
    const a = afterDraw.current;
    if (!a) return;
    afterDraw.current = null;
    if (a.first) mark("first-draw");
    // the page's performance buffer keeps entries until cleared: a capture open for hours must not fill it
    if (++measured.current % 2000 === 0) performance.clearMeasures("topolab-capture-draw");
    performance.measure("topolab-capture-draw", { start: a.start });
    drawnRef.current(a.acks);
  }, [win]);

  useEffect(() => {
    post({ type: "filter", text: display });
  }, [display, post]);

  // each interface's access VLAN, from the lab: frames on an access port carry no tag
  const ifaceVlan = useMemo(() => {
    const out = new Map<string, number>();
    for (const l of doc?.links ?? []) for (const e of l.endpoints) if (l.vlan !== undefined) out.set(`${e.node}:${e.interface}`, l.vlan);
    return out;
  }, [doc]);
  const labels = info?.interfaces.map((x) => x.label) ?? [];
  const select = (no: number) => {
    setSelected(no);
    setField(null);
    post({ type: "select", no });
  };
  const onView = useCallback((first: number, count: number, follow: boolean) => post({ type: "view", first, count, follow }), [post]);
  const sel = detail && detail.no === selected ? detail : null;
  const selData = useMemo(() => (sel?.data ? new Uint8Array(sel.data) : null), [sel]);

  const stop = useCallback(() => {
    if (info && !ended)
      void connection()
        .request("capture:stop", { id: info.id })
        .catch(() => undefined);
  }, [info, ended]);

  const state = error ? "error" : ended ? "ended" : info ? (paused ? "paused" : "running") : "starting";
  return (
    <section
      className={`capture-panel ${minimized ? "minimized" : ""}`}
      data-testid="capture-panel"
      data-state={state}
      data-received={win?.received ?? 0}
      data-total={win?.total ?? 0}
      aria-label={`Capture ${capture.title}`}
    >
      <header className="capture-head">
        <strong>Capture</strong> <span className="capture-title">{capture.title}</span>
        <span className={`pill ${state === "running" ? "up" : state === "error" ? "error" : "stopped"}`} data-testid="capture-state">
          {state}
        </span>
        <span className="muted small" data-testid="capture-count">
          {win?.total ?? 0} packets{win?.missed ? ` · ${win.missed} not shown (sampled)` : ""}
          {win?.dropped ? ` · ${win.dropped} oldest dropped` : ""}
        </span>
        <span className="capture-spacer" />
        <button className="button small" onClick={() => setMinimized((v) => !v)} data-testid="capture-minimize" title={minimized ? "Show" : "Minimize"}>
          {minimized ? "▴" : "▾"}
        </button>
        <button className="button small" onClick={() => closeCapture(capture.key)} data-testid="capture-close" title="Stop and close">
          ✕
        </button>
      </header>
      {!minimized && (
        <>
          <div className="capture-tools">
            <label>
              Capture filter{" "}
              <input
                value={captureFilter}
                onChange={(e) => setCaptureFilter(e.target.value)}
                onKeyDown={(e) => e.key === "Enter" && setRun((r) => r + 1)}
                placeholder="BPF, e.g. arp or icmp"
                data-testid="capture-filter"
                spellCheck={false}
              />
            </label>
            <button className="button small" onClick={() => setRun((r) => r + 1)} data-testid="capture-restart" title="Start again with this capture filter">
              Restart
            </button>
            <label>
              Display{" "}
              <input
                value={display}
                onChange={(e) => setDisplay(e.target.value)}
                placeholder="dhcp, port 53, 10.0.0.1, text…"
                data-testid="capture-display-filter"
                spellCheck={false}
              />
            </label>
            <button className="button small" onClick={() => setPaused((p) => !p)} disabled={!info} data-testid="capture-pause">
              {paused ? "Resume" : "Pause"}
            </button>
            <button
              className="button small"
              onClick={() => {
                post({ type: "clear" });
                setSelected(null);
                setDetail(null);
              }}
              data-testid="capture-clear"
            >
              Clear
            </button>
            <button className="button small" onClick={stop} disabled={!info || !!ended} data-testid="capture-stop">
              Stop
            </button>
            {info && (
              <a
                className="button small"
                href={info.download}
                download
                data-testid="capture-download"
                title="The packets the server kept, as pcapng (Wireshark)"
              >
                Download .pcapng
              </a>
            )}
          </div>
          {win?.filterError && (
            <p className="field-error" data-testid="capture-display-error">
              Display filter: {win.filterError}
            </p>
          )}
          {error && (
            <p className="field-error" data-testid="capture-error">
              {error}
            </p>
          )}
          {ended && (
            <p className="muted small" data-testid="capture-ended">
              Ended: {ended}
            </p>
          )}
          <div className="capture-body">
            <PacketList win={win} labels={labels} ifaceVlan={ifaceVlan} selected={selected} onSelect={select} onView={onView} follow={!paused} />
            {sel && (
              <div className="capture-detail" data-testid="capture-detail">
                {sel.layers && selData ? (
                  <>
                    <FieldTree layers={sel.layers} malformed={sel.malformed} selected={field} onSelect={setField} />
                    <HexDump data={selData} field={field} />
                  </>
                ) : (
                  <p className="muted small">Packet {sel.no} is no longer kept (the panel keeps the latest packets).</p>
                )}
              </div>
            )}
          </div>
        </>
      )}
      {info && !ended && doc && <CaptureDots lab={doc} interfaces={info.interfaces} dots={dots} status={store} />}
    </section>
  );
}

function PacketList({
  win,
  labels,
  ifaceVlan,
  selected,
  onSelect,
  onView,
  follow,
}: {
  win: WindowMessage | null;
  labels: string[];
  ifaceVlan: Map<string, number>;
  selected: number | null;
  onSelect: (no: number) => void;
  /** the rows the list shows: `count` from `first`, or the last ones when following */
  onView: (first: number, count: number, follow: boolean) => void;
  follow: boolean;
}) {
  const box = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const asked = useRef("");
  const total = win?.shown ?? 0;
  const rows = win?.rows ?? [];
  const first = win?.first ?? 0;
  // tells the worker which rows are visible (only when that changed)
  const ask = useCallback(() => {
    const el = box.current;
    if (!el) return;
    const from = Math.max(0, Math.floor(el.scrollTop / ROW) - OVERSCAN);
    const count = Math.ceil(el.clientHeight / ROW) + 2 * OVERSCAN;
    const following = follow && atBottom.current;
    const key = following ? `follow ${count}` : `${from} ${count}`;
    if (key === asked.current) return;
    asked.current = key;
    onView(from, count, following);
  }, [follow, onView]);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    if (follow && atBottom.current) el.scrollTop = el.scrollHeight;
    ask();
  });
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => ask());
    ro.observe(el);
    return () => ro.disconnect();
  }, [ask]);
  return (
    <div className="capture-list" role="grid" aria-rowcount={total} data-testid="capture-list" data-rows={total}>
      <div className="capture-row capture-header-row" role="row">
        <span>No.</span>
        <span>Time</span>
        <span>Interface</span>
        <span>Source</span>
        <span>Destination</span>
        <span>Protocol</span>
        <span>Length</span>
        <span>Info</span>
      </div>
      <div
        className="capture-scroll"
        ref={box}
        onScroll={(e) => {
          const el = e.currentTarget;
          atBottom.current = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW;
          ask();
        }}
        tabIndex={0}
        onKeyDown={(e) => {
          if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
          e.preventDefault();
          const at = rows.findIndex((r) => r.no === selected);
          const next =
            at < 0 ? rows[e.key === "ArrowDown" ? 0 : rows.length - 1] : rows[Math.max(0, Math.min(rows.length - 1, at + (e.key === "ArrowDown" ? 1 : -1)))];
          if (next) onSelect(next.no);
        }}
      >
        <div style={{ height: total * ROW, position: "relative" }}>
          {rows.map((p, k) => {
            const label = labels[p.iface] ?? "?";
            const vlan = p.vlans.length ? p.vlans.join(".") : ifaceVlan.get(label);
            return (
              <div
                // by packet: a row is its packet's element, so that a click aims at the packet it shows
                key={p.no}
                role="row"
                className={`capture-row ${p.no === selected ? "selected" : ""} ${p.malformed ? "malformed" : ""}`}
                style={{ top: (first + k) * ROW, borderLeftColor: colorOf(p.protocol) }}
                onClick={() => onSelect(p.no)}
                data-testid="capture-row"
                data-protocol={p.protocol}
                data-no={p.no}
              >
                <span>{p.no}</span>
                <span>{p.time}</span>
                <span data-testid="capture-row-iface">
                  {label}
                  {vlan !== undefined ? <em className="capture-vlan"> VLAN {vlan}</em> : null}
                </span>
                <span>{p.src}</span>
                <span>{p.dst}</span>
                <span>{p.protocol}</span>
                <span>{p.length}</span>
                <span className="capture-info" data-testid="capture-row-info" title={p.summary}>
                  {p.summary}
                </span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

const FieldTree = memo(function FieldTree({
  layers,
  malformed,
  selected,
  onSelect,
}: {
  layers: Field[];
  malformed?: string | undefined;
  selected: Field | null;
  onSelect: (f: Field) => void;
}) {
  const item = (f: Field, depth: number, key: string) => (
    <li key={key}>
      {f.children?.length ? (
        <details open={depth === 0 ? true : undefined}>
          <summary className={f === selected ? "selected" : ""} onClick={() => onSelect(f)} data-testid="capture-field">
            {f.name}
            {f.value ? `: ${f.value}` : ""}
          </summary>
          <ul>{f.children.map((c, i) => item(c, depth + 1, `${key}.${i}`))}</ul>
        </details>
      ) : (
        <span
          className={`capture-field ${f === selected ? "selected" : ""}`}
          onClick={() => onSelect(f)}
          data-testid="capture-field"
          data-offset={f.offset}
          data-length={f.length}
        >
          {f.name}
          {f.value ? `: ${f.value}` : ""}
        </span>
      )}
    </li>
  );
  return (
    <div className="capture-tree" data-testid="capture-tree">
      <ul>{layers.map((l, i) => item(l, 0, String(i)))}</ul>
      {malformed && <p className="field-error">Malformed: {malformed}</p>}
    </div>
  );
});

const HexDump = memo(function HexDump({ data, field }: { data: Uint8Array; field: Field | null }) {
  const lo = field ? field.offset : -1;
  const hi = field ? field.offset + field.length : -1;
  const on = (i: number) => i >= lo && i < hi;
  return (
    <pre className="capture-hex" data-testid="capture-hex">
      {hexRows(data).map((r) => (
        <div key={r.offset}>
          <span className="muted">{r.offset.toString(16).padStart(4, "0")} </span>
          {r.bytes.map((b, i) => (
            <span key={i} className={on(r.offset + i) ? "hl" : ""} data-hl={on(r.offset + i) ? "1" : undefined}>
              {b.toString(16).padStart(2, "0")}
              {i === 7 ? "  " : " "}
            </span>
          ))}
          <span className="capture-ascii">
            {r.bytes.map((b, i) => (
              <span key={i} className={on(r.offset + i) ? "hl" : ""}>
                {b >= 32 && b < 127 ? String.fromCharCode(b) : "."}
              </span>
            ))}
          </span>
        </div>
      ))}
    </pre>
  );
});
