// The live side of a lab's page: follows the lab's kernel while the page is open (liveStore),
// draws the links' state on the canvas with one stylesheet (broken: red and dashed; busy:
// thicker and blue; a host's reach after "ping all": a mark on the node), registers break and
// mend in the context menu, and offers a panel: broken links with which end and why, traffic,
// the last changes, drift with its two actions, the selected node read from the kernel, and
// the ping-all matrix.
//
// Knows: what to show and which request answers it. Leaves to others: the canvas (lab/), the
// kernel (the server's live:* events).

import { useEffect, useMemo, useState } from "react";
import type { Drift, PingAll } from "@topolab/protocol";
import { connection } from "../lib/connection";
import { useStore } from "../lib/emitter";
import { reasonOf, toast } from "../lib/toasts";
import type { LabStore } from "../lab/labStore";
import { edgeStylesheet, formatBps, linksLive } from "./edges";
import { LiveStore } from "./liveStore";
import { registerLiveMenu } from "./menu";
import "./live.css";

type Tab = "links" | "changes" | "drift" | "node" | "ping";

const cssString = (s: string) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/** Marks on the hosts after ping all: how many peers each reaches. */
function reachStylesheet(p: PingAll | null): string {
  if (!p) return "";
  const by = new Map<string, { ok: number; all: number }>();
  for (const x of p.pairs) {
    const e = by.get(x.from) ?? { ok: 0, all: 0 };
    e.all++;
    if (x.ok) e.ok++;
    by.set(x.from, e);
  }
  return [...by]
    .map(
      ([node, e]) =>
        `.react-flow__node[data-id=${cssString(node)}]::after { content: ${cssString(`reaches ${e.ok}/${e.all}`)}; position: absolute; left: 50%; top: -20px; transform: translateX(-50%); font-size: 11px; padding: 0 6px; border-radius: 8px; white-space: nowrap; background: ${e.ok === e.all ? "#e3f6e6" : "#fbe3e3"}; color: ${e.ok === e.all ? "#1d6b2c" : "#a11"}; }`,
    )
    .join("\n");
}

export function LiveHost({ store, selectedNode }: { store: LabStore; selectedNode?: string | null }) {
  const live = useMemo(() => new LiveStore(store.name), [store]);
  const doc = useStore(store.state, (s) => s.doc);
  const running = useStore(store.state, (s) => s.running);
  const opened = doc !== null;
  const s = useStore(live.state);
  const [open, setOpen] = useState(false);
  const [tab, setTab] = useState<Tab>("links");
  const [ping, setPing] = useState<PingAll | null>(null);

  useEffect(() => registerLiveMenu(), []);
  useEffect(() => () => live.close(), [live]);
  useEffect(() => {
    if (opened && running) void live.start();
    else live.stop();
  }, [live, opened, running]);

  const links = useMemo(() => (doc ? linksLive(doc, s.nodes, s.ports, s.rates) : []), [doc, s.nodes, s.ports, s.rates]);
  const css = useMemo(() => `${edgeStylesheet(links)}\n${reachStylesheet(ping)}`, [links, ping]);
  const broken = links.filter((l) => l.broken);

  return (
    <>
      <style data-testid="live-style">{css}</style>
      {running && (
        <button className="button live-toggle" data-testid="live-toggle" onClick={() => setOpen(!open)} title="The kernel's view of this lab, live">
          Live
          {broken.length > 0 && (
            <span className="live-broken-count" data-testid="live-broken-count">
              {broken.length}
            </span>
          )}
        </button>
      )}
      {running && open && doc && (
        <div className="live-panel" data-testid="live-panel" role="dialog" aria-label="Live kernel state">
          <div className="live-tabs" role="tablist">
            {(["links", "changes", "drift", "node", "ping"] as Tab[]).map((t) => (
              <button key={t} role="tab" aria-selected={tab === t} data-testid={`live-tab-${t}`} onClick={() => setTab(t)}>
                {{ links: "Links", changes: "Changes", drift: "Drift", node: "Node", ping: "Ping all" }[t]}
              </button>
            ))}
          </div>
          <div className="live-body">
            {!s.watching && <p className="muted">{s.error ? `not following the kernel: ${s.error}` : "connecting to the kernel…"}</p>}
            {tab === "links" && (
              <table data-testid="live-links">
                <thead>
                  <tr>
                    <th>link</th>
                    <th>state</th>
                    <th>traffic</th>
                  </tr>
                </thead>
                <tbody>
                  {links.map((l) => (
                    <tr key={l.id} data-testid={`live-link-${l.id}`} data-broken={l.broken}>
                      <td>{l.id.replace("|", " — ")}</td>
                      <td className={l.broken ? "live-broken" : ""}>{l.broken ? `broken: ${l.reason}` : "up"}</td>
                      <td>{formatBps(l.bps)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {tab === "changes" && (
              <div className="live-recent" data-testid="live-recent">
                {s.recent.length === 0 && <p className="muted">no change since this page opened</p>}
                {s.recent.map((r, i) => (
                  <div key={`${r.at}-${i}`}>
                    {new Date(r.at).toLocaleTimeString()} {r.text}
                  </div>
                ))}
              </div>
            )}
            {tab === "drift" && <DriftTab store={store} />}
            {tab === "node" && <NodeTab store={store} live={live} node={selectedNode ?? null} />}
            {tab === "ping" && <PingTab lab={store.name} result={ping} onResult={setPing} />}
          </div>
        </div>
      )}
    </>
  );
}

function DriftTab({ store }: { store: LabStore }) {
  const [drift, setDrift] = useState<Drift | null>(null);
  const [busy, setBusy] = useState(false);
  const read = async () => {
    try {
      setDrift(await connection().request("live:drift", { lab: store.name }));
    } catch (e) {
      toast("error", "Could not read the drift", reasonOf(e));
    }
  };
  useEffect(() => {
    void read();
  }, [store]); // eslint-disable-line react-hooks/exhaustive-deps
  const act = async (work: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await work();
    } catch (e) {
      toast("error", "It did not apply", reasonOf(e));
    } finally {
      setBusy(false);
      await read();
    }
  };
  if (!drift) return <p className="muted">reading the kernel…</p>;
  return (
    <div data-testid="live-drift">
      <div className="live-actions">
        <button className="button" onClick={() => void read()} disabled={busy} data-testid="live-drift-refresh">
          Read again
        </button>
        {drift.items.length > 0 && (
          <>
            <button
              className="button"
              disabled={busy}
              data-testid="live-restore"
              title="Remove what was made by hand and make what is missing: the kernel as the document says"
              onClick={() => void act(() => connection().request("live:restore", { lab: store.name }))}
            >
              Put the kernel back
            </button>
            <button
              className="button"
              disabled={busy}
              data-testid="live-adopt-all"
              title="Take the kernel's state into the document (an edit you can undo)"
              onClick={() => void act(() => store.edit(drift.adoptAll, { label: "Adopt the kernel's state" }))}
            >
              Take all into the document
            </button>
          </>
        )}
      </div>
      {drift.items.length === 0 ? (
        <p className="muted" data-testid="live-drift-none">
          the kernel is as the document says
        </p>
      ) : (
        <table>
          <tbody>
            {drift.items.map((i) => (
              <tr key={i.id} data-testid={`live-drift-item-${i.id}`}>
                <td className={i.origin === "hand" ? "live-hand" : "live-missing"}>{i.origin === "hand" ? "made by hand" : "missing"}</td>
                <td>{i.node}</td>
                <td>{i.text}</td>
                <td>
                  <button
                    className="button"
                    disabled={busy}
                    data-testid={`live-adopt-${i.id}`}
                    onClick={() => void act(() => store.edit(i.adopt, { label: `Adopt: ${i.text}` }))}
                  >
                    Adopt
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

type Inspected = Record<string, unknown> & { kind: string };

function NodeTab({ store, live, node }: { store: LabStore; live: LiveStore; node: string | null }) {
  const doc = useStore(store.state, (s) => s.doc);
  const [chosen, setChosen] = useState<string | null>(node);
  const [data, setData] = useState<Inspected | null>(null);
  const [error, setError] = useState<string | null>(null);
  const nodeState = useStore(live.state, (s) => (chosen ? s.nodes[chosen] : undefined));
  const macs = useStore(live.state, (s) => (chosen ? s.macs[chosen] : undefined));
  const rates = useStore(live.state, (s) => s.rates);
  useEffect(() => {
    if (node) setChosen(node);
  }, [node]);
  useEffect(() => {
    if (!chosen) return;
    let gone = false;
    connection()
      .request("live:inspect", { lab: store.name, node: chosen })
      .then((x) => !gone && (setData(x as Inspected), setError(null)))
      .catch((e) => !gone && setError(reasonOf(e)));
    return () => {
      gone = true;
    };
  }, [store, chosen, nodeState, macs]);
  const names = (doc?.nodes ?? []).filter((n) => n.kind !== "nat").map((n) => n.name);
  const docNode = doc?.nodes.find((n) => n.name === chosen);
  const stopped = docNode?.state === "stopped";
  return (
    <div data-testid="live-node">
      <label>
        node{" "}
        <select value={chosen ?? ""} onChange={(e) => setChosen(e.target.value || null)} data-testid="live-node-select">
          <option value="">choose…</option>
          {names.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      {chosen && docNode && docNode.kind !== "nat" && (
        <button
          className="button"
          data-testid={`live-node-${stopped ? "start" : "stop"}`}
          title={stopped ? "Its links carry again" : "Every link of the node loses carrier (saved in the document; undo brings it back)"}
          onClick={() =>
            void store.edit([{ type: "updateNode", name: chosen, set: { state: stopped ? null : "stopped" } }], {
              label: `${stopped ? "Start" : "Stop"} ${chosen}`,
            })
          }
        >
          {stopped ? "Start node" : "Stop node"}
        </button>
      )}
      {error && <p className="live-broken">{error}</p>}
      {data && chosen && data["node"] === chosen && <Inspection data={data} rates={rates} />}
    </div>
  );
}

type Row = Record<string, unknown>;
const list = (x: unknown) => (Array.isArray(x) ? (x as Row[]) : []);

function Inspection({ data, rates }: { data: Inspected; rates: Record<string, { rxBps: number; txBps: number }> }) {
  if (data.kind === "ovs" || data.kind === "bridge") {
    const ports = list(data["ports"]);
    const macs = list(data.kind === "ovs" ? data["macs"] : list(data["fdb"]).filter((f) => f["learned"]));
    return (
      <>
        <h4>ports</h4>
        <table data-testid="live-ports">
          <thead>
            <tr>
              <th>port</th>
              <th>link to</th>
              {data.kind === "ovs" && (
                <>
                  <th>ofport</th>
                  <th>VLAN mode</th>
                  <th>tag</th>
                  <th>trunks</th>
                </>
              )}
            </tr>
          </thead>
          <tbody>
            {ports.map((p) => (
              <tr key={String(p["name"])}>
                <td>{String(p["endpoint"] ?? p["name"])}</td>
                <td>{String(p["peer"] ?? "")}</td>
                {data.kind === "ovs" && (
                  <>
                    <td>{String(p["ofport"] ?? "-")}</td>
                    <td>{String(p["vlanMode"])}</td>
                    <td>{String(p["tag"] ?? "")}</td>
                    <td>{(p["trunks"] as number[]).join(",")}</td>
                  </>
                )}
              </tr>
            ))}
          </tbody>
        </table>
        <h4>{data.kind === "ovs" ? "MAC table" : "forwarding database"}</h4>
        <table data-testid="live-macs">
          <thead>
            <tr>
              <th>MAC</th>
              <th>VLAN</th>
              <th>port</th>
              <th>owner</th>
              <th>age</th>
            </tr>
          </thead>
          <tbody>
            {macs.map((m, i) => (
              <tr key={`${String(m["mac"])}-${i}`}>
                <td>{String(m["mac"])}</td>
                <td>{String(m["vlan"] ?? "")}</td>
                <td>{String(m["endpoint"] ?? m["port"])}</td>
                <td>{String(m["owner"] ?? m["peer"] ?? "")}</td>
                <td>{m["age"] === null ? "static" : m["age"] !== undefined ? `${String(m["age"])} s` : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </>
    );
  }
  const node = String(data["node"]);
  return (
    <>
      <h4>interfaces</h4>
      <table data-testid="live-interfaces">
        <thead>
          <tr>
            <th>name</th>
            <th>state</th>
            <th>MAC</th>
            <th>MTU</th>
            <th>addresses</th>
            <th>rx</th>
            <th>tx</th>
            <th>drop/err</th>
          </tr>
        </thead>
        <tbody>
          {list(data["interfaces"]).map((i) => {
            const name = String(i["interface"] ?? i["name"]);
            const c = i["counters"] as Record<string, number> | null;
            const r = rates[`${node}:${name}`];
            const state = !i["adminUp"] ? "DOWN" : i["carrier"] ? "UP" : "NO-CARRIER";
            return (
              <tr key={name} data-testid={`live-iface-${name}`}>
                <td>{name}</td>
                <td className={state === "UP" ? "" : "live-broken"} data-testid={`live-iface-state-${name}`}>
                  {state}
                </td>
                <td>{String(i["mac"])}</td>
                <td>{String(i["mtu"])}</td>
                <td data-testid={`live-iface-addresses-${name}`}>
                  {list(i["addresses"])
                    .filter((a) => a["scope"] !== "link")
                    .map((a) => String(a["cidr"]))
                    .join(" ")}
                </td>
                <td>{c ? `${c["rxPackets"]} p${r ? ` · ${formatBps(r.rxBps)}` : ""}` : ""}</td>
                <td>{c ? `${c["txPackets"]} p${r ? ` · ${formatBps(r.txBps)}` : ""}` : ""}</td>
                <td>{c ? `${(c["rxDropped"] ?? 0) + (c["txDropped"] ?? 0)}/${(c["rxErrors"] ?? 0) + (c["txErrors"] ?? 0)}` : ""}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h4>routes</h4>
      <table data-testid="live-routes">
        <thead>
          <tr>
            <th>to</th>
            <th>via</th>
            <th>dev</th>
            <th>proto</th>
          </tr>
        </thead>
        <tbody>
          {list(data["routes"])
            .filter((r) => r["table"] === "main" && r["type"] === "unicast")
            .map((r, k) => (
              <tr key={k}>
                <td>{String(r["to"])}</td>
                <td>{String(r["via"] ?? "")}</td>
                <td>{String(r["dev"] ?? "")}</td>
                <td>{String(r["proto"])}</td>
              </tr>
            ))}
        </tbody>
      </table>
      <h4>neighbours</h4>
      <table>
        <tbody>
          {list(data["neighbours"]).map((n, k) => (
            <tr key={k}>
              <td>{String(n["address"])}</td>
              <td>{String(n["dev"])}</td>
              <td>{String(n["mac"] ?? "")}</td>
              <td>{String(n["state"])}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>listening sockets</h4>
      <table>
        <tbody>
          {list(data["sockets"]).map((x, k) => (
            <tr key={k}>
              <td>{String(x["protocol"])}</td>
              <td>
                {String(x["address"])}:{String(x["port"])}
              </td>
              <td>
                {list(x["processes"])
                  .map((p) => `${String(p["name"])}(${String(p["pid"])})`)
                  .join(", ")}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>processes</h4>
      <table>
        <tbody>
          {list(data["processes"]).map((p) => (
            <tr key={String(p["pid"])}>
              <td>{String(p["pid"])}</td>
              <td>{String(p["command"] || p["name"])}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function PingTab({ lab, result, onResult }: { lab: string; result: PingAll | null; onResult: (p: PingAll) => void }) {
  const [busy, setBusy] = useState(false);
  const [cell, setCell] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    try {
      onResult(await connection().request("live:pingall", { lab }, 120_000));
    } catch (e) {
      toast("error", "Ping all failed", reasonOf(e));
    } finally {
      setBusy(false);
    }
  };
  const hosts = result ? [...new Set(result.pairs.flatMap((p) => [p.from, p.to]))].sort() : [];
  const pair = (from: string, to: string) => result?.pairs.find((p) => p.from === from && p.to === to);
  const shown = cell ? result?.pairs.find((p) => `${p.from}>${p.to}` === cell) : undefined;
  return (
    <div>
      <div className="live-actions">
        <button className="button" onClick={() => void run()} disabled={busy} data-testid="live-pingall">
          {busy ? "pinging…" : "Ping all"}
        </button>
        {result && (
          <span data-testid="live-pingall-summary">
            {result.received}/{result.sent} received, {result.dropped}% dropped
          </span>
        )}
      </div>
      {result && (
        <table className="live-matrix" data-testid="live-matrix">
          <thead>
            <tr>
              <th>from \ to</th>
              {hosts.map((h) => (
                <th key={h}>{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {hosts.map((f) => (
              <tr key={f}>
                <th>{f}</th>
                {hosts.map((t) => {
                  const p = pair(f, t);
                  if (!p) return <td key={t} className="self" />;
                  return (
                    <td
                      key={t}
                      className={p.ok ? "ok" : "fail"}
                      data-testid={`live-cell-${f}-${t}`}
                      onClick={() => setCell(`${f}>${t}`)}
                      title={`ping ${p.address}`}
                    >
                      {p.ok ? "✓" : "✗"}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {shown && (
        <p data-testid="live-cell-detail">
          {shown.from} → {shown.to}: ping {shown.address} {shown.ok ? "answered" : "got no answer"}
        </p>
      )}
      {result && result.unaddressed.length > 0 && <p className="muted">without an IPv4 address: {result.unaddressed.join(", ")}</p>}
    </div>
  );
}
