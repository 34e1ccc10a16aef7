// `ovs-appctl fdb/show BRIDGE` parsed: the MAC table (OpenFlow port, VLAN, MAC, age).
//
// Knows: the table's header line " port  VLAN  MAC                Age" and its rows; the port
// is an OpenFlow port number or LOCAL; age is seconds or "?" (static entries).
// Leaves to others: mapping port numbers to names (inspect.ts).

import { lines, ParseError } from "./common";

export interface OvsFdbEntry {
  /** OpenFlow port number; 65534 for LOCAL */
  ofport: number;
  vlan: number;
  mac: string;
  /** seconds; null for a static entry */
  age: number | null;
}

const SOURCE = "ovs-appctl fdb/show";

export function parseOvsFdb(text: string): OvsFdbEntry[] {
  const all = lines(text);
  if (!all.length || !/^\s*port\s+VLAN\s+MAC\s+Age\s*$/.test(all[0]!)) throw new ParseError(SOURCE, `no table header in: ${all[0] ?? "(empty)"}`);
  return all.slice(1).map((line) => {
    const m = /^\s*(\d+|LOCAL)\s+(\d+)\s+([0-9a-f:]{17})\s+(\d+|\?)\s*$/i.exec(line);
    if (!m) throw new ParseError(SOURCE, `a row that is not "port VLAN MAC Age": ${line}`);
    return { ofport: m[1] === "LOCAL" ? 65534 : Number(m[1]), vlan: Number(m[2]), mac: m[3]!.toLowerCase(), age: m[4] === "?" ? null : Number(m[4]) };
  });
}
