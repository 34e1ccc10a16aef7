// Counters grow under an iperf3 run (issue 11's proof), on the real kernel, as a browser sees
// them: a lab of two hosts on a Linux bridge and, beside it, a direct host-to-host link; an
// iperf3 server in h2 (started as a process of its own, ended by its PID), a 3-second client
// in h1 paced at 40 Mbit/s. On each path, every end of every link it crosses counts at least
// the bytes iperf3 reports (live counters: the root side read from /proc/net/dev, the
// namespace side of host-to-host links by `ip -n`; and live:inspect, read apart), and the rate
// in bit/s the live events carry while it runs is near the rate iperf3 reports.

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inNode, pings } from "@topolab/engine/testing";
import { nsName } from "@topolab/topology";
import { startTestServer, type Client, type TestServer } from "../testing";

let t: TestServer;
let a: Client;
const name = `lb${Math.random().toString(36).slice(2, 8)}`;

type Counters = { rxBytes: number; txBytes: number };
type CountersEvent = {
  lab: string;
  event: { type: string; at: number; counters: Record<string, Counters>; rates: Record<string, { rxBps: number; txBps: number }> };
};
type Inspected = { interfaces: { name: string; counters: Counters | null }[] };

beforeAll(async () => {
  t = await startTestServer();
  a = await t.connect();
  const host = (n: string, last: number) => ({
    name: n,
    kind: "host",
    interfaces: { eth0: { addresses: [`10.72.0.${last}/24`] }, eth1: { addresses: [`10.72.1.${last}/24`] } },
  });
  const doc = {
    version: 1,
    name,
    nodes: [{ name: "s1", kind: "switch", type: "bridge" }, host("h1", 1), host("h2", 2)],
    links: [{ endpoints: ["h1:eth0", "s1:eth1"] }, { endpoints: ["h2:eth0", "s1:eth2"] }, { endpoints: ["h1:eth1", "h2:eth1"] }],
  };
  await a.ok("lab:create", { name, source: { type: "file", text: JSON.stringify(doc) } }, 60_000);
  await a.ok("lab:open", { lab: name });
  expect(await pings(name, "h1", "10.72.0.2", { wait: 10 })).toBe(true);
  expect(await pings(name, "h1", "10.72.1.2", { wait: 10 })).toBe(true);
  await a.ok("live:watch", { lab: name, rates: true });
}, 90_000);

afterAll(async () => {
  a?.close();
  await t?.close(); // takes the lab down and proves nothing is left
});

/** An iperf3 server in `node`, bound to `address`, for one client; resolves once it listens. */
async function iperfServer(node: string, address: string): Promise<{ pid: number; stop: () => Promise<void> }> {
  // `ip netns exec` becomes iperf3 (exec): the PID is iperf3's
  const child = spawn("ip", ["netns", "exec", nsName(name, node), "iperf3", "-s", "-1", "--forceflush", "-B", address, "-p", "5201"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGTERM"); // by its PID
      reject(new Error(`iperf3 -s did not listen within 10 s: ${stderr}`));
    }, 10_000);
    createInterface({ input: child.stdout }).on("line", (l) => {
      if (/Server listening/.test(l)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`iperf3 -s exited (${code}): ${stderr}`)));
  });
  const pid = child.pid!;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once("exit", r));
      process.kill(pid, "SIGTERM");
      await gone;
    }
    // proven gone: signal 0 to the PID fails
    expect(() => process.kill(pid, 0)).toThrow();
  };
  return { pid, stop };
}

/** The first IPv4 interface counters of live:inspect for `node`'s kernel interface `iface`. */
async function inspected(node: string, iface: string): Promise<Counters> {
  const r = (await a.ok("live:inspect", { lab: name, node })) as unknown as Inspected;
  const c = r.interfaces.find((i) => i.name === iface)?.counters;
  if (!c) throw new Error(`live:inspect ${node} has no counters for ${iface}: ${JSON.stringify(r.interfaces.map((i) => i.name))}`);
  return c;
}

const countersAfter = (at: number) =>
  a.next(
    "live:event",
    (p) => (p as unknown as CountersEvent).event.type === "counters" && (p as unknown as CountersEvent).event.at > at,
    10_000,
  ) as unknown as Promise<CountersEvent>;

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

describe("counters under iperf3", () => {
  // the bridge path (h1:eth0 -> s1:eth1, s1:eth2 -> h2:eth0) and the direct link (h1:eth1 -> h2:eth1)
  for (const path of [
    { via: "the bridge", to: "10.72.0.2", sender: "h1:eth0", receiver: "h2:eth0", switchIn: "s1:eth1", switchOut: "s1:eth2", ifs: ["eth0", "eth0"] },
    { via: "a host-to-host link", to: "10.72.1.2", sender: "h1:eth1", receiver: "h2:eth1", ifs: ["eth1", "eth1"] },
  ] as const) {
    it(`every end of every link it crosses counts at least iperf3's bytes, and the live rate is near its rate (via ${path.via})`, async () => {
      const server = await iperfServer("h2", path.to);
      try {
        const start = await countersAfter(Date.now());
        const [inH1, inH2] = await Promise.all([inspected("h1", path.ifs[0]), inspected("h2", path.ifs[1])]);
        a.clear("live:event");
        const runStart = Date.now();
        const r = await inNode(name, "h1", ["iperf3", "-c", path.to, "-p", "5201", "-t", "3", "-b", "40M", "-J"], 30_000);
        const runEnd = Date.now();
        expect(r.code, r.stderr).toBe(0);
        const report = JSON.parse(r.stdout) as { end: { sum_sent: { bytes: number; bits_per_second: number }; sum_received: { bytes: number } } };
        const sent = report.end.sum_sent.bytes;
        const received = report.end.sum_received.bytes;
        expect(sent).toBeGreaterThan(5_000_000); // 40 Mbit/s for 3 s is 15 MB: it really ran
        const end = await countersAfter(runEnd + 200);
        const [outH1, outH2] = await Promise.all([inspected("h1", path.ifs[0]), inspected("h2", path.ifs[1])]);

        // live counters, each end of each link on the way
        const grew = (endpoint: string, dir: "rxBytes" | "txBytes") => end.event.counters[endpoint]![dir] - start.event.counters[endpoint]![dir];
        expect(grew(path.sender, "txBytes")).toBeGreaterThanOrEqual(sent);
        expect(grew(path.receiver, "rxBytes")).toBeGreaterThanOrEqual(received);
        if (path.switchIn !== undefined && path.switchOut !== undefined) {
          expect(grew(path.switchIn, "rxBytes")).toBeGreaterThanOrEqual(sent);
          expect(grew(path.switchOut, "txBytes")).toBeGreaterThanOrEqual(received);
        }
        // live:inspect, read apart from the sampler
        expect(outH1.txBytes - inH1.txBytes).toBeGreaterThanOrEqual(sent);
        expect(outH2.rxBytes - inH2.rxBytes).toBeGreaterThanOrEqual(received);

        // the rate: samples wholly inside the run (the first covers its start), against iperf3's
        const during = ((a.events["live:event"] ?? []) as unknown as CountersEvent[])
          .filter((p) => p.lab === name && p.event.type === "counters" && p.event.at > runStart + 1200 && p.event.at < runEnd - 200)
          .map((p) => p.event.rates[path.sender]?.txBps ?? 0);
        expect(during.length).toBeGreaterThanOrEqual(1);
        const iperfBps = report.end.sum_sent.bits_per_second;
        const seen = median(during);
        // the wire carries headers beside iperf3's payload (about 4 % at full-size frames)
        expect(seen / iperfBps, `live ${seen} bit/s, iperf3 ${iperfBps} bit/s (samples ${during.join(", ")})`).toBeGreaterThan(0.8);
        expect(seen / iperfBps, `live ${seen} bit/s, iperf3 ${iperfBps} bit/s (samples ${during.join(", ")})`).toBeLessThan(1.3);
      } finally {
        await server.stop();
      }
    }, 60_000);
  }
});
