// Capture on the real kernel: tcpdump in a node's namespace and on a switch port in the root
// namespace, the filter checked first, the ring bounded, the pcapng read back by tcpdump, the
// capture ended when its link goes, every tcpdump gone by PID. Labs are named cp*.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decode } from "@topolab/capture";
import { parseLab, type Lab } from "@topolab/topology";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Capture, capturePoints } from "./capture";
import { Engine } from "./engine";
import { ensureOvsRunning } from "./ovs";
import { alive, pidsInNetns, sleep } from "./processes";
import { inNode, leftoversAfterSettling, tempStateDir } from "./testing";

let state: { dir: string; remove: () => Promise<void> };
let engine: Engine;
let lab: Lab;
let tag: string;

function doc(name: string, withH3 = true): Lab {
  return parseLab({
    version: 1,
    name,
    nodes: [
      { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.9.0.1/24"] } } },
      { name: "h2", kind: "host", interfaces: { eth0: { addresses: ["10.9.0.2/24"] } } },
      ...(withH3 ? [{ name: "h3", kind: "host", interfaces: { eth0: { addresses: ["10.9.0.3/24"] } } }] : []),
      { name: "s1", kind: "switch" },
    ],
    links: [{ endpoints: ["h1:eth0", "s1:eth1"] }, { endpoints: ["h2:eth0", "s1:eth2"] }, ...(withH3 ? [{ endpoints: ["h3:eth0", "s1:eth3"] }] : [])],
  });
}

beforeAll(async () => {
  expect(process.getuid?.()).toBe(0);
  await ensureOvsRunning();
  state = await tempStateDir();
  engine = new Engine({ stateDir: state.dir });
  lab = doc(`cpe${Math.random().toString(36).slice(2, 7)}`);
  await engine.up(lab);
  tag = (await engine.state.readMeta(lab.name))!.tag;
});

afterAll(async () => {
  await engine.down(lab.name);
  expect(await leftoversAfterSettling(lab.name)).toEqual([]);
  await state.remove();
});

describe("Capture", () => {
  it("names only the lab's interfaces", () => {
    expect(capturePoints(lab, tag, ["h1:eth0"])).toEqual([{ label: "h1:eth0", node: "h1", iface: "eth0", ns: `tl.${lab.name}.h1`, dev: "eth0" }]);
    expect(capturePoints(lab, tag, ["s1:eth2"])[0]).toMatchObject({ label: "s1:eth2", ns: null });
    expect(capturePoints(lab, tag, ["s1"]).map((p) => p.label)).toEqual(["s1:eth1", "s1:eth2", "s1:eth3"]);
    expect(() => capturePoints(lab, tag, ["h9:eth0"])).toThrow(/has no node "h9"/);
    expect(() => capturePoints(lab, tag, ["h1:eth7"])).toThrow(/no linked interface "eth7"/);
  });

  it("sees the ARP and ICMP of a ping on a host and on a switch port, merged in time order", async () => {
    const c = await Capture.start(capturePoints(lab, tag, ["h1:eth0", "s1:eth2"]), { filter: "arp or icmp" });
    const pids = c.pids;
    expect(pids.every(alive)).toBe(true);
    await inNode(lab.name, "h1", ["ip", "neigh", "flush", "dev", "eth0"]);
    expect((await inNode(lab.name, "h1", ["ping", "-c", "2", "-i", "0.2", "10.9.0.2"])).code).toBe(0);
    await sleep(200);
    await c.stop();
    expect(pids.some(alive)).toBe(false);
    const got = c.packets().map((p) => `${c.points[p.iface]!.label} ${decode(p.data).summary}`);
    expect(got).toContain("h1:eth0 ARP who-has 10.9.0.2 tell 10.9.0.1");
    expect(got).toContain("s1:eth2 ARP who-has 10.9.0.2 tell 10.9.0.1");
    expect(got.filter((s) => /ICMP echo request/.test(s)).length).toBe(4);
    const times = c.packets().map((p) => p.timeUs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // the pcapng opens with tcpdump and holds the same packets
    const dir = mkdtempSync(join(tmpdir(), "cp-"));
    try {
      writeFileSync(join(dir, "c.pcapng"), c.pcapng());
      const text = execFileSync("tcpdump", ["-nn", "-r", join(dir, "c.pcapng")], { stdio: ["ignore", "pipe", "ignore"] }).toString();
      expect(text.trim().split("\n").length).toBe(c.packets().length);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it("refuses a wrong filter with tcpdump's own words and starts nothing", async () => {
    await expect(Capture.start(capturePoints(lab, tag, ["h1:eth0"]), { filter: "tcp port 80 and" })).rejects.toThrow(
      /filter: tcpdump: can't parse filter expression: syntax error/,
    );
    await expect(Capture.start(capturePoints(lab, tag, ["h1:eth0"]), { filter: "-w /tmp/x" })).rejects.toThrow(/begins with "-"/);
    expect((await pidsInNetns([`tl.${lab.name}.h1`])).get(`tl.${lab.name}.h1`)).toEqual([]);
  });

  it("keeps a bounded ring, and stops after a count", async () => {
    const c = await Capture.start(capturePoints(lab, tag, ["h1:eth0"]), { filter: "icmp", maxPackets: 10, count: 30 });
    const ended = new Promise<string>((r) => c.once("end", r));
    await inNode(lab.name, "h1", ["ping", "-c", "40", "-i", "0.01", "10.9.0.2"]);
    expect(await ended).toBe("30 packets captured");
    expect(c.stats.packets).toBe(30);
    expect(c.packets().length).toBe(10);
    expect(c.stats.dropped).toBe(20);
    expect(c.pids.some(alive)).toBe(false);
  });

  it("ends when its link is removed, and its tcpdump is gone", async () => {
    const c = await Capture.start(capturePoints(lab, tag, ["h3:eth0"]));
    const ended = new Promise<string>((r) => c.once("end", r));
    const [pid] = c.pids;
    expect(alive(pid!)).toBe(true);
    await engine.up(doc(lab.name, false));
    const why = await Promise.race([ended, sleep(5000).then(() => "still running")]);
    expect(why).toMatch(/h3:eth0/);
    expect(alive(pid!)).toBe(false);
  });
});
