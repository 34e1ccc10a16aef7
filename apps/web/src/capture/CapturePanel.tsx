// The capture panel (loaded lazily, with the decoder): starts a capture on the server, shows its
// packets live in a virtualised list (time, interface, source, destination, protocol, length,
// summary), a display filter, the selected packet's field tree and hex dump with the selected
// field's bytes highlighted; pause, clear, a new capture filter, download as pcapng, stop. While
// it runs, packets are drawn as dots along the edge they crossed (CaptureDots).
//
// Knows: the capture events (protocol.md, "Packet capture"), drawing at most once per animation
// frame and acknowledging batches only once drawn (so a page that cannot keep up is sent a
// sample). Leaves to others: decoding (@topolab/capture), the page's connection.

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { CaptureInfo } from "@topolab/protocol";
import { decode, mac, type Field } from "@topolab/capture";
import { connection, RequestFailed } from "../lib/connection";
import { useStore } from "../lib/emitter";
import type { LabStore } from "../lab/labStore";
import { closeCapture, type OpenCapture } from "./captures";
import { CaptureDots, type Dot } from "./CaptureDots";
import { colorOf, hexRows, PacketModel, relTime, type Packet } from "./model";
import "./capture.css";

const ROW = 22;
/** Decoding per animation frame, at most (a batch at least). */
const FRAME_BUDGET_MS = 6;

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
  const [field, setField] = useState<Field | null>(null);
  const [, setVersion] = useState(0);
  const [minimized, setMinimized] = useState(false);
  const model = useRef<PacketModel>(new PacketModel([]));
  const dots = useRef<Dot[]>([]);
  const pausedRef = useRef(false);
  pausedRef.current = paused;

  // start (again, on a new capture filter); stop when the panel goes
  useEffect(() => {
    const conn = connection();
    let id: string | null = null;
    let alive = true;
    let frame = 0;
    const early: { batch: Uint8Array; missed: number; total: number; id: string }[] = [];
    setInfo(null);
    setEnded(null);
    setError(null);

    // batches wait here until an animation frame has time for them; each is acknowledged once
    // decoded and drawn, so a page that cannot keep up is sent a sample, not a backlog
    const queue: { batch: Uint8Array | ArrayBuffer; missed: number; total: number }[] = [];
    const take = (p: { batch: Uint8Array | ArrayBuffer; missed: number; total: number }) => {
      queue.push(p);
      if (!frame) frame = requestAnimationFrame(draw);
    };
    const draw = () => {
      frame = 0;
      const started = performance.now();
      let done = 0;
      while (queue.length && (done === 0 || performance.now() - started < FRAME_BUDGET_MS)) {
        const p = queue.shift()!;
        const added = model.current.add(p.batch instanceof Uint8Array ? p.batch : new Uint8Array(p.batch), p.missed, p.total);
        dots.current.push(...sampleDots(added));
        done++;
      }
      // the panel's own work per frame, for bench:capture (a User Timing entry, nothing else)
      if (done) performance.measure("topolab-capture-decode", { start: started });
      if (!pausedRef.current) setVersion((v) => v + 1);
      for (; done > 0; done--) if (id) conn.fire("capture:ack", { id });
      if (queue.length) frame = requestAnimationFrame(draw);
    };
    const offPackets = conn.on("capture:packets", (p) => {
      if (!alive) return;
      if (id === null) early.push(p as never);
      else if (p.id === id) take(p as never);
    });
    const offEnded = conn.on("capture:ended", (p) => {
      if (alive && p.id === id) {
        setEnded(p.reason);
        setVersion((v) => v + 1);
      }
    });
    conn.request("capture:start", { lab: capture.lab, interfaces: capture.interfaces, ...(captureFilter.trim() ? { filter: captureFilter.trim() } : {}) }).then(
      (i) => {
        if (!alive) {
          void conn.request("capture:stop", { id: i.id }).catch(() => undefined);
          return;
        }
        id = i.id;
        model.current = new PacketModel(i.interfaces.map((x) => x.label));
        model.current.setFilter(display);
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
      if (id) void conn.request("capture:stop", { id }).catch(() => undefined);
    };
    // display is applied separately; a new capture filter restarts it
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [capture.lab, capture.interfaces.join(" "), run]);

  const m = model.current;
  useEffect(() => {
    m.setFilter(display);
    setVersion((v) => v + 1);
  }, [display, m]);

  // each interface's access VLAN, from the lab: frames on an access port carry no tag
  const ifaceVlan = useMemo(() => {
    const out = new Map<string, number>();
    for (const l of doc?.links ?? []) for (const e of l.endpoints) if (l.vlan !== undefined) out.set(`${e.node}:${e.interface}`, l.vlan);
    return out;
  }, [doc]);
  const labels = info?.interfaces.map((x) => x.label) ?? [];
  const sel = selected !== null ? m.at(selected) : undefined;
  const selDecoded = useMemo(() => (sel ? decode(sel.data, 1, sel.length) : null), [sel]);

  const stop = useCallback(() => {
    if (info && !ended)
      void connection()
        .request("capture:stop", { id: info.id })
        .catch(() => undefined);
  }, [info, ended]);

  const state = error ? "error" : ended ? "ended" : info ? (paused ? "paused" : "running") : "starting";
  return (
    <section className={`capture-panel ${minimized ? "minimized" : ""}`} data-testid="capture-panel" data-state={state} aria-label={`Capture ${capture.title}`}>
      <header className="capture-head">
        <strong>Capture</strong> <span className="capture-title">{capture.title}</span>
        <span className={`pill ${state === "running" ? "up" : state === "error" ? "error" : "stopped"}`} data-testid="capture-state">
          {state}
        </span>
        <span className="muted small" data-testid="capture-count">
          {m.total} packets{m.missed ? ` · ${m.missed} not shown (sampled)` : ""}
          {m.dropped ? ` · ${m.dropped} oldest dropped` : ""}
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
                m.clear();
                setSelected(null);
                setVersion((v) => v + 1);
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
            <PacketList
              model={m}
              labels={labels}
              ifaceVlan={ifaceVlan}
              selected={selected}
              onSelect={(i) => (setSelected(i), setField(null))}
              follow={!paused}
            />
            {sel && selDecoded && (
              <div className="capture-detail" data-testid="capture-detail">
                <FieldTree layers={selDecoded.layers} malformed={selDecoded.malformed} selected={field} onSelect={setField} />
                <HexDump data={sel.data} field={field} />
              </div>
            )}
          </div>
        </>
      )}
      {info && !ended && doc && <CaptureDots lab={doc} interfaces={info.interfaces} dots={dots} status={store} />}
    </section>
  );
}

/** At most a few dots per batch: a sample when packets come faster than can be drawn. */
function sampleDots(added: Packet[]): Dot[] {
  const n = added.length;
  const step = Math.max(1, Math.ceil(n / 6));
  const out: Dot[] = [];
  for (let i = 0; i < n; i += step) {
    const p = added[i]!;
    out.push({ iface: p.iface, src: p.data.length >= 12 ? mac(p.data, 6) : "", color: colorOf(p.d.protocol), born: performance.now() });
  }
  return out;
}

function PacketList({
  model,
  labels,
  ifaceVlan,
  selected,
  onSelect,
  follow,
}: {
  model: PacketModel;
  labels: string[];
  ifaceVlan: Map<string, number>;
  selected: number | null;
  onSelect: (abs: number) => void;
  follow: boolean;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState({ top: 0, height: 300 });
  const atBottom = useRef(true);
  const rows = model.shown;
  const total = rows.length;
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    if (follow && atBottom.current) el.scrollTop = el.scrollHeight;
  });
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setScroll({ top: el.scrollTop, height: el.clientHeight }));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const first = Math.max(0, Math.floor(scroll.top / ROW) - 5);
  const last = Math.min(total, Math.ceil((scroll.top + scroll.height) / ROW) + 5);
  const visible: number[] = [];
  for (let i = first; i < last; i++) visible.push(rows[i]!);
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
          setScroll({ top: el.scrollTop, height: el.clientHeight });
        }}
        tabIndex={0}
        onKeyDown={(e) => {
          if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
          e.preventDefault();
          const at = selected === null ? -1 : rows.indexOf(selected);
          const next = rows[Math.max(0, Math.min(total - 1, at + (e.key === "ArrowDown" ? 1 : -1)))];
          if (next !== undefined) onSelect(next);
        }}
      >
        <div style={{ height: total * ROW, position: "relative" }}>
          {visible.map((abs, k) => {
            const p = model.at(abs);
            if (!p) return null;
            const label = labels[p.iface] ?? "?";
            const vlan = p.d.vlans.length ? p.d.vlans.join(".") : ifaceVlan.get(label);
            return (
              <div
                key={abs}
                role="row"
                className={`capture-row ${abs === selected ? "selected" : ""} ${p.d.malformed ? "malformed" : ""}`}
                style={{ top: (first + k) * ROW, borderLeftColor: colorOf(p.d.protocol) }}
                onClick={() => onSelect(abs)}
                data-testid="capture-row"
                data-protocol={p.d.protocol}
              >
                <span>{p.no}</span>
                <span>{relTime(p, model.firstUs)}</span>
                <span data-testid="capture-row-iface">
                  {label}
                  {vlan !== undefined ? <em className="capture-vlan"> VLAN {vlan}</em> : null}
                </span>
                <span>{p.d.src}</span>
                <span>{p.d.dst}</span>
                <span>{p.d.protocol}</span>
                <span>{p.length}</span>
                <span className="capture-info" data-testid="capture-row-info" title={p.d.summary}>
                  {p.d.summary}
                </span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

function FieldTree({
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
}

function HexDump({ data, field }: { data: Uint8Array; field: Field | null }) {
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
}
