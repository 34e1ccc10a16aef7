// OVS ports as `ovs-vsctl --format=json list Bridge/Port/Interface` print them: VLAN mode,
// tag, trunks, OpenFlow port number, interface type, MAC, link state and statistics. Read by
// runs that name only the asked bridges' rows: the bridges (their ports' uuids) with their
// interfaces' names (list-ifaces), and those ports and interfaces (in the same run when they are
// known from the last read, else in a second).
//
// Knows: ovs-vsctl's JSON table format (["set", …], ["map", …], ["uuid", …]), that an
// empty vlan_mode means "access" with a tag and "trunk" without one, and that list-ifaces
// prints plain names and leaves out a bridge's own interface (named as the bridge).
// Leaves to others: running ovs-vsctl (inspect.ts), the engine's own OVS reads (ovs.ts).

import { ParseError } from "./common";

export interface OvsPortInfo {
  bridge: string;
  name: string;
  /** access, trunk, native-tagged, native-untagged, dot1q-tunnel */
  vlanMode: string;
  tag?: number;
  trunks: number[];
  ofport: number | null;
  /** "" (system), internal, patch */
  type: string;
  mac?: string;
  linkState?: string;
  statistics: Record<string, number>;
}

interface Table {
  headings: string[];
  data: unknown[][];
}

function table(source: string, text: string): Record<string, unknown>[] {
  let t: Table;
  try {
    t = JSON.parse(text) as Table;
  } catch (e) {
    throw new ParseError(source, text.trim() ? `not JSON (${(e as Error).message})` : "no output at all");
  }
  if (!t || !Array.isArray(t.headings) || !Array.isArray(t.data)) throw new ParseError(source, "expected {headings, data}");
  return t.data.map((row) => Object.fromEntries(t.headings.map((h, i) => [h, row[i]])));
}

const atom = (v: unknown): unknown => (Array.isArray(v) && (v[0] === "uuid" || v[0] === "named-uuid") ? v[1] : v);
const set = (v: unknown): unknown[] => (Array.isArray(v) && v[0] === "set" ? (v[1] as unknown[]).map(atom) : [atom(v)]);
const map = (v: unknown): Record<string, unknown> =>
  Array.isArray(v) && v[0] === "map" ? Object.fromEntries((v[1] as [string, unknown][]).map(([k, x]) => [k, atom(x)])) : {};

/**
 * Ports of the bridges in `bridges` (the output of three `list` commands, one table each:
 * Bridge with _uuid,name,ports; Port with _uuid,name,tag,trunks,vlan_mode,interfaces;
 * Interface with _uuid,name,ofport,type,mac_in_use,statistics,link_state).
 */
export function parseOvsPorts(bridgesText: string, portsText: string, interfacesText: string): OvsPortInfo[] {
  const bridges = table("ovs-vsctl list Bridge", bridgesText);
  const ports = new Map(table("ovs-vsctl list Port", portsText).map((p) => [String(atom(p["_uuid"])), p]));
  const ifaces = new Map(table("ovs-vsctl list Interface", interfacesText).map((i) => [String(atom(i["_uuid"])), i]));
  const out: OvsPortInfo[] = [];
  for (const b of bridges) {
    for (const portId of set(b["ports"]).map(String)) {
      const p = ports.get(portId);
      if (!p) continue; // a port of another bridge listed by uuid only: not asked for
      const tag = set(p["tag"])[0];
      const trunks = set(p["trunks"])
        .map(Number)
        .sort((x, y) => x - y);
      const mode = set(p["vlan_mode"])[0];
      const iface = ifaces.get(String(set(p["interfaces"])[0]));
      if (!iface) throw new ParseError("ovs-vsctl list Interface", `port ${String(p["name"])} has no interface row`);
      const ofport = set(iface["ofport"])[0];
      const mac = set(iface["mac_in_use"])[0];
      const linkState = set(iface["link_state"])[0];
      const type = set(iface["type"])[0];
      const stats = map(iface["statistics"]);
      out.push({
        bridge: String(b["name"]),
        name: String(p["name"]),
        vlanMode: typeof mode === "string" ? mode : typeof tag === "number" ? "access" : "trunk",
        ...(typeof tag === "number" ? { tag } : {}),
        trunks,
        ofport: typeof ofport === "number" && ofport >= 0 ? ofport : null,
        type: typeof type === "string" ? type : "",
        ...(typeof mac === "string" ? { mac } : {}),
        ...(typeof linkState === "string" ? { linkState } : {}),
        statistics: Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, Number(v)])),
      });
    }
  }
  return out;
}

/** What the first run names for the second: the Bridge table as printed, its ports' uuids, and the interfaces to read. */
export interface OvsBridgePorts {
  bridges: string;
  ports: string[];
  interfaces: string[];
  /** the tables printed after the names: the Port and Interface rows the same run asked for, when it did */
  rows: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The output of `ovs-vsctl --format=json -- --columns=_uuid,name,ports list Bridge B… -- list-ifaces
 * B… [-- list Port U… -- list Interface N…]`: the Bridge table (its first line), the names of the
 * bridges' interfaces, one a line, then the tables of the rows asked for after them, if any. The
 * interfaces to read are those names and each bridge's own, which list-ifaces leaves out.
 */
export function parseOvsBridgePorts(text: string): OvsBridgePorts {
  const source = "ovs-vsctl list Bridge, list-ifaces";
  const [first = "", ...rest] = text.split("\n").filter((l) => l.trim());
  const bridges = table(source, first);
  const ports: string[] = [];
  const interfaces: string[] = [];
  for (const b of bridges) {
    const name = b["name"];
    if (typeof name !== "string" || !name) throw new ParseError(source, "a bridge without a name");
    interfaces.push(name);
    for (const id of set(b["ports"]).map(String)) {
      if (!UUID.test(id)) throw new ParseError(source, `bridge ${name}: ${JSON.stringify(id)} is not a port's uuid`);
      ports.push(id);
    }
  }
  const tablesAt = rest.findIndex((l) => l.startsWith("{"));
  const names = tablesAt < 0 ? rest : rest.slice(0, tablesAt);
  for (const n of names) {
    const name = n.trim();
    // each becomes an argument of the next ovs-vsctl: one that looks like an option would be taken for one
    if (/\s/.test(name) || name.startsWith("-")) throw new ParseError(source, `${JSON.stringify(name)} is not an interface name`);
    if (!interfaces.includes(name)) interfaces.push(name);
  }
  return { bridges: first, ports, interfaces, rows: tablesAt < 0 ? [] : rest.slice(tablesAt) };
}

/**
 * The rows of the bridges' ports, `ovs-vsctl --format=json -- list Port U… -- list Interface N…`
 * (two tables, one a line; as a run of their own, or after the bridges in the same run), read
 * with the Bridge table: the bridges' ports, as parseOvsPorts.
 */
export function parseOvsPortRows(bridgesText: string, rows: string | string[]): OvsPortInfo[] {
  const tables = (typeof rows === "string" ? rows.split("\n") : rows).filter((l) => l.trim());
  if (tables.length !== 2) throw new ParseError("ovs-vsctl list Port, list Interface", `expected 2 tables, got ${tables.length}`);
  return parseOvsPorts(bridgesText, tables[0]!, tables[1]!);
}
