// OVS ports as `ovs-vsctl --format=json list Bridge/Port/Interface` print them: VLAN mode,
// tag, trunks, OpenFlow port number, interface type, MAC, link state and statistics.
//
// Knows: ovs-vsctl's JSON table format (["set", …], ["map", …], ["uuid", …]) and that an
// empty vlan_mode means "access" with a tag and "trunk" without one.
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
