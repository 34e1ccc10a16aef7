// Open vSwitch: reading its database as JSON, and starting it when it is installed but idle.
//
// Knows: ovs-vsctl's JSON table format (["set", …], ["map", …], ["uuid", …]), where Debian
// keeps ovs-ctl, and that the userspace datapath needs userspace TSO for TCP to work.
// Leaves to others: what to create (planner) and how to batch it (executor).

import { existsSync } from "node:fs";
import { run } from "./exec";

type OvsValue = unknown;

/** ["set", [a, b]] -> [a, b]; ["set", []] -> []; a scalar -> [scalar]. */
export function ovsSet(v: OvsValue): unknown[] {
  if (Array.isArray(v) && v[0] === "set") return (v[1] as unknown[]).map(ovsAtom);
  return [ovsAtom(v)];
}

/** ["map", [[k, v], …]] -> {k: v}. */
export function ovsMap(v: OvsValue): Record<string, string> {
  if (Array.isArray(v) && v[0] === "map") return Object.fromEntries((v[1] as [string, unknown][]).map(([k, x]) => [k, String(ovsAtom(x))]));
  return {};
}

/** ["uuid", "…"] -> "…"; other atoms as they are. */
export function ovsAtom(v: OvsValue): unknown {
  if (Array.isArray(v) && (v[0] === "uuid" || v[0] === "named-uuid")) return v[1];
  return v;
}

export interface OvsTable {
  headings: string[];
  data: unknown[][];
}

/** Rows of one `--format=json list` output as objects keyed by column. */
export function ovsRows(table: OvsTable): Record<string, unknown>[] {
  return table.data.map((row) => Object.fromEntries(table.headings.map((h, i) => [h, row[i]])));
}

export interface OvsBridgeRow {
  uuid: string;
  name: string;
  datapathType: string;
  externalIds: Record<string, string>;
  stp: boolean;
  ports: string[];
}
export interface OvsPortRow {
  uuid: string;
  name: string;
  tag?: number;
  trunks: number[];
  externalIds: Record<string, string>;
  interfaces: string[];
}
export interface OvsInterfaceRow {
  uuid: string;
  name: string;
  type: string;
  options: Record<string, string>;
}

export interface OvsSnapshot {
  bridges: OvsBridgeRow[];
  ports: Map<string, OvsPortRow>;
  interfaces: Map<string, OvsInterfaceRow>;
}

/** One ovs-vsctl call that reads bridges, ports and interfaces; null when OVS does not answer. */
export async function readOvs(): Promise<OvsSnapshot | null> {
  const result = await run(
    [
      "ovs-vsctl",
      "--timeout=10",
      "--format=json",
      "--",
      "--columns=_uuid,name,datapath_type,external_ids,stp_enable,ports",
      "list",
      "Bridge",
      "--",
      "--columns=_uuid,name,tag,trunks,external_ids,interfaces",
      "list",
      "Port",
      "--",
      "--columns=_uuid,name,type,options",
      "list",
      "Interface",
    ],
    { timeoutMs: 15_000 },
  );
  if (result.code !== 0) return null;
  const tables = result.stdout
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as OvsTable);
  const [b, p, i] = tables.map(ovsRows) as [Record<string, unknown>[], Record<string, unknown>[], Record<string, unknown>[]];
  const bridges = b.map((r) => ({
    uuid: String(ovsAtom(r["_uuid"])),
    name: String(r["name"]),
    datapathType: String(r["datapath_type"] ?? ""),
    externalIds: ovsMap(r["external_ids"]),
    stp: r["stp_enable"] === true,
    ports: ovsSet(r["ports"]).map(String),
  }));
  const ports = new Map<string, OvsPortRow>();
  for (const r of p) {
    const tag = ovsSet(r["tag"])[0];
    ports.set(String(ovsAtom(r["_uuid"])), {
      uuid: String(ovsAtom(r["_uuid"])),
      name: String(r["name"]),
      ...(typeof tag === "number" ? { tag } : {}),
      trunks: ovsSet(r["trunks"]).map(Number).sort((x, y) => x - y),
      externalIds: ovsMap(r["external_ids"]),
      interfaces: ovsSet(r["interfaces"]).map(String),
    });
  }
  const interfaces = new Map<string, OvsInterfaceRow>();
  for (const r of i) {
    interfaces.set(String(ovsAtom(r["_uuid"])), {
      uuid: String(ovsAtom(r["_uuid"])),
      name: String(r["name"]),
      type: String(r["type"] ?? ""),
      options: ovsMap(r["options"]),
    });
  }
  return { bridges, ports, interfaces };
}

export const OVS_CTL = "/usr/share/openvswitch/scripts/ovs-ctl";

export function ovsInstalled(): boolean {
  return ["/usr/bin/ovs-vsctl", "/usr/sbin/ovs-vsctl", "/usr/local/bin/ovs-vsctl"].some((p) => existsSync(p));
}

export async function ovsAnswers(): Promise<boolean> {
  const r = await run(["ovs-vsctl", "--timeout=3", "get", "Open_vSwitch", ".", "ovs_version"], { timeoutMs: 5000 });
  return r.code === 0;
}

/**
 * Starts Open vSwitch when it is installed and not running: the database first, userspace TSO
 * on when there is no kernel module (without it TCP through the userspace datapath fails on
 * checksums), then ovs-vswitchd. Returns what it did, in a sentence.
 */
export async function ensureOvsRunning(): Promise<string> {
  if (!ovsInstalled()) return "Open vSwitch is not installed";
  if (await ovsAnswers()) return "Open vSwitch is running";
  if (!existsSync(OVS_CTL)) return `Open vSwitch is installed but not running, and ${OVS_CTL} is missing`;
  const db = await run([OVS_CTL, "--no-ovs-vswitchd", "start", "--system-id=random"], { timeoutMs: 60_000 });
  if (db.code !== 0) return `could not start ovsdb-server: ${db.stderr.trim()}`;
  if (!existsSync("/sys/module/openvswitch")) {
    await run(["ovs-vsctl", "--no-wait", "set", "Open_vSwitch", ".", "other_config:userspace-tso-enable=true"]);
  }
  const sw = await run([OVS_CTL, "--no-ovsdb-server", "start", "--system-id=random"], { timeoutMs: 60_000 });
  if (sw.code !== 0) return `could not start ovs-vswitchd: ${sw.stderr.trim()}`;
  return "started Open vSwitch";
}
