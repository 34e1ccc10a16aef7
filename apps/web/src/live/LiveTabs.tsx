// The inspector's live tabs: what the kernel has, never the document. A host's or router's
// interfaces (state, carrier, MAC, MTU, addresses, counters with rates per second), routes
// (IPv4 and IPv6 with proto), neighbours (ARP and NDP with state), listening sockets and
// processes; an OVS switch's ports (VLAN mode, tag, trunks, OpenFlow port) and MAC table
// mapped to node:interface; a Linux bridge's ports and forwarding database; a link's two ends;
// the lab's links, drift (with its two actions), changes and ping all.
//
// A node is read (live:inspect) only while one of its tabs is shown: again after each kernel
// change of that node (or MAC-table change of that switch), and every few seconds for what the
// kernel announces no change of (sockets, processes, a bridge's forwarding database, MAC ages).
// Interfaces' state and addresses, routes and neighbours come straight from the live state (the
// same events that draw the canvas), counters and rates from its one-second samples.
//
// Knows: what each tab shows of live:inspect's answer (the protocol's Inspect). Leaves to others:
// the tab strip (InspectorTabs), the tables' markup (KernelTable), the live state (liveStore),
// edits (labStore).

import { useEffect, useMemo, useState } from "react";
import type { BridgeInspectView, Drift, HostInspectView, Inspect, InspectCounters, LiveNode, OvsInspectView } from "@topolab/protocol";
import type { LabNode, Link } from "@topolab/topology";
import { connection } from "../lib/connection";
import { useStore } from "../lib/emitter";
import { reasonOf, toast } from "../lib/toasts";
import { formatBps, type LinkLive } from "./edges";
import { KernelTable, type Column } from "./KernelTable";
import type { LiveContextValue } from "./LiveProvider";
import { PingAllTab } from "./PingAllTab";
import type { LiveState, LiveStore } from "./liveStore";
import { adoptNode, type TabId } from "./tabs";

/** Tabs whose content the kernel announces no change of: read again this often while shown. */
const POLL_MS: Partial<Record<TabId, number>> = { sockets: 3000, processes: 3000, fdb: 3000, macs: 5000 };

/**
 * The node read from the kernel while `active`: again after each kernel change of it (its live
 * node or MAC table), every `pollMs` if given; one request at a time, the last one wins.
 */
function useInspect(lab: string, live: LiveStore, node: string, active: boolean, pollMs: number | undefined) {
  const [data, setData] = useState<Inspect | null>(null);
  const [error, setError] = useState<string | null>(null);
  const changed = useStore(live.state, (s) => s.nodes[node]);
  const macs = useStore(live.state, (s) => s.macs[node]);
  const watching = useStore(live.state, (s) => s.watching);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!active || !pollMs) return;
    const t = setInterval(() => setTick((x) => x + 1), pollMs);
    return () => clearInterval(t);
  }, [active, pollMs]);
  useEffect(() => {
    if (!active) return;
    let gone = false;
    connection()
      .request("live:inspect", { lab, node })
      .then((x) => {
        if (gone) return;
        setData(x);
        setError(null);
      })
      .catch((e: unknown) => {
        if (!gone) setError(reasonOf(e));
      });
    return () => {
      gone = true;
    };
  }, [lab, node, active, changed, macs, watching, tick]);
  return { data, error };
}

const bytes = (n: number) =>
  n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`;

function ifState(adminUp: boolean, carrier: boolean): "UP" | "DOWN" | "NO-CARRIER" {
  return !adminUp ? "DOWN" : carrier ? "UP" : "NO-CARRIER";
}

function Reading({ error, what }: { error: string | null; what: string }) {
  return error ? (
    <p className="live-error" role="alert" data-testid="live-error">
      could not read {what}: {error}
    </p>
  ) : (
    <p className="muted">reading the kernel…</p>
  );
}

/** The live tab `tab` of a node. */
export function NodeLiveTab({ ctx, node, tab }: { ctx: LiveContextValue; node: LabNode; tab: TabId }) {
  const { live, store } = ctx;
  const needsInspect = tab === "interfaces" || tab === "sockets" || tab === "processes" || tab === "ports" || tab === "macs" || tab === "fdb";
  const { data, error } = useInspect(store.name, live, node.name, needsInspect, POLL_MS[tab]);
  const liveNode = useStore(live.state, (s) => s.nodes[node.name]);
  const s = useStore(live.state);
  if (tab === "drift") return <DriftList ctx={ctx} node={node.name} />;
  if (tab === "routes" || tab === "neighbours") {
    if (liveNode === null) return <p className="muted">{node.name} has no namespace now (stopped or gone)</p>;
    if (!liveNode) return <Reading error={s.error} what={`${node.name}'s kernel`} />;
    return tab === "routes" ? <Routes routes={liveNode.routes} node={liveNode} /> : <Neighbours node={liveNode} />;
  }
  if (!data || data.node !== node.name) return <Reading error={error} what={node.name} />;
  const stale = error ? (
    <p className="live-error" role="alert">
      could not read it again: {error}
    </p>
  ) : null;
  return (
    <>
      {stale}
      <InspectTab data={data} tab={tab} liveNode={liveNode ?? null} state={s} />
    </>
  );
}

/** The tab of a node read in full: a switch's ports, MAC table or forwarding database; a host's sockets, processes or interfaces. */
function InspectTab({ data, tab, liveNode, state }: { data: Inspect; tab: TabId; liveNode: LiveNode | null; state: LiveState }) {
  if (data.kind === "ovs") return tab === "macs" ? <OvsMacs view={data} /> : <OvsPorts view={data} state={state} />;
  if (data.kind === "bridge") return tab === "fdb" ? <BridgeFdb view={data} /> : <BridgePorts view={data} state={state} />;
  if (tab === "sockets") return <Sockets view={data} />;
  if (tab === "processes") return <Processes view={data} />;
  return <Interfaces view={data} liveNode={liveNode} state={state} />;
}

function Interfaces({ view, liveNode, state }: { view: HostInspectView; liveNode: LiveNode | null; state: LiveState }) {
  const shown = view.interfaces.filter((i) => i.name !== "lo" || i.addresses.some((a) => a.scope !== "host"));
  return (
    <div className="live-ifaces" data-testid="live-interfaces">
      {shown.map((i) => {
        const name = i.interface ?? i.name;
        // the live state is the freshest (the same event that draws the canvas); the read fills in the rest
        const now = liveNode?.interfaces.find((x) => x.name === i.name);
        const adminUp = now?.adminUp ?? i.adminUp;
        const carrier = now?.carrier ?? i.carrier;
        const st = ifState(adminUp, carrier);
        const linkLocal = i.addresses.filter((a) => a.scope === "link").map((a) => a.cidr);
        const global = now ? now.addresses : i.addresses.filter((a) => a.scope !== "link").map((a) => a.cidr);
        const dynamic = new Set(i.addresses.filter((a) => a.dynamic).map((a) => a.cidr));
        const key = `${view.node}:${name}`;
        const c = state.counters[key] ?? i.counters;
        const r = state.rates[key];
        return (
          <section key={i.name} className="live-iface" data-testid={`live-iface-${name}`} aria-label={`interface ${name}`}>
            <div className="live-iface-head">
              <strong>{name}</strong>
              {name !== i.name && <span className="muted small"> ({i.name})</span>}
              <span className={`live-state ${st === "UP" ? "up" : "down"}`} data-testid={`live-iface-state-${name}`}>
                {st}
              </span>
              <span className="muted small">mtu {now?.mtu ?? i.mtu}</span>
              {i.peer && <span className="muted small"> · to {i.peer}</span>}
            </div>
            <div className="small">
              <code>{now?.mac ?? i.mac}</code>
            </div>
            <div className="live-addrs" data-testid={`live-iface-addresses-${name}`}>
              {global.length === 0 && <span className="muted small">no address</span>}
              {global.map((a) => (
                <code key={a} title={dynamic.has(a) ? "dynamic (DHCP or SLAAC)" : undefined}>
                  {a}
                  {dynamic.has(a) ? " (dyn)" : ""}
                </code>
              ))}
              {linkLocal.map((a) => (
                <code key={a} className="muted" title="link-local">
                  {a}
                </code>
              ))}
            </div>
            {c && (
              <KernelTable
                className="live-counters"
                testId={`live-iface-counters-${name}`}
                rows={counterRows(c, r, name)}
                rowKey={(x) => x.dir}
                columns={COUNTER_COLUMNS}
              />
            )}
          </section>
        );
      })}
    </div>
  );
}

interface CounterRow {
  dir: "rx" | "tx";
  bytes: number;
  packets: number;
  dropped: number;
  errors: number;
  rate: string;
  rateTestId?: string | undefined;
}

/** An interface's counters as two rows, received and sent, with the rate since the last sample. */
function counterRows(c: InspectCounters, r: LiveState["rates"][string] | undefined, name: string): CounterRow[] {
  return (["rx", "tx"] as const).map((dir) => ({
    dir,
    bytes: c[`${dir}Bytes`],
    packets: c[`${dir}Packets`],
    dropped: c[`${dir}Dropped`],
    errors: c[`${dir}Errors`],
    rate: r ? `${formatBps(r[`${dir}Bps`])} · ${Math.round(r[`${dir}Pps`])} p/s` : "–",
    rateTestId: dir === "rx" ? `live-iface-rxrate-${name}` : undefined,
  }));
}

const warnIf = (bad: unknown) => (bad ? "live-warn" : undefined);

const COUNTER_COLUMNS: Column<CounterRow>[] = [
  { head: "", cell: (x) => x.dir, rowHead: true },
  { head: "bytes", cell: (x) => bytes(x.bytes) },
  { head: "packets", cell: (x) => x.packets },
  { head: "drop", cell: (x) => x.dropped, className: (x) => warnIf(x.dropped) },
  { head: "err", cell: (x) => x.errors, className: (x) => warnIf(x.errors) },
  { head: "rate", cell: (x) => x.rate, testId: (x) => x.rateTestId },
];

/** kernel names of a node's interfaces -> the lab's (internal ports differ) */
const labNames = (node: LiveNode) => new Map(node.interfaces.map((i) => [i.name, i.interface ?? i.name]));

function Routes({ routes, node }: { routes: LiveNode["routes"]; node: LiveNode }) {
  const names = labNames(node);
  const main = routes.filter((r) => r.table === "main");
  const [all, setAll] = useState(false);
  const shown = all ? routes : main;
  const columns: Column<LiveNode["routes"][number]>[] = [
    {
      head: "to",
      cell: (r) => `${r.type !== "unicast" ? `${r.type} ` : ""}${r.to === "0.0.0.0/0" || r.to === "::/0" ? "default" : r.to}`,
    },
    { head: "via", cell: (r) => r.via ?? "" },
    { head: "dev", cell: (r) => (r.dev ? (names.get(r.dev) ?? r.dev) : "") },
    {
      head: "proto",
      cell: (r) => (
        <>
          <span className={`live-proto proto-${r.proto}`} title={PROTO_TITLE[r.proto] ?? r.proto}>
            {r.proto}
          </span>
          {r.metric ? <span className="muted small"> m{r.metric}</span> : null}
        </>
      ),
    },
    { head: "table", cell: (r) => r.table, hidden: !all },
  ];
  return (
    <div className="live-scroll">
      <label className="small live-option">
        <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} data-testid="live-routes-all" /> every table (local, too)
      </label>
      {([4, 6] as const).map((family) => (
        <div key={family}>
          <h4>IPv{family}</h4>
          <KernelTable
            testId={`live-routes-${family}`}
            rows={shown.filter((r) => r.family === family)}
            rowKey={(r, k) => `${r.table}-${r.to}-${r.via ?? ""}-${r.dev ?? ""}-${k}`}
            rowData={() => ({ "data-testid": "live-route" })}
            columns={columns}
            empty="no routes"
            emptyClassName="muted small"
          />
        </div>
      ))}
    </div>
  );
}

const PROTO_TITLE: Record<string, string> = {
  kernel: "made by the kernel for an address's subnet",
  static: "added by topolab (the document's routes)",
  boot: "added by hand (ip route add)",
  dhcp: "from a DHCP lease",
  ra: "from an IPv6 router advertisement",
};

function Neighbours({ node }: { node: LiveNode }) {
  const names = labNames(node);
  return (
    <div className="live-scroll">
      <KernelTable
        testId="live-neighbours"
        rows={[...node.neighbours].sort((a, b) => a.family - b.family)}
        rowKey={(n) => `${n.address}-${n.dev}`}
        rowData={() => ({ "data-testid": "live-neighbour" })}
        empty="no neighbours yet (they come with traffic: ping one)"
        columns={[
          {
            head: "address",
            cell: (n) => (
              <>
                {n.address}
                {n.router ? <span className="muted small"> router</span> : null}
              </>
            ),
          },
          { head: "MAC", cell: (n) => <code>{n.mac ?? ""}</code> },
          { head: "dev", cell: (n) => names.get(n.dev) ?? n.dev },
          { head: "state", cell: (n) => n.state, className: (n) => warnIf(n.state === "FAILED" || n.state === "INCOMPLETE") },
        ]}
      />
    </div>
  );
}

function Sockets({ view }: { view: HostInspectView }) {
  return (
    <div className="live-scroll">
      <KernelTable
        testId="live-sockets"
        rows={view.sockets}
        rowKey={(x, k) => `${x.protocol}-${x.address}-${x.port}-${k}`}
        empty={`nothing listens in ${view.node}`}
        columns={[
          { head: "proto", cell: (x) => x.protocol },
          {
            head: "address",
            cell: (x) => (
              <>
                <code>{x.address.includes(":") ? `[${x.address}]` : x.address}</code>:{x.port}
              </>
            ),
          },
          { head: "process", cell: (x) => x.processes.map((p) => `${p.name} (${p.pid})`).join(", ") },
        ]}
      />
    </div>
  );
}

function Processes({ view }: { view: HostInspectView }) {
  return (
    <div className="live-scroll">
      <KernelTable
        testId="live-processes"
        rows={view.processes}
        rowKey={(p) => String(p.pid)}
        empty={`no process runs in ${view.node}`}
        columns={[
          { head: "pid", cell: (p) => p.pid },
          { head: "command", cell: (p) => <code>{p.command || p.name}</code>, className: "live-wrap" },
        ]}
      />
    </div>
  );
}

/** A switch end's state from the live state (the root-side port). */
function portState(state: LiveState, endpoint: string | undefined): string {
  const p = endpoint ? state.ports.find((x) => x.endpoint === endpoint) : undefined;
  return p ? ifState(p.adminUp, p.carrier) : "";
}

/** A switch's end as its row names it: the lab's endpoint (when known), the kernel name, what is at the other end. */
interface PortEnd {
  endpoint?: string | undefined;
  name: string;
  to?: string | undefined;
}

/** The column of a switch's end (a row's `end`), without the switch's name ("eth1" for ovs1:eth1), and what is at its other end. */
function portColumn(node: string, head: string, headTitle?: string): Column<{ end: PortEnd }> {
  return {
    head,
    ...(headTitle ? { headTitle } : {}),
    className: "live-wrap",
    title: (row) => {
      const { endpoint, name, to } = row.end;
      return `${endpoint ?? name} (kernel name ${name})${to ? `, to ${to}` : ""}`;
    },
    cell: (row) => {
      const { endpoint, name, to } = row.end;
      const local = endpoint?.startsWith(`${node}:`) ? endpoint.slice(node.length + 1) : (endpoint ?? name);
      return (
        <>
          {local}
          {to ? <span className="muted live-to"> → {to}</span> : null}
        </>
      );
    },
  };
}

function OvsPorts({ view, state }: { view: OvsInspectView; state: LiveState }) {
  return (
    <div className="live-scroll">
      <p className="muted small">
        bridge <code>{view.bridge}</code>
      </p>
      <KernelTable
        testId="live-ports"
        rows={view.ports.map((p) => ({ ...p, st: portState(state, p.endpoint), end: { endpoint: p.endpoint, name: p.name, to: p.peer } }))}
        rowKey={(p) => p.name}
        rowData={(p) => ({ "data-testid": `live-port-${p.endpoint ?? p.name}` })}
        columns={[
          portColumn(view.node, "port → to"),
          { head: "ofport", headTitle: "OpenFlow port number", cell: (p) => p.ofport ?? "–", testId: "live-port-ofport" },
          { head: "VLAN", cell: (p) => `${p.vlanMode}${p.tag !== undefined ? ` ${p.tag}` : ""}${p.trunks.length ? ` [${p.trunks.join(",")}]` : ""}` },
          { head: "state", cell: (p) => p.st || p.linkState || "", className: (p) => warnIf(p.st && p.st !== "UP") },
        ]}
      />
    </div>
  );
}

function OvsMacs({ view }: { view: OvsInspectView }) {
  return (
    <div className="live-scroll">
      <KernelTable
        testId="live-macs"
        rows={view.macs.map((m) => ({ ...m, end: { endpoint: m.endpoint, name: m.port, to: m.owner ?? m.peer } }))}
        rowKey={(m) => `${m.mac}-${m.vlan}`}
        rowData={(m) => ({ "data-testid": `live-mac-${m.mac}` })}
        empty="the MAC table is empty (it learns from traffic: ping between hosts)"
        columns={[
          { head: "MAC", cell: (m) => <code>{m.mac}</code> },
          { head: "VLAN", cell: (m) => m.vlan },
          portColumn(view.node, "port → owner", "the port it was learned on → whose MAC it is"),
          { head: "age", cell: (m) => (m.age === null ? "static" : `${m.age} s`) },
        ]}
      />
    </div>
  );
}

function BridgePorts({ view, state }: { view: BridgeInspectView; state: LiveState }) {
  return (
    <div className="live-scroll">
      <p className="muted small">
        bridge <code>{view.bridge}</code>
      </p>
      <KernelTable
        testId="live-ports"
        rows={view.ports.map((p) => ({
          ...p,
          st: portState(state, p.endpoint) || ifState(p.adminUp, p.carrier),
          end: { endpoint: p.endpoint, name: p.name, to: p.peer },
        }))}
        rowKey={(p) => p.name}
        rowData={(p) => ({ "data-testid": `live-port-${p.endpoint ?? p.name}` })}
        columns={[
          portColumn(view.node, "port → to"),
          { head: "MAC", cell: (p) => <code>{p.mac}</code> },
          { head: "state", cell: (p) => p.st, className: (p) => warnIf(p.st !== "UP") },
        ]}
      />
    </div>
  );
}

function BridgeFdb({ view }: { view: BridgeInspectView }) {
  const [all, setAll] = useState(false);
  const shown = view.fdb.filter((f) => all || f.learned);
  const vlans = shown.some((f) => f.vlan !== undefined);
  return (
    <div className="live-scroll">
      <label className="small live-option">
        <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} data-testid="live-fdb-all" /> permanent entries too (
        {view.fdb.length - view.fdb.filter((f) => f.learned).length})
      </label>
      <KernelTable
        testId="live-fdb"
        rows={shown.map((f) => ({ ...f, end: { endpoint: f.endpoint, name: f.port, to: f.peer } }))}
        rowKey={(f, k) => `${f.mac}-${f.port}-${f.vlan ?? ""}-${k}`}
        rowData={(f) => ({ "data-testid": `live-fdb-${f.mac}` })}
        empty="nothing learned yet (the bridge learns from traffic: ping between hosts)"
        columns={[
          { head: "MAC", cell: (f) => <code>{f.mac}</code> },
          portColumn(view.node, "port → to"),
          { head: "VLAN", cell: (f) => f.vlan ?? "", hidden: !vlans },
          { head: "entry", cell: (f) => (f.learned ? "learned" : f.state) },
        ]}
      />
    </div>
  );
}

/** The drift, of the whole lab or one node's, with its two actions and each item's own. */
export function DriftList({ ctx, node }: { ctx: LiveContextValue; node?: string }) {
  const { live, store } = ctx;
  const drift = useStore(live.state, (s) => s.drift);
  const error = useStore(live.state, (s) => s.driftError);
  const [busy, setBusy] = useState(false);
  const act = async (work: () => Promise<unknown>) => {
    setBusy(true);
    try {
      const r = await work();
      if (r && typeof r === "object" && "ok" in r && r.ok === false) return; // the lab store said why
    } catch (e) {
      toast("error", "It did not apply", reasonOf(e));
    } finally {
      setBusy(false); // the drift after comes pushed, as every change of it
    }
  };
  if (!drift) return <Reading error={error} what="the drift" />;
  const items = node ? drift.items.filter((i) => i.node === node) : drift.items;
  const adoptAll: Drift["adoptAll"] = node ? adoptNode(drift, node) : drift.adoptAll;
  return (
    <div data-testid="live-drift">
      {error && (
        <p className="live-error" role="alert">
          could not read the drift again: {error}
        </p>
      )}
      <div className="live-actions">
        <button className="button small" onClick={() => void live.readDrift()} disabled={busy} data-testid="live-drift-refresh">
          Read again
        </button>
        {items.length > 0 && (
          <>
            <button
              className="button small"
              disabled={busy}
              data-testid="live-restore"
              title="Remove what was made by hand and make what is missing, in the whole lab: the kernel as the document says"
              onClick={() => void act(() => connection().request("live:restore", { lab: store.name }))}
            >
              Put the kernel back{node ? " (whole lab)" : ""}
            </button>
            <button
              className="button small"
              disabled={busy || adoptAll.length === 0}
              data-testid="live-adopt-all"
              title="Take the kernel's state into the document (an edit you can undo)"
              onClick={() => void act(() => store.edit(adoptAll, { label: node ? `Adopt ${node}'s kernel state` : "Adopt the kernel's state" }))}
            >
              Take {node ? "these" : "all"} into the document
            </button>
          </>
        )}
      </div>
      {items.length === 0 ? (
        <p className="muted" data-testid="live-drift-none">
          the kernel is as the document says{node ? ` (for ${node})` : ""}
        </p>
      ) : (
        <ul className="live-drift-items">
          {items.map((i) => (
            <li key={i.id} data-testid={`live-drift-item-${i.id}`}>
              <span className={i.origin === "hand" ? "live-hand" : "live-missing"}>{i.origin === "hand" ? "made by hand" : "missing"}</span>{" "}
              {!node && <strong>{i.node}: </strong>}
              {i.text}{" "}
              <button
                className="link-button small"
                disabled={busy}
                data-testid={`live-adopt-${i.id}`}
                title="Take this one into the document"
                onClick={() => void act(() => store.edit(i.adopt, { label: `Adopt: ${i.text}` }))}
              >
                adopt
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A link's two ends as the kernel has them, with their traffic; take it down or up. */
export function LinkLiveTab({ ctx, link, id }: { ctx: LiveContextValue; link: Link; id: string }) {
  const { live, store, links } = ctx;
  const state: LinkLive | undefined = useStore(links, (m) => m[id]);
  const nodes = useStore(live.state, (s) => s.nodes);
  const ports = useStore(live.state, (s) => s.ports);
  const counters = useStore(live.state, (s) => s.counters);
  const rates = useStore(live.state, (s) => s.rates);
  const ends = link.endpoints.map((e) => `${e.node}:${e.interface}`);
  const endOf = (end: string) => {
    const [n, i] = end.split(":") as [string, string];
    const p = ports.find((x) => x.endpoint === end);
    if (p) return ifState(p.adminUp, p.carrier);
    const ln = nodes[n];
    if (ln === null) return "no namespace";
    const x = ln?.interfaces.find((f) => (f.interface ?? f.name) === i);
    return x ? ifState(x.adminUp, x.carrier) : ln ? "missing" : "–";
  };
  const down = link.state === "down";
  return (
    <div data-testid="live-link">
      <p data-testid="live-link-state" className={state?.broken ? "live-broken" : ""}>
        {state ? (state.broken ? `broken: ${state.reason}` : "up in the kernel") : "reading the kernel…"}
      </p>
      <KernelTable
        rows={ends.map((e) => ({ e, c: counters[e], r: rates[e], st: endOf(e) }))}
        rowKey={(x) => x.e}
        rowData={(x) => ({ "data-testid": `live-link-end-${x.e}` })}
        columns={[
          { head: "end", cell: (x) => x.e },
          { head: "state", cell: (x) => x.st, className: (x) => warnIf(x.st !== "UP") },
          {
            head: "rx",
            cell: (x) => `${x.c ? bytes(x.c.rxBytes) : "–"}${x.r ? ` · ${formatBps(x.r.rxBps)}` : ""}`,
            title: (x) => (x.c ? `${x.c.rxPackets} packets, ${x.c.rxDropped} dropped, ${x.c.rxErrors} errors` : undefined),
          },
          {
            head: "tx",
            cell: (x) => `${x.c ? bytes(x.c.txBytes) : "–"}${x.r ? ` · ${formatBps(x.r.txBps)}` : ""}`,
            title: (x) => (x.c ? `${x.c.txPackets} packets, ${x.c.txDropped} dropped, ${x.c.txErrors} errors` : undefined),
          },
        ]}
      />
      {link.loss !== undefined && <p className="small">loss {link.loss} % (an nftables rule drops packets at random)</p>}
      <div className="live-actions">
        <button
          className="button small"
          data-testid={down ? "live-link-up" : "live-link-down"}
          onClick={() =>
            void store.edit([{ type: "updateLink", link: id, set: { state: down ? null : "down" } }], { label: `${down ? "Bring up" : "Take down"} ${id}` })
          }
        >
          {down ? "Bring link up" : "Take link down"}
        </button>
      </div>
    </div>
  );
}

/** The lab's live tabs: its links, drift, changes and ping all. */
export function LabLiveTab({ ctx, tab }: { ctx: LiveContextValue; tab: TabId }) {
  if (tab === "drift") return <DriftList ctx={ctx} />;
  if (tab === "changes") return <Changes live={ctx.live} />;
  if (tab === "ping") return <PingAllTab store={ctx.store} live={ctx.live} />;
  return <Links ctx={ctx} />;
}

function Links({ ctx }: { ctx: LiveContextValue }) {
  const links = useStore(ctx.links);
  const list = useMemo(() => Object.values(links).sort((a, b) => Number(b.broken) - Number(a.broken) || a.id.localeCompare(b.id)), [links]);
  const broken = list.filter((l) => l.broken).length;
  return (
    <div className="live-scroll">
      <p className="small" data-testid="live-links-summary">
        {list.length} links, {broken ? `${broken} broken` : "none broken"}
      </p>
      <KernelTable
        testId="live-links"
        rows={list}
        rowKey={(l) => l.id}
        rowData={(l) => ({ "data-testid": `live-link-${l.id}`, "data-broken": l.broken })}
        columns={[
          { head: "link", cell: (l) => l.id.replace("|", " — ") },
          {
            head: "state",
            cell: (l) => `${l.broken ? `broken: ${l.reason}` : "up"}${l.loss !== undefined ? ` · loss ${l.loss} %` : ""}`,
            className: (l) => (l.broken ? "live-broken live-wrap" : undefined),
          },
          { head: "traffic", cell: (l) => formatBps(l.bps) },
        ]}
      />
    </div>
  );
}

function Changes({ live }: { live: LiveStore }) {
  const recent = useStore(live.state, (s) => s.recent);
  return (
    <div className="live-recent" data-testid="live-recent" aria-live="polite">
      {recent.length === 0 && <p className="muted">no change since this page opened</p>}
      {recent.map((r, i) => (
        <div key={`${r.at}-${i}`}>
          <span className="muted">{new Date(r.at).toLocaleTimeString()}</span> {r.text}
        </div>
      ))}
    </div>
  );
}
