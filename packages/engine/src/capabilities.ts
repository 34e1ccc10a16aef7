// Probing the machine once: Open vSwitch (installed? running? kernel or userspace datapath?
// userspace TSO?), and the qdiscs the kernel has (netem, tbf).
//
// Knows: how to find each out for real (a qdisc is tried on the loopback of a throw-away
// namespace), and that qdisc answers hold until the next boot, so they are kept in the state
// directory keyed by the boot id. Leaves to others: what a missing capability means for a lab
// (topology's capabilityIssues).

import { existsSync } from "node:fs";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { NS_PREFIX, type Capabilities } from "@topolab/topology";
import { run } from "./exec";
import { ovsInstalled } from "./ovs";
import { alive } from "./processes";

export const PROBE_NS_PREFIX = `${NS_PREFIX}_probe.`;

async function bootId(): Promise<string> {
  try {
    return (await readFile("/proc/sys/kernel/random/boot_id", "utf8")).trim();
  } catch {
    return "unknown";
  }
}

async function probeQdiscs(): Promise<{ netem: boolean; tbf: boolean }> {
  const ns = `${PROBE_NS_PREFIX}${process.pid}`;
  const add = await run(["ip", "netns", "add", ns]);
  if (add.code !== 0) return { netem: false, tbf: false };
  try {
    const tryQdisc = async (...args: string[]) => (await run(["tc", "-n", ns, "qdisc", "replace", "dev", "lo", "root", ...args])).code === 0;
    const netem = await tryQdisc("netem", "delay", "1ms");
    const tbf = await tryQdisc("tbf", "rate", "1mbit", "burst", "16000", "latency", "50ms");
    return { netem, tbf };
  } finally {
    await run(["ip", "netns", "del", ns]);
  }
}

async function probeOvs(): Promise<Capabilities["ovs"]> {
  const datapath = existsSync("/sys/module/openvswitch") ? "system" : "netdev";
  if (!ovsInstalled()) {
    return { available: false, reason: "Open vSwitch is not installed (apt-get install openvswitch-switch)", datapath, userspaceTso: false };
  }
  // one call answers both: is ovsdb-server there, and how is it set up
  const r = await run(["ovs-vsctl", "--timeout=3", "--format=json", "--columns=ovs_version,other_config", "list", "Open_vSwitch"], { timeoutMs: 5000 });
  if (r.code !== 0) {
    return {
      available: false,
      reason: "Open vSwitch is installed but not running (start it with /usr/share/openvswitch/scripts/ovs-ctl start)",
      datapath,
      userspaceTso: false,
    };
  }
  if (!(await vswitchdRunning())) {
    return {
      available: false,
      reason: "ovsdb-server runs but ovs-vswitchd does not (start it with /usr/share/openvswitch/scripts/ovs-ctl start)",
      datapath,
      userspaceTso: false,
    };
  }
  let version: string | undefined;
  let tso = false;
  try {
    const table = JSON.parse(r.stdout) as { data: unknown[][] };
    const row = table.data[0]!;
    version = String(row[0]).replace(/"/g, "");
    const other = row[1] as [string, [string, string][]];
    tso = other[1].some(([k, v]) => k === "userspace-tso-enable" && v === "true");
  } catch {
    /* an older OVS prints something else; treat TSO as off */
  }
  return { available: true, datapath, userspaceTso: tso, ...(version ? { version } : {}) };
}

async function vswitchdRunning(): Promise<boolean> {
  for (const dir of ["/run/openvswitch", "/var/run/openvswitch"]) {
    try {
      const pid = Number((await readFile(`${dir}/ovs-vswitchd.pid`, "utf8")).trim());
      if (pid > 0 && alive(pid)) return true;
    } catch {
      /* not there */
    }
  }
  return false;
}

function natBackend(): "nft" | "iptables" | null {
  const has = (name: string) => ["/usr/sbin", "/sbin", "/usr/bin", "/usr/local/sbin"].some((d) => existsSync(`${d}/${name}`));
  if (has("nft")) return "nft";
  if (has("iptables")) return "iptables";
  return null;
}

/**
 * Whether br_netfilter passes bridged IPv4 to the root namespace's firewall (Capabilities.bridgeNetfilter).
 * No such file: br_netfilter is not loaded, nothing is passed; any other failed read is an error.
 */
export async function bridgeNetfilter(path = "/proc/sys/net/bridge/bridge-nf-call-iptables"): Promise<boolean> {
  if (!existsSync(path)) return false;
  const v = (await readFile(path, "utf8")).trim();
  if (v !== "0" && v !== "1") throw new Error(`${path}: expected 0 or 1, read ${JSON.stringify(v)}`);
  return v === "1";
}

let cached: Promise<Capabilities> | null = null;

/** The machine's capabilities, probed once per process (qdiscs once per boot). */
export function capabilities(stateDir: string): Promise<Capabilities> {
  cached ??= (async () => {
    const file = `${stateDir}/capabilities.json`;
    const boot = await bootId();
    let qdiscs: { netem: boolean; tbf: boolean } | null = null;
    try {
      const saved = JSON.parse(await readFile(file, "utf8")) as { boot: string; netem: boolean; tbf: boolean };
      if (saved.boot === boot) qdiscs = { netem: saved.netem, tbf: saved.tbf };
    } catch {
      /* not probed yet */
    }
    if (!qdiscs) {
      qdiscs = await probeQdiscs();
      await mkdir(stateDir, { recursive: true });
      await writeFile(file, JSON.stringify({ boot, ...qdiscs }) + "\n");
    }
    return { ovs: await probeOvs(), ...qdiscs, nat: natBackend(), bridgeNetfilter: await bridgeNetfilter() };
  })();
  // a probe that failed is not kept: the next caller probes again (and hears why, if it fails again)
  const probe = cached;
  probe.catch(() => {
    if (cached === probe) cached = null;
  });
  return probe;
}

/** Forget the probe (after starting OVS, for instance). */
export function forgetCapabilities(): void {
  cached = null;
}
