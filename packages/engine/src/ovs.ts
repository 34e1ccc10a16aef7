// Open vSwitch: reading its database as JSON, and starting it when it is installed but idle.
//
// Knows: ovs-vsctl's JSON table format (["set", …], ["map", …], ["uuid", …]), where Debian
// keeps ovs-ctl, that the userspace datapath needs userspace TSO for TCP to work, and how to
// tell whether the kernel device behind a port is the one ovs-vswitchd really has open (see
// portDeviceProblem: a veth re-created under the name of an existing port is not).
// Leaves to others: what to create (planner) and how to batch it (executor).

import { existsSync, readFileSync } from "node:fs";
import { run } from "./exec";
import { parseProcStat } from "./parse/procstat";

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
  /** the kernel ifindex ovs-vswitchd knows for its device (absent: none) */
  ifindex?: number;
  /** OpenFlow port number: -1 when ovs-vswitchd could not add it, absent while not yet known */
  ofport?: number;
  /** why ovs-vswitchd could not open or configure it */
  error?: string;
  adminState?: string;
  linkState?: string;
}

export interface OvsSnapshot {
  bridges: OvsBridgeRow[];
  ports: Map<string, OvsPortRow>;
  interfaces: Map<string, OvsInterfaceRow>;
}

/** The columns readOvs asks for, table by table (the order parseOvsList expects). */
export const OVS_LIST_ARGS = [
  "--",
  "--columns=_uuid,name,datapath_type,external_ids,stp_enable,ports",
  "list",
  "Bridge",
  "--",
  "--columns=_uuid,name,tag,trunks,external_ids,interfaces",
  "list",
  "Port",
  "--",
  "--columns=_uuid,name,type,options,ifindex,ofport,error,admin_state,link_state",
  "list",
  "Interface",
];

/**
 * One ovs-vsctl call that reads bridges, ports and interfaces. OVS that does not answer is an
 * error saying so: taken for "no bridges", it would have the planner make the lab's switches
 * again and status call them missing.
 */
export async function readOvs(): Promise<OvsSnapshot> {
  const result = await run(["ovs-vsctl", "--timeout=10", "--format=json", ...OVS_LIST_ARGS], { timeoutMs: 15_000 });
  if (result.code !== 0) {
    const why = (result.stderr || result.stdout).trim().split("\n")[0] || `exit ${result.code}`;
    throw new Error(`reading Open vSwitch (ovs-vsctl list Bridge/Port/Interface) failed: ${why}`);
  }
  return parseOvsList(result.stdout);
}

const firstNumber = (v: unknown): number | undefined => {
  const x = ovsSet(v)[0];
  return typeof x === "number" ? x : undefined;
};
const firstString = (v: unknown): string | undefined => {
  const x = ovsSet(v)[0];
  return typeof x === "string" && x !== "" ? x : undefined;
};

/** The three tables of `ovs-vsctl --format=json … list Bridge/Port/Interface`, one JSON object a line. */
export function parseOvsList(stdout: string): OvsSnapshot {
  const lines = stdout.split("\n").filter((l) => l.trim());
  if (lines.length !== 3) throw new Error(`ovs-vsctl list printed ${lines.length} tables where 3 were asked for`);
  const tables = lines.map((l, index) => {
    try {
      return JSON.parse(l) as OvsTable;
    } catch (e) {
      throw new Error(`ovs-vsctl list printed table ${index + 1} as JSON that does not parse: ${(e as Error).message}`);
    }
  });
  const [b, p, i] = tables.map(ovsRows) as [Record<string, unknown>[], Record<string, unknown>[], Record<string, unknown>[]];
  const bridges = b.map((r) => ({
    uuid: String(ovsAtom(r["_uuid"])),
    name: String(r["name"]),
    datapathType: firstString(r["datapath_type"]) ?? "",
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
      trunks: ovsSet(r["trunks"])
        .map(Number)
        .sort((x, y) => x - y),
      externalIds: ovsMap(r["external_ids"]),
      interfaces: ovsSet(r["interfaces"]).map(String),
    });
  }
  const interfaces = new Map<string, OvsInterfaceRow>();
  for (const r of i) {
    const ifindex = firstNumber(r["ifindex"]);
    const ofport = firstNumber(r["ofport"]);
    const error = firstString(r["error"]);
    const adminState = firstString(r["admin_state"]);
    const linkState = firstString(r["link_state"]);
    interfaces.set(String(ovsAtom(r["_uuid"])), {
      uuid: String(ovsAtom(r["_uuid"])),
      name: String(r["name"]),
      type: firstString(r["type"]) ?? "",
      options: ovsMap(r["options"]),
      ...(ifindex !== undefined ? { ifindex } : {}),
      ...(ofport !== undefined ? { ofport } : {}),
      ...(error !== undefined ? { error } : {}),
      ...(adminState !== undefined ? { adminState } : {}),
      ...(linkState !== undefined ? { linkState } : {}),
    });
  }
  return { bridges, ports, interfaces };
}

/** What portDeviceProblem needs of the kernel's device (as `ip -j link` prints it). */
export interface KernelDevice {
  ifindex: number;
  flags: string[];
}

/**
 * Why the kernel device behind a system port is not the one ovs-vswitchd forwards on, or null
 * when it is. Checked, in order: ovs-vswitchd could not add it (ofport -1, the error column);
 * the device is gone; ovs-vswitchd knows another ifindex; the device is not in promiscuous mode.
 *
 * The last is the one that finds a veth re-created behind a port of the same name: both
 * datapaths turn promiscuous mode on when they open a device (dpif-netdev's port_create, the
 * kernel module's vport-netdev), and a new device starts without it. The userspace datapath
 * even updates the Interface's ifindex to the new device's while it keeps receiving on the
 * old one, so ifindex alone does not find it. Internal and patch ports have no such device.
 */
export function portDeviceProblem(iface: OvsInterfaceRow, dev: KernelDevice | undefined): string | null {
  if (iface.type !== "" && iface.type !== "system") return null;
  if (iface.ofport === -1 || iface.error) return `Open vSwitch could not add it: ${iface.error ?? "its OpenFlow port is -1"}`;
  if (!dev) return "its kernel device is missing";
  if (iface.ifindex !== undefined && iface.ifindex > 0 && iface.ifindex !== dev.ifindex) {
    return `Open vSwitch has the device with ifindex ${iface.ifindex} open, the kernel's is ${dev.ifindex}`;
  }
  if (!dev.flags.includes("PROMISC")) return "Open vSwitch does not have its kernel device open (the device was made again behind the port)";
  return null;
}

export const OVS_CTL = "/usr/share/openvswitch/scripts/ovs-ctl";

/** ovs-vswitchd's pid, from its pid file; null when it has none (not running). */
export function ovsVswitchdPid(): number | null {
  try {
    const pid = Number(readFileSync(`${process.env["OVS_RUNDIR"] ?? "/run/openvswitch"}/ovs-vswitchd.pid`, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`) ? pid : null;
  } catch {
    return null;
  }
}

/** The CPU time (user + system, clock ticks) in a /proc/PID/stat line; throws when it is not one. */
export function statCpuTicks(stat: string): number {
  const p = parseProcStat(stat);
  return p.utime + p.stime;
}

/** The CPU time (user + system, clock ticks) of a process; null when it is gone. */
export function cpuTicks(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  return statCpuTicks(stat);
}

/**
 * Watches ovs-vswitchd while something waits for it (an ovs-vsctl transaction waits until
 * ovs-vswitchd has applied it: seconds for a thousand ports on the userspace datapath, longer
 * on a busy machine). Aborts `signal` when ovs-vswitchd is not running or has used no CPU for
 * `stallMs`: it is then not going to finish, whereas a busy one, however slow, is waited for.
 */
export function watchOvsVswitchd(stallMs = 60_000, everyMs = 2_000): { signal: AbortSignal; stop: () => void } {
  const controller = new AbortController();
  let last: number | null = null;
  let since = Date.now();
  const check = () => {
    const pid = ovsVswitchdPid();
    const ticks = pid === null ? null : cpuTicks(pid);
    if (ticks === null) {
      controller.abort("ovs-vswitchd is not running");
      return;
    }
    if (ticks !== last) {
      last = ticks;
      since = Date.now();
    } else if (Date.now() - since >= stallMs) {
      controller.abort(`ovs-vswitchd has done no work for ${Math.round(stallMs / 1000)} s`);
    }
  };
  const timer = setInterval(check, everyMs);
  timer.unref();
  return { signal: controller.signal, stop: () => clearInterval(timer) };
}

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
