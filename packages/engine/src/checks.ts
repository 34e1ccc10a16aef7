// Exercise checks, the pure half: what to run for each check, and what its output means.
//
// Knows: for each kind of check (exercise.ts in the topology package), the probes that answer
// it (argument vectors run inside a node's namespace, or in the root namespace for a switch,
// or a file to read), and how to judge what they printed: pass or fail, with what was seen in
// words a student understands ("expected 10.50.50.0/24 on red:eth0, found none").
// Leaves to others: running the probes, with time limits and retries (check-runner.ts).

import { canonicalIp, contains, parseCidr, parseIp, splitNodeIf, type Check, type Cidr } from "@topolab/topology";
import { parseDhclientLease } from "./status";

/** One thing to run or read for a check. `ns` null: the root namespace. */
export type Probe = { type: "run"; ns: string | null; argv: string[]; timeoutMs: number } | { type: "file"; path: string };

/** What a probe gave: the exit status and output of a program, or a file's text (null: missing). */
export type ProbeResult = { type: "run"; code: number; stdout: string; stderr: string; timedOut?: boolean } | { type: "file"; text: string | null };

export interface CheckOutcome {
  status: "pass" | "fail";
  /** what was seen, in one sentence */
  seen: string;
}

/** Where a lab's objects live, as the runner knows them. */
export interface ProbeContext {
  ns(node: string): string;
  /** kernel name of a switch's bridge */
  bridge(node: string): string;
  /** "ovs" or "bridge" */
  switchType(node: string): "ovs" | "bridge";
  /** kernel name of a switch's port for the link on `ifname` of that switch */
  switchPort(node: string, ifname: string): string;
  /** the DHCP client's lease file of a node's interface */
  leaseFile(node: string, ifname: string): string;
}

// A TCP connect and an HTTP GET, in Python (python3 is there wherever topolab is set up). The
// scripts are constants; the address, port and path are arguments, never part of the code.
const TCP_SCRIPT =
  "import socket,sys\ntry:\n s=socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=float(sys.argv[3]))\n s.close();print('connected')\nexcept Exception as e:\n print(type(e).__name__+': '+str(e));sys.exit(1)";
const HTTP_SCRIPT =
  "import http.client,sys\ntry:\n c=http.client.HTTPConnection(sys.argv[1],int(sys.argv[2]),timeout=float(sys.argv[4]))\n c.request('GET',sys.argv[3]);r=c.getresponse();print(r.status)\nexcept Exception as e:\n print(type(e).__name__+': '+str(e));sys.exit(1)";

const PROBE_TIMEOUT_MS = 3000;

/** The probes that answer a check, in order. */
export function probesFor(check: Check, ctx: ProbeContext): Probe[] {
  const runIn = (node: string, argv: string[], timeoutMs = PROBE_TIMEOUT_MS): Probe => ({ type: "run", ns: ctx.ns(node), argv, timeoutMs });
  switch (check.kind) {
    case "reach":
      if (check.protocol === "tcp") return [runIn(check.from, ["python3", "-c", TCP_SCRIPT, check.to, String(check.port), "2"])];
      // a ping every 0.2 s until the first reply or the deadline: a lost packet on a busy
      // machine is no proof of a wall, so "must not reach" waits longer
      return [runIn(check.from, ["ping", "-c", "1", "-i", "0.2", "-w", check.expect === "failure" ? "3" : "2", "-n", check.to], 5000)];
    case "http":
      return [runIn(check.from, ["python3", "-c", HTTP_SCRIPT, check.to, String(check.port ?? 80), check.path ?? "/", "2"])];
    case "address":
      return [runIn(check.node, ["ip", "-j", "addr", "show", "dev", check.interface])];
    case "lease":
      return [{ type: "file", path: ctx.leaseFile(check.node, check.interface) }, runIn(check.node, ["ip", "-j", "addr", "show", "dev", check.interface])];
    case "route":
      return [runIn(check.node, ["ip", "-j", "route", "get", check.to])];
    case "listen":
      return [runIn(check.node, ["ss", "-H", "-n", check.protocol === "udp" ? "-lu" : "-lt"])];
    case "neighbour": {
      const neigh = runIn(check.node, ["ip", "-j", "neigh", "show", "to", check.address]);
      return check.ping ? [runIn(check.node, ["ping", "-c", "1", "-i", "0.2", "-w", "2", "-n", check.address], 5000), neigh] : [neigh];
    }
    case "sysctl":
      return [runIn(check.node, ["sysctl", "-n", check.key])];
    case "command":
      return [runIn(check.node, check.command, 10_000)];
    case "mac-table": {
      const host = splitNodeIf(check.host)!;
      const mac = runIn(host.node, ["ip", "-j", "link", "show", "dev", host.interface]);
      const br = ctx.bridge(check.switch);
      if (ctx.switchType(check.switch) === "ovs") {
        return [
          mac,
          { type: "run", ns: null, argv: ["ovs-appctl", "fdb/show", br], timeoutMs: PROBE_TIMEOUT_MS },
          { type: "run", ns: null, argv: ["ovs-vsctl", "--format=json", "--columns=name,ofport", "list", "Interface"], timeoutMs: PROBE_TIMEOUT_MS },
        ];
      }
      return [mac, { type: "run", ns: null, argv: ["bridge", "-j", "fdb", "show", "br", br], timeoutMs: PROBE_TIMEOUT_MS }];
    }
  }
}

const pass = (seen: string): CheckOutcome => ({ status: "pass", seen });
const fail = (seen: string): CheckOutcome => ({ status: "fail", seen });

function firstLine(text: string): string {
  return (
    text
      .trim()
      .split("\n")
      .find((l) => l.trim()) ?? ""
  );
}

/** A probe program that could not run or answer: said plainly, never judged as the student's fault. */
export class ProbeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProbeError";
  }
}

function runResult(r: ProbeResult | undefined, what: string): Extract<ProbeResult, { type: "run" }> {
  if (!r || r.type !== "run") throw new ProbeError(`${what}: no result`);
  if (r.code === 127 && !r.stdout) throw new ProbeError(`${what} could not be started: ${firstLine(r.stderr) || "not found"}`);
  return r;
}

function json<T>(r: Extract<ProbeResult, { type: "run" }>, what: string): T {
  try {
    return JSON.parse(r.stdout || "[]") as T;
  } catch {
    throw new ProbeError(`${what} printed something that is not JSON: ${firstLine(r.stdout).slice(0, 120)}`);
  }
}

interface AddrJson {
  ifname?: string;
  address?: string;
  addr_info?: { family: string; local: string; prefixlen: number; dynamic?: boolean }[];
}

const where = (node: string, ifname: string) => `${node}:${ifname}`;

/** Kernel names the runner resolved for a check: the expected switch port, and kernel name -> "switch:ifname". */
export interface JudgeContext {
  portName?: string;
  portNames?: Map<string, string>;
}

/** Judges a check from its probes' results. Throws ProbeError when a probe itself broke. */
export function judge(check: Check, results: ProbeResult[], known: JudgeContext = {}): CheckOutcome {
  const expectOk = !("expect" in check) || check.expect !== "failure";
  switch (check.kind) {
    case "reach": {
      const r = runResult(results[0], check.protocol === "tcp" ? "the TCP probe" : "ping");
      const reached = r.code === 0;
      const target = check.protocol === "tcp" ? `${check.to} port ${check.port}` : check.to;
      const detail =
        check.protocol === "tcp"
          ? firstLine(r.stdout) || firstLine(r.stderr)
          : reached
            ? (/time=([\d.]+ ms)/.exec(r.stdout)?.[1] ?? "reply")
            : r.code === 2 && /name resolution|resolve|unknown host|Name or service/i.test(r.stderr)
              ? `the name ${check.to} does not resolve`
              : /unreachable/i.test(r.stdout + r.stderr)
                ? "destination unreachable"
                : firstLine(r.stderr) || "no reply";
      if (expectOk) return reached ? pass(`${check.from} reaches ${target} (${detail})`) : fail(`${check.from} does not reach ${target}: ${detail}`);
      return reached ? fail(`${check.from} reaches ${target}, and must not`) : pass(`${check.from} does not reach ${target} (${detail})`);
    }
    case "http": {
      const r = runResult(results[0], "the HTTP probe");
      const want = check.status ?? 200;
      const port = check.port ?? 80;
      const url = `http://${check.to}:${port}${check.path ?? "/"}`;
      const got = r.code === 0 ? Number(firstLine(r.stdout)) : null;
      if (!expectOk)
        return got === null
          ? pass(`${url} does not answer ${check.from} (${firstLine(r.stdout)})`)
          : fail(`${url} answers ${check.from} with ${got}, and must not answer`);
      if (got === null) return fail(`${url} does not answer ${check.from}: ${firstLine(r.stdout) || firstLine(r.stderr)}`);
      return got === want ? pass(`${url} answers ${want}`) : fail(`expected ${want} from ${url}, got ${got}`);
    }
    case "address": {
      const r = runResult(results[0], "ip addr");
      if (r.code !== 0) return fail(`${where(check.node, check.interface)} is not there: ${firstLine(r.stderr)}`);
      const addrs = (json<AddrJson[]>(r, "ip addr")[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
      const shown = addrs.filter((a) => !a.startsWith("fe80:")).join(", ") || "none";
      if (check.address !== undefined) {
        const want = check.address;
        const ok = want.includes("/") ? addrs.includes(want) : addrs.some((a) => a.split("/")[0] === want);
        if (!ok) return fail(`expected ${want} on ${where(check.node, check.interface)}, found ${shown}`);
      }
      if (check.subnet !== undefined) {
        const net = parseCidr(check.subnet) as Cidr;
        const inNet = addrs.filter((a) => {
          const ip = parseIp(a.split("/")[0]!);
          return ip && contains(net, ip);
        });
        if (!inNet.length) return fail(`expected an address in ${check.subnet} on ${where(check.node, check.interface)}, found ${shown}`);
      }
      return pass(`${where(check.node, check.interface)} has ${shown}`);
    }
    case "lease": {
      const file = results[0];
      const lease = file && file.type === "file" && file.text ? parseDhclientLease(file.text) : null;
      if (!lease) return fail(`${where(check.node, check.interface)} holds no DHCP lease`);
      const r = runResult(results[1], "ip addr");
      const on = (r.code === 0 ? (json<AddrJson[]>(r, "ip addr")[0]?.addr_info ?? []) : []).some((a) => a.local === lease.address);
      if (!on) return fail(`${where(check.node, check.interface)} was leased ${lease.address}, but the address is not on the interface`);
      if (check.server !== undefined && lease.server !== canonicalIp(check.server)) {
        return fail(`expected a lease from ${check.server} on ${where(check.node, check.interface)}, found one from ${lease.server ?? "an unknown server"}`);
      }
      if (check.subnet !== undefined) {
        const ip = parseIp(lease.address);
        if (!ip || !contains(parseCidr(check.subnet) as Cidr, ip))
          return fail(`expected a lease in ${check.subnet} on ${where(check.node, check.interface)}, found ${lease.address}`);
      }
      return pass(`${where(check.node, check.interface)} leased ${lease.address}${lease.server ? ` from ${lease.server}` : ""}`);
    }
    case "route": {
      const r = runResult(results[0], "ip route get");
      if (r.code !== 0) return fail(`${check.node} has no route to ${check.to}: ${firstLine(r.stderr)}`);
      const route = json<{ gateway?: string; dev?: string }[]>(r, "ip route get")[0] ?? {};
      const how = `via ${route.gateway ?? "no gateway (on-link)"} dev ${route.dev ?? "?"}`;
      if (check.via !== undefined && route.gateway !== canonicalIp(check.via))
        return fail(`expected ${check.node}'s route to ${check.to} via ${check.via}, found ${how}`);
      if (check.dev !== undefined && route.dev !== check.dev) return fail(`expected ${check.node}'s route to ${check.to} out of ${check.dev}, found ${how}`);
      return pass(`${check.node} reaches ${check.to} ${how}`);
    }
    case "listen": {
      const r = runResult(results[0], "ss");
      if (r.code !== 0) throw new ProbeError(`ss failed in ${check.node}: ${firstLine(r.stderr)}`);
      const ports = listeningPorts(r.stdout);
      const proto = (check.protocol ?? "tcp").toUpperCase();
      const listening = ports.has(check.port);
      if (expectOk)
        return listening
          ? pass(`${check.node} listens on ${proto} port ${check.port}`)
          : fail(`nothing in ${check.node} listens on ${proto} port ${check.port}`);
      return listening
        ? fail(`${check.node} listens on ${proto} port ${check.port}, and must not`)
        : pass(`nothing in ${check.node} listens on ${proto} port ${check.port}`);
    }
    case "neighbour": {
      const r = runResult(results.at(-1), "ip neigh");
      if (r.code !== 0) throw new ProbeError(`ip neigh failed in ${check.node}: ${firstLine(r.stderr)}`);
      const entries = json<{ dst: string; lladdr?: string; state?: string[] }[]>(r, "ip neigh").filter(
        (n) => n.lladdr && !(n.state ?? []).includes("FAILED") && !(n.state ?? []).includes("INCOMPLETE"),
      );
      const e = entries[0];
      if (!e) return fail(`${check.node} knows no MAC address for ${check.address}`);
      if (check.mac !== undefined && e.lladdr !== check.mac)
        return fail(`expected ${check.address} at ${check.mac} in ${check.node}'s neighbours, found ${e.lladdr}`);
      return pass(`${check.node} knows ${check.address} at ${e.lladdr} (${(e.state ?? []).join(" ").toLowerCase()})`);
    }
    case "sysctl": {
      const r = runResult(results[0], "sysctl");
      if (r.code !== 0) return fail(`${check.key} cannot be read in ${check.node}: ${firstLine(r.stderr)}`);
      const got = r.stdout.trim();
      const want = String(check.value).trim();
      return got === want ? pass(`${check.key} = ${got} in ${check.node}`) : fail(`expected ${check.key} = ${want} in ${check.node}, found ${got}`);
    }
    case "command": {
      const r = runResult(results[0], check.command[0]!);
      const want = check.exit ?? 0;
      const out = r.stdout + r.stderr;
      if (r.timedOut) return fail(`${check.command.join(" ")} did not finish in 10 s`);
      if (r.code !== want)
        return fail(`${check.command.join(" ")} exited with ${r.code}, expected ${want}${firstLine(out) ? `: ${firstLine(out).slice(0, 200)}` : ""}`);
      if (check.match !== undefined && !new RegExp(check.match, "m").test(out))
        return fail(`the output of ${check.command.join(" ")} does not match /${check.match}/`);
      return pass(`${check.command.join(" ")} exited with ${r.code}${check.match !== undefined ? ` and matched /${check.match}/` : ""}`);
    }
    case "mac-table": {
      const link = runResult(results[0], "ip link");
      if (link.code !== 0) return fail(`${check.host} is not there: ${firstLine(link.stderr)}`);
      const mac = json<{ address?: string }[]>(link, "ip link")[0]?.address;
      if (!mac) throw new ProbeError(`${check.host} has no MAC address`);
      const want = check.port ? splitNodeIf(check.port) : null;
      let learned: { port: string } | null;
      if (results.length === 3) {
        const fdb = runResult(results[1], "ovs-appctl fdb/show");
        if (fdb.code !== 0) throw new ProbeError(`ovs-appctl fdb/show failed: ${firstLine(fdb.stderr)}`);
        const ifs = runResult(results[2], "ovs-vsctl list Interface");
        const byOfport = ofportNames(ifs.stdout);
        const row = parseFdbShow(fdb.stdout).find((e) => e.mac === mac);
        learned = row ? { port: byOfport.get(row.port) ?? `port ${row.port}` } : null;
      } else {
        const fdb = runResult(results[1], "bridge fdb");
        if (fdb.code !== 0) throw new ProbeError(`bridge fdb failed: ${firstLine(fdb.stderr)}`);
        const row = json<{ mac: string; ifname?: string; flags?: string[]; state?: string }[]>(fdb, "bridge fdb").find(
          (e) => e.mac === mac && e.state !== "permanent",
        );
        learned = row ? { port: row.ifname ?? "?" } : null;
      }
      if (!learned) return fail(`${check.switch} has not learned ${check.host}'s MAC ${mac}`);
      // the port is named by the switch's end of the link; the runner gives its kernel name
      if (want && known.portName && learned.port !== known.portName) {
        return fail(`${check.switch} learned ${mac} on ${known.portNames?.get(learned.port) ?? learned.port}, expected ${check.port}`);
      }
      return pass(`${check.switch} learned ${check.host}'s MAC ${mac}${want ? ` on ${check.port}` : ""}`);
    }
  }
}

/** Local ports in `ss -H -n -lt` output (the fourth column, "addr:port"). */
export function listeningPorts(text: string): Set<number> {
  const out = new Set<number>();
  for (const line of text.split("\n")) {
    const cols = line.trim().split(/\s+/);
    const local = cols[3];
    if (!local) continue;
    const port = Number(local.slice(local.lastIndexOf(":") + 1));
    if (Number.isInteger(port)) out.add(port);
  }
  return out;
}

/** `ovs-appctl fdb/show BR`: " port  VLAN  MAC                Age" rows. */
export function parseFdbShow(text: string): { port: number; vlan: number; mac: string; age: number }[] {
  const out: { port: number; vlan: number; mac: string; age: number }[] = [];
  for (const line of text.split("\n").slice(1)) {
    const m = /^\s*(\d+|LOCAL)\s+(\d+)\s+([0-9a-f:]{17})\s+(\d+)/.exec(line);
    if (m) out.push({ port: m[1] === "LOCAL" ? 0xfffe : Number(m[1]), vlan: Number(m[2]), mac: m[3]!, age: Number(m[4]) });
  }
  return out;
}

/** ofport -> interface name, from `ovs-vsctl --format=json --columns=name,ofport list Interface`. */
export function ofportNames(text: string): Map<number, string> {
  const out = new Map<number, string>();
  try {
    const t = JSON.parse(text) as { headings: string[]; data: unknown[][] };
    const ni = t.headings.indexOf("name");
    const oi = t.headings.indexOf("ofport");
    for (const row of t.data) if (typeof row[oi] === "number") out.set(row[oi], String(row[ni]));
  } catch {
    throw new ProbeError("ovs-vsctl printed something that is not its JSON table");
  }
  return out;
}
