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
// Knows: the shape of live:inspect's answer (the engine's NodeInspect), what each tab shows.
// Leaves to others: the tab strip (InspectorTabs), the live state (liveStore), edits (labStore).

import { useEffect, useMemo, useState } from "react";
import type { Drift, LiveNode } from "@topolab/protocol";
import type { LabNode, Link } from "@topolab/topology";
import { connection } from "../lib/connection";
import { useStore } from "../lib/emitter";
import { reasonOf, toast } from "../lib/toasts";
import { formatBps, type LinkLive } from "./edges";
import type { LiveContextValue } from "./LiveProvider";
import { PingAllTab } from "./PingAllTab";
import type { LiveState, LiveStore } from "./liveStore";
import { adoptNode, type TabId } from "./tabs";

// ---- live:inspect's answer, as far as the tabs read it (the engine's NodeInspect) ----

interface Counters {
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}
interface AddressView {
  family: "inet" | "inet6";
  cidr: string;
  scope: string;
  dynamic: boolean;
}
interface IfaceView {
  name: string;
  interface?: string;
  kind: string;
  adminUp: boolean;
  carrier: boolean;
  operstate: string;
  mac: string;
  mtu: number;
  addresses: AddressView[];
  counters: Counters | null;
  peer?: string;
  endpoint?: string;
}
interface RouteView {
  family: 4 | 6;
  to: string;
  via?: string;
  dev?: string;
  proto: string;
  table: string;
  type: string;
  metric?: number;
  scope?: string;
  src?: string;
}
interface NeighbourView {
  family: 4 | 6;
  address: string;
  dev: string;
  mac?: string;
  state: string;
  router: boolean;
}
interface SocketView {
  protocol: string;
  state: string;
  address: string;
  port: number;
  processes: { name: string; pid: number }[];
}
interface HostView {
  kind: "host" | "router";
  node: string;
  ns: string;
  interfaces: IfaceView[];
  routes: RouteView[];
  neighbours: NeighbourView[];
  sockets: SocketView[];
  processes: { pid: number; name: string; command: string }[];
}
interface OvsView {
  kind: "ovs";
  node: string;
  bridge: string;
  ports: {
    name: string;
    vlanMode: string;
    tag?: number;
    trunks: number[];
    ofport: number | null;
    type: string;
    linkState?: string;
    endpoint?: string;
    peer?: string;
  }[];
  macs: { mac: string; vlan: number; port: string; ofport: number; age: number | null; endpoint?: string; peer?: string; owner?: string }[];
}
interface BridgeView {
  kind: "bridge";
  node: string;
  bridge: string;
  ports: IfaceView[];
  fdb: { mac: string; port: string; vlan?: number; learned: boolean; state: string; endpoint?: string; peer?: string }[];
}
type NodeView = HostView | OvsView | BridgeView;

/** Tabs whose content the kernel announces no change of: read again this often while shown. */
const POLL_MS: Partial<Record<TabId, number>> = { sockets: 3000, processes: 3000, fdb: 3000, macs: 5000 };

/**
 * The node read from the kernel while `active`: again after each kernel change of it (its live
 * node or MAC table), every `pollMs` if given; one request at a time, the last one wins.
 */
function useInspect(lab: string, live: LiveStore, node: string, active: boolean, pollMs: number | undefined) {
  const [data, setData] = useState<NodeView | null>(null);
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
        setData(x as unknown as NodeView);
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
  if (data.kind === "ovs")
    return tab === "macs" ? (
      <>
        {stale}
        <OvsMacs view={data} />
      </>
    ) : (
      <>
        {stale}
        <OvsPorts view={data} state={s} />
      </>
    );
  if (data.kind === "bridge")
    return tab === "fdb" ? (
      <>
        {stale}
        <BridgeFdb view={data} />
      </>
    ) : (
      <>
        {stale}
        <BridgePorts view={data} state={s} />
      </>
    );
  if (tab === "sockets")
    return (
      <>
        {stale}
        <Sockets view={data} />
      </>
    );
  if (tab === "processes")
    return (
      <>
        {stale}
        <Processes view={data} />
      </>
    );
  return (
    <>
      {stale}
      <Interfaces view={data} liveNode={liveNode ?? null} state={s} />
    </>
  );
}

function Interfaces({ view, liveNode, state }: { view: HostView; liveNode: LiveNode | null; state: LiveState }) {
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
              <table className="live-counters" data-testid={`live-iface-counters-${name}`}>
                <thead>
                  <tr>
                    <th />
                    <th>bytes</th>
                    <th>packets</th>
                    <th>drop</th>
                    <th>err</th>
                    <th>rate</th>
                  </tr>
                </thead>
                <tbody>
                  <tr>
                    <th>rx</th>
                    <td>{bytes(c.rxBytes)}</td>
                    <td>{c.rxPackets}</td>
                    <td className={c.rxDropped ? "live-warn" : ""}>{c.rxDropped}</td>
                    <td className={c.rxErrors ? "live-warn" : ""}>{c.rxErrors}</td>
                    <td data-testid={`live-iface-rxrate-${name}`}>{r ? `${formatBps(r.rxBps)} · ${Math.round(r.rxPps)} p/s` : "–"}</td>
                  </tr>
                  <tr>
                    <th>tx</th>
                    <td>{bytes(c.txBytes)}</td>
                    <td>{c.txPackets}</td>
                    <td className={c.txDropped ? "live-warn" : ""}>{c.txDropped}</td>
                    <td className={c.txErrors ? "live-warn" : ""}>{c.txErrors}</td>
                    <td>{r ? `${formatBps(r.txBps)} · ${Math.round(r.txPps)} p/s` : "–"}</td>
                  </tr>
                </tbody>
              </table>
            )}
          </section>
        );
      })}
    </div>
  );
}

/** kernel names of a node's interfaces -> the lab's (internal ports differ) */
const labNames = (node: LiveNode) => new Map(node.interfaces.map((i) => [i.name, i.interface ?? i.name]));

function Routes({ routes, node }: { routes: LiveNode["routes"]; node: LiveNode }) {
  const names = labNames(node);
  const main = routes.filter((r) => r.table === "main");
  const [all, setAll] = useState(false);
  const shown = all ? routes : main;
  return (
    <div className="live-scroll">
      <label className="small live-option">
        <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} data-testid="live-routes-all" /> every table (local, too)
      </label>
      {([4, 6] as const).map((family) => {
        const list = shown.filter((r) => r.family === family);
        return (
          <div key={family}>
            <h4>IPv{family}</h4>
            {list.length === 0 ? (
              <p className="muted small">no routes</p>
            ) : (
              <table className="live-table" data-testid={`live-routes-${family}`}>
                <thead>
                  <tr>
                    <th>to</th>
                    <th>via</th>
                    <th>dev</th>
                    <th>proto</th>
                    {all && <th>table</th>}
                  </tr>
                </thead>
                <tbody>
                  {list.map((r, k) => (
                    <tr key={`${r.table}-${r.to}-${r.via ?? ""}-${r.dev ?? ""}-${k}`} data-testid="live-route">
                      <td>
                        {r.type !== "unicast" ? `${r.type} ` : ""}
                        {r.to === "0.0.0.0/0" || r.to === "::/0" ? "default" : r.to}
                      </td>
                      <td>{r.via ?? ""}</td>
                      <td>{r.dev ? (names.get(r.dev) ?? r.dev) : ""}</td>
                      <td>
                        <span className={`live-proto proto-${r.proto}`} title={PROTO_TITLE[r.proto] ?? r.proto}>
                          {r.proto}
                        </span>
                        {r.metric ? <span className="muted small"> m{r.metric}</span> : null}
                      </td>
                      {all && <td>{r.table}</td>}
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        );
      })}
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
  if (!node.neighbours.length) return <p className="muted">no neighbours yet (they come with traffic: ping one)</p>;
  return (
    <div className="live-scroll">
      <table className="live-table" data-testid="live-neighbours">
        <thead>
          <tr>
            <th>address</th>
            <th>MAC</th>
            <th>dev</th>
            <th>state</th>
          </tr>
        </thead>
        <tbody>
          {[...node.neighbours]
            .sort((a, b) => a.family - b.family)
            .map((n) => (
              <tr key={`${n.address}-${n.dev}`} data-testid="live-neighbour">
                <td>
                  {n.address}
                  {n.router ? <span className="muted small"> router</span> : null}
                </td>
                <td>
                  <code>{n.mac ?? ""}</code>
                </td>
                <td>{names.get(n.dev) ?? n.dev}</td>
                <td className={n.state === "FAILED" || n.state === "INCOMPLETE" ? "live-warn" : ""}>{n.state}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </div>
  );
}

function Sockets({ view }: { view: HostView }) {
  if (!view.sockets.length) return <p className="muted">nothing listens in {view.node}</p>;
  return (
    <div className="live-scroll">
      <table className="live-table" data-testid="live-sockets">
        <thead>
          <tr>
            <th>proto</th>
            <th>address</th>
            <th>process</th>
          </tr>
        </thead>
        <tbody>
          {view.sockets.map((x, k) => (
            <tr key={`${x.protocol}-${x.address}-${x.port}-${k}`}>
              <td>{x.protocol}</td>
              <td>
                <code>{x.address.includes(":") ? `[${x.address}]` : x.address}</code>:{x.port}
              </td>
              <td>{x.processes.map((p) => `${p.name} (${p.pid})`).join(", ")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Processes({ view }: { view: HostView }) {
  if (!view.processes.length) return <p className="muted">no process runs in {view.node}</p>;
  return (
    <div className="live-scroll">
      <table className="live-table" data-testid="live-processes">
        <thead>
          <tr>
            <th>pid</th>
            <th>command</th>
          </tr>
        </thead>
        <tbody>
          {view.processes.map((p) => (
            <tr key={p.pid}>
              <td>{p.pid}</td>
              <td className="live-wrap">
                <code>{p.command || p.name}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A switch end's state from the live state (the root-side port). */
function portState(state: LiveState, endpoint: string | undefined): string {
  const p = endpoint ? state.ports.find((x) => x.endpoint === endpoint) : undefined;
  return p ? ifState(p.adminUp, p.carrier) : "";
}

/** A switch's end without the switch's name ("eth1" for ovs1:eth1), and what is at its other end. */
function PortCell({ node, endpoint, name, to }: { node: string; endpoint?: string; name: string; to?: string }) {
  const local = endpoint?.startsWith(`${node}:`) ? endpoint.slice(node.length + 1) : (endpoint ?? name);
  return (
    <td className="live-wrap" title={`${endpoint ?? name} (kernel name ${name})${to ? `, to ${to}` : ""}`}>
      {local}
      {to ? <span className="muted live-to"> → {to}</span> : null}
    </td>
  );
}

function OvsPorts({ view, state }: { view: OvsView; state: LiveState }) {
  return (
    <div className="live-scroll">
      <p className="muted small">
        bridge <code>{view.bridge}</code>
      </p>
      <table className="live-table" data-testid="live-ports">
        <thead>
          <tr>
            <th>port → to</th>
            <th title="OpenFlow port number">ofport</th>
            <th>VLAN</th>
            <th>state</th>
          </tr>
        </thead>
        <tbody>
          {view.ports.map((p) => {
            const st = portState(state, p.endpoint);
            return (
              <tr key={p.name} data-testid={`live-port-${p.endpoint ?? p.name}`}>
                <PortCell node={view.node} endpoint={p.endpoint} name={p.name} {...(p.peer ? { to: p.peer } : {})} />
                <td data-testid="live-port-ofport">{p.ofport ?? "–"}</td>
                <td>
                  {p.vlanMode}
                  {p.tag !== undefined ? ` ${p.tag}` : ""}
                  {p.trunks.length ? ` [${p.trunks.join(",")}]` : ""}
                </td>
                <td className={st && st !== "UP" ? "live-warn" : ""}>{st || p.linkState || ""}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function OvsMacs({ view }: { view: OvsView }) {
  if (!view.macs.length) return <p className="muted">the MAC table is empty (it learns from traffic: ping between hosts)</p>;
  return (
    <div className="live-scroll">
      <table className="live-table" data-testid="live-macs">
        <thead>
          <tr>
            <th>MAC</th>
            <th>VLAN</th>
            <th title="the port it was learned on → whose MAC it is">port → owner</th>
            <th>age</th>
          </tr>
        </thead>
        <tbody>
          {view.macs.map((m) => (
            <tr key={`${m.mac}-${m.vlan}`} data-testid={`live-mac-${m.mac}`}>
              <td>
                <code>{m.mac}</code>
              </td>
              <td>{m.vlan}</td>
              <PortCell node={view.node} endpoint={m.endpoint} name={m.port} {...(m.owner || m.peer ? { to: m.owner ?? m.peer! } : {})} />
              <td>{m.age === null ? "static" : `${m.age} s`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function BridgePorts({ view, state }: { view: BridgeView; state: LiveState }) {
  return (
    <div className="live-scroll">
      <p className="muted small">
        bridge <code>{view.bridge}</code>
      </p>
      <table className="live-table" data-testid="live-ports">
        <thead>
          <tr>
            <th>port → to</th>
            <th>MAC</th>
            <th>state</th>
          </tr>
        </thead>
        <tbody>
          {view.ports.map((p) => {
            const st = portState(state, p.endpoint) || ifState(p.adminUp, p.carrier);
            return (
              <tr key={p.name} data-testid={`live-port-${p.endpoint ?? p.name}`}>
                <PortCell node={view.node} endpoint={p.endpoint} name={p.name} {...(p.peer ? { to: p.peer } : {})} />
                <td>
                  <code>{p.mac}</code>
                </td>
                <td className={st !== "UP" ? "live-warn" : ""}>{st}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function BridgeFdb({ view }: { view: BridgeView }) {
  const [all, setAll] = useState(false);
  const shown = view.fdb.filter((f) => all || f.learned);
  const vlans = shown.some((f) => f.vlan !== undefined);
  return (
    <div className="live-scroll">
      <label className="small live-option">
        <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} data-testid="live-fdb-all" /> permanent entries too (
        {view.fdb.length - view.fdb.filter((f) => f.learned).length})
      </label>
      {shown.length === 0 ? (
        <p className="muted">nothing learned yet (the bridge learns from traffic: ping between hosts)</p>
      ) : (
        <table className="live-table" data-testid="live-fdb">
          <thead>
            <tr>
              <th>MAC</th>
              <th>port → to</th>
              {vlans && <th>VLAN</th>}
              <th>entry</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((f, k) => (
              <tr key={`${f.mac}-${f.port}-${f.vlan ?? ""}-${k}`} data-testid={`live-fdb-${f.mac}`}>
                <td>
                  <code>{f.mac}</code>
                </td>
                <PortCell node={view.node} endpoint={f.endpoint} name={f.port} {...(f.peer ? { to: f.peer } : {})} />
                {vlans && <td>{f.vlan ?? ""}</td>}
                <td>{f.learned ? "learned" : f.state}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
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
      <table className="live-table">
        <thead>
          <tr>
            <th>end</th>
            <th>state</th>
            <th>rx</th>
            <th>tx</th>
          </tr>
        </thead>
        <tbody>
          {ends.map((e) => {
            const c = counters[e];
            const r = rates[e];
            const st = endOf(e);
            return (
              <tr key={e} data-testid={`live-link-end-${e}`}>
                <td>{e}</td>
                <td className={st === "UP" ? "" : "live-warn"}>{st}</td>
                <td title={c ? `${c.rxPackets} packets, ${c.rxDropped} dropped, ${c.rxErrors} errors` : undefined}>
                  {c ? bytes(c.rxBytes) : "–"}
                  {r ? ` · ${formatBps(r.rxBps)}` : ""}
                </td>
                <td title={c ? `${c.txPackets} packets, ${c.txDropped} dropped, ${c.txErrors} errors` : undefined}>
                  {c ? bytes(c.txBytes) : "–"}
                  {r ? ` · ${formatBps(r.txBps)}` : ""}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
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
      <table className="live-table" data-testid="live-links">
        <thead>
          <tr>
            <th>link</th>
            <th>state</th>
            <th>traffic</th>
          </tr>
        </thead>
        <tbody>
          {list.map((l) => (
            <tr key={l.id} data-testid={`live-link-${l.id}`} data-broken={l.broken}>
              <td>{l.id.replace("|", " — ")}</td>
              <td className={l.broken ? "live-broken live-wrap" : ""}>
                {l.broken ? `broken: ${l.reason}` : "up"}
                {l.loss !== undefined ? ` · loss ${l.loss} %` : ""}
              </td>
              <td>{formatBps(l.bps)}</td>
            </tr>
          ))}
        </tbody>
      </table>
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
