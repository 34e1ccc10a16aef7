// Integration tests on the real kernel (as root): big labs forward between every pair of hosts.
// A chain of 100 OVS switches crosses more patch ports than Open vSwitch follows in one pass
// (64), unless realize breaks the runs with veths; a tree stays all patch ports; a loop of
// switches without spanning tree is refused before anything is made. Each test uses its own
// lab name (prefix bg) and state directory and proves afterwards that nothing of its lab is left.

import { readFile, stat } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { LabValidationError, parseTopoSpec, topoLab, validateLab, type Lab } from "@topolab/topology";

import { readSnapshot } from "./actual";

import { engineSession } from "./testing-session";

const session = engineSession({ afterEachTimeoutMs: 120_000 });

const labName = () => `bg${Math.random().toString(36).slice(2, 7)}`;

function topo(spec: string): Lab {
  const s = parseTopoSpec(spec);
  if (typeof s === "string") throw new Error(s);
  const v = validateLab(topoLab(s, labName()));
  if (!v.ok) throw new LabValidationError(v.issues);
  session.labs.add(v.lab.name);
  return v.lab;
}

/** ovs-vswitchd's log file, from the running daemon's own command line (--log-file=PATH). */
async function vswitchdLog(): Promise<string> {
  const pid = (await readFile("/var/run/openvswitch/ovs-vswitchd.pid", "utf8")).trim();
  const argv = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0");
  const path = argv.find((a) => a.startsWith("--log-file="))?.slice("--log-file=".length);
  if (!path) throw new Error(`ovs-vswitchd (PID ${pid}) was started without --log-file: its translation warnings cannot be read`);
  return path;
}

/** The lines ovs-vswitchd logged since `from` (a byte offset) saying it gave up translating a packet on one of the lab's bridges. */
async function translationDrops(log: string, from: number, tag: string): Promise<string[]> {
  const text = (await readFile(log)).subarray(from).toString("utf8");
  return text.split("\n").filter((l) => /over max translation depth|over \d+ resubmit actions/.test(l) && l.includes(`bridge ${tag}-`));
}

/** Patch and veth ports of the lab's bridges, as OVS has them. */
async function ovsPortTypes(tag: string): Promise<{ patch: number; system: number }> {
  const snap = await readSnapshot({ ovs: true });
  const ports = [...(snap.ovs?.interfaces.values() ?? [])].filter((p) => p.name.startsWith(`${tag}-`));
  return {
    patch: ports.filter((p) => p.type === "patch").length,
    system: ports.filter((p) => p.type === "" || p.type === "system").length,
  };
}

describe("big labs forward end to end on OVS", () => {
  it("linear,100: every one of the 9,900 pairs answers (the chain crosses 3 veths, no run over 32 patch ports)", async () => {
    const lab = topo("linear,100");
    const log = await vswitchdLog();
    const logStart = (await stat(log)).size;
    await session.engine.up(lab);
    const meta = (await session.engine.state.readMeta(lab.name))!;
    // 96 patch links (192 ports); 100 host ports and 3 chain links as veth pairs (6 ports)
    expect(await ovsPortTypes(meta.tag)).toEqual({ patch: 192, system: 106 });
    const r = await session.engine.pingAll(lab.name);
    expect(r.sent).toBe(9900);
    expect(r.pairs.filter((p) => !p.ok).map((p) => `${p.from}->${p.to}`)).toEqual([]);
    expect(r.received).toBe(9900);
    // the hosts' IPv6 start and the pings flood the whole chain: OVS gave up on none of them (an
    // all-patch chain of 100 switches logs "over max translation depth 64" and drops them)
    expect(await translationDrops(log, logStart, meta.tag)).toEqual([]);
  }, 240_000);

  it("tree,3,4: 64 hosts, 21 switches all joined by patch ports, every pair answers", async () => {
    const lab = topo("tree,3,4");
    await session.engine.up(lab);
    const meta = (await session.engine.state.readMeta(lab.name))!;
    expect(await ovsPortTypes(meta.tag)).toEqual({ patch: 40, system: 64 });
    const r = await session.engine.pingAll(lab.name);
    expect(r.pairs.filter((p) => !p.ok).map((p) => `${p.from}->${p.to}`)).toEqual([]);
    expect(r.received).toBe(64 * 63);
  }, 240_000);

  it("a ring of switches without spanning tree is refused before anything is made", async () => {
    const name = labName();
    const doc = {
      name,
      nodes: [
        { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } },
        { name: "s1", kind: "switch" },
        { name: "s2", kind: "switch" },
        { name: "s3", kind: "switch", type: "bridge" },
      ],
      links: [{ endpoints: ["h1", "s1"] }, { endpoints: ["s1", "s2"] }, { endpoints: ["s2", "s3"] }, { endpoints: ["s3", "s1"] }],
    };
    const v = validateLab(doc);
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'links[3]: closes a loop of switches (s3 – s2 – s1 – s3), which would flood broadcasts for ever: set "stp: true" on s3, s2, s1 (spanning tree then blocks one link of the loop), or remove a link',
    ]);
    // the same ring with stp on every switch is accepted and comes up
    const withStp = validateLab({ ...doc, nodes: doc.nodes.map((n) => (n.kind === "switch" ? { ...n, stp: true } : n)) });
    expect(withStp.ok).toBe(true);
    if (!withStp.ok) return;
    session.labs.add(name);
    await session.engine.up(withStp.lab);
    const snap = await readSnapshot({ ovs: true });
    expect(snap.namespaces).toContain(`tl.${name}.h1`);
  }, 120_000);
});
