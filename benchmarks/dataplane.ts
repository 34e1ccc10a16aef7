// Benchmark (not a test): what the labs carry. TCP throughput (iperf3, one stream, 5 s) and ping
// round trip (50 echoes, 20 ms apart) between two hosts joined by a direct veth, across one
// Linux bridge, across one OVS switch, and end to end on `linear,10` and `linear,100` (OVS);
// then the first ping's time on a freshly brought-up `linear,200`. Labs are made by the engine
// in this process (prefix bgd), each taken down and checked gone. iperf3 is Debian's, installed
// by the benchmark when missing (not by the product). Traffic: only between the labs' own
// namespaces.
//
//   pnpm bench:dataplane [--seconds 5] [--markdown]

import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { parseLab, topoLab, type Lab } from "@topolab/topology";
import { Engine, ensureOvsRunning, must, run } from "@topolab/engine";
import { leftoversAfterSettling, tempStateDir } from "@topolab/engine/testing";
import { args, opt } from "./common";

const seconds = Number(opt("seconds", "5"));
const markdown = args.includes("--markdown");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Case {
  what: string;
  lab: Lab;
  from: string;
  to: string;
  address: string;
}

const pair = (name: string, middle: "veth" | "bridge" | "ovs"): Lab =>
  parseLab({
    name,
    nodes: [
      { name: "a", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } },
      { name: "b", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.2/24"] } } },
      ...(middle === "veth" ? [] : [{ name: "s1", kind: "switch", type: middle }]),
    ],
    links: middle === "veth" ? [{ endpoints: ["a", "b"] }] : [{ endpoints: ["a", "s1"] }, { endpoints: ["b", "s1"] }],
  });

const linear = (name: string, n: number): Lab => parseLab(topoLab({ kind: "linear", args: [n] }, name));

async function iperf(lab: string, from: string, to: string, address: string): Promise<number> {
  const server = spawn("ip", ["netns", "exec", `tl.${lab}.${to}`, "iperf3", "-s", "-1", "-p", "5201"], { stdio: "ignore" });
  const exited = new Promise<void>((r) => server.on("exit", () => r()));
  try {
    await sleep(400);
    const r = await run(["ip", "netns", "exec", `tl.${lab}.${from}`, "iperf3", "-c", address, "-p", "5201", "-t", String(seconds), "-J"], {
      timeoutMs: (seconds + 30) * 1000,
    });
    if (r.code !== 0) throw new Error(`iperf3 ${from} -> ${to} failed: ${(r.stdout + r.stderr).slice(0, 400)}`);
    const j = JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } };
    return j.end.sum_received.bits_per_second / 1e9;
  } finally {
    server.kill("SIGTERM");
    await Promise.race([exited, sleep(2000)]);
  }
}

async function rtt(lab: string, from: string, address: string): Promise<{ avg: number; max: number; loss: number }> {
  const r = await run(["ip", "netns", "exec", `tl.${lab}.${from}`, "ping", "-c", "50", "-i", "0.02", "-W", "2", "-q", address], { timeoutMs: 60_000 });
  const m = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\//.exec(r.stdout);
  const loss = /([\d.]+)% packet loss/.exec(r.stdout);
  if (!loss) throw new Error(`ping ${from} -> ${address}: ${r.stdout || r.stderr}`);
  // every echo lost: no round trip to report, the loss says it
  return { avg: m ? Number(m[2]) : NaN, max: m ? Number(m[3]) : NaN, loss: Number(loss[1]) };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("run as root");
  await ensureOvsRunning();
  if ((await run(["iperf3", "--version"])).code !== 0) {
    console.error("installing Debian's iperf3 for the benchmark (apt-get install iperf3)");
    await must(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "iperf3"], { timeoutMs: 600_000 });
  }
  const state = await tempStateDir();
  const engine = new Engine({ stateDir: state.dir });
  const cases: Case[] = [
    { what: "direct veth", lab: pair("bgdveth", "veth"), from: "a", to: "b", address: "10.0.0.2" },
    { what: "one Linux bridge", lab: pair("bgdbr", "bridge"), from: "a", to: "b", address: "10.0.0.2" },
    { what: "one OVS switch", lab: pair("bgdovs", "ovs"), from: "a", to: "b", address: "10.0.0.2" },
    { what: "linear,10 (OVS) h1 -> h10", lab: linear("bgdl10", 10), from: "h1", to: "h10", address: "10.0.0.10" },
    { what: "linear,100 (OVS) h1 -> h100", lab: linear("bgdl100", 100), from: "h1", to: "h100", address: "10.0.0.100" },
  ];
  const rows: { what: string; gbps: number; avg: number; max: number; loss: number }[] = [];
  let firstPing: { ms: number; upMs: number } | null = null;
  try {
    for (const c of cases) {
      try {
        await engine.up(c.lab);
        await rtt(c.lab.name, c.from, c.address); // ARP and MAC learning first
        // a TCP test that cannot connect (the path drops everything) is 0, said as such
        const gbps = await iperf(c.lab.name, c.from, c.to, c.address).catch((e: Error) => (console.error(`${c.what}: ${e.message.split("\n")[0]}`), 0));
        const r = await rtt(c.lab.name, c.from, c.address);
        rows.push({ what: c.what, gbps, ...r });
        if (!markdown)
          console.log(
            `${c.what.padEnd(30)} TCP ${gbps.toFixed(2).padStart(6)} Gbit/s   ping avg ${r.avg.toFixed(3)} ms, max ${r.max.toFixed(3)} ms, ${r.loss}% lost`,
          );
      } finally {
        await engine.down(c.lab.name);
      }
    }
    // the first ping on a fresh linear,200: from the end of up to the first reply, h1 -> h200
    const l200 = linear("bgdl200", 200);
    try {
      let t = performance.now();
      await engine.up(l200);
      const upMs = performance.now() - t;
      t = performance.now();
      for (let i = 0; ; i++) {
        const r = await run(["ip", "netns", "exec", "tl.bgdl200.h1", "ping", "-c", "1", "-W", "5", "-q", "10.0.0.200"], { timeoutMs: 10_000 });
        if (r.code === 0) break;
        if (i === 5) throw new Error(`linear,200: h1 got no reply from h200 in 6 tries: ${r.stdout}`);
      }
      firstPing = { ms: performance.now() - t, upMs };
      if (!markdown) console.log(`linear,200 fresh (up ${(upMs / 1000).toFixed(2)} s): first ping h1 -> h200 answered after ${firstPing.ms.toFixed(0)} ms`);
    } finally {
      await engine.down(l200.name);
    }
  } finally {
    const left: string[] = [];
    for (const name of [...cases.map((c) => c.lab.name), "bgdl200"]) left.push(...(await leftoversAfterSettling(name)));
    await state.remove();
    if (left.length) console.error(`left behind: ${left.join(", ")}`);
  }
  const direct = rows[0]!.gbps;
  if (markdown) {
    console.log("| path | TCP (iperf3, 1 stream) | × direct veth | ping avg | ping max | lost |");
    console.log("|---|---:|---:|---:|---:|---:|");
    for (const r of rows)
      console.log(
        `| ${r.what} | ${r.gbps.toFixed(2)} Gbit/s | ${(r.gbps / direct).toFixed(2)} | ${r.avg.toFixed(3)} ms | ${r.max.toFixed(3)} ms | ${r.loss}% |`,
      );
    if (firstPing)
      console.log(`\nFresh \`linear,200\` (up in ${(firstPing.upMs / 1000).toFixed(2)} s): first ping h1 → h200 answered after ${firstPing.ms.toFixed(0)} ms.`);
  } else {
    const br = rows.find((r) => r.what === "one Linux bridge");
    const ovs = rows.find((r) => r.what === "one OVS switch");
    console.log(
      `targets: Linux bridge ≥ 0.9× direct: ${br ? (br.gbps / direct).toFixed(2) : "?"}×; OVS ≥ 0.5× direct: ${ovs ? (ovs.gbps / direct).toFixed(2) : "?"}×; ` +
        `linear,200 first ping < 1 s: ${firstPing ? `${firstPing.ms.toFixed(0)} ms` : "?"}`,
    );
  }
}

await main();
