// Benchmark (not a test): what the labs carry. TCP throughput (iperf3, one stream) and ping
// round trip (50 echoes, 20 ms apart) between two hosts joined by a direct veth, across one
// Linux bridge, across one OVS switch, and end to end on `linear,10` and `linear,100` (OVS);
// then the first ping's time on freshly brought-up `linear,200`s.
//
// On a shared machine a single TCP figure moves with everyone else's load, so the three
// one-hop paths are measured in rounds, one after the other within each round (A/B under the
// same load): each path's median and best, the ratio of the medians, and the CPU the two iperf3
// processes spent per GB carried (client + server, system time included: on a veth the
// kernel's forwarding work runs in the sender's context), which the load moves far less than
// the rate. The load average is printed with the figures.
//
// Labs are made by the engine in this process (prefix dp), each taken down and checked gone.
// iperf3 is Debian's, installed by the benchmark when missing (not by the product). Traffic:
// only between the labs' own namespaces.
//
//   pnpm bench:dataplane [--seconds 5] [--rounds 3] [--first-pings 3] [--markdown]
//                        [--only-first-ping] [--hosts-ipv6-off]
// --only-first-ping: only the fresh linear,200s; --hosts-ipv6-off: their hosts with IPv6 off
// (node sysctls), the experiment that shows what the hosts' own IPv6 start costs the switches.

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { parseLab, topoLab, type Lab } from "@topolab/topology";
import { Engine, ensureOvsRunning, must, run } from "@topolab/engine";
import { leftoversAfterSettling, tempStateDir } from "@topolab/engine/testing";
import { args, opt } from "./common";

const seconds = Number(opt("seconds", "5"));
const rounds = Number(opt("rounds", "3"));
const firstPings = Number(opt("first-pings", "3"));
const markdown = args.includes("--markdown");
const onlyFirstPing = args.includes("--only-first-ping");
const hostsIpv6Off = args.includes("--hosts-ipv6-off");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Case {
  what: string;
  lab: Lab;
  from: string;
  to: string;
  address: string;
}

interface Tcp {
  gbps: number;
  /** CPU seconds of client and server per GB received */
  cpuPerGB: number;
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

const linear = (name: string, n: number, ipv6Off = false): Lab => {
  const doc = topoLab({ kind: "linear", args: [n] }, name) as { nodes: { kind: string; sysctls?: Record<string, string> }[] };
  if (ipv6Off) for (const node of doc.nodes) if (node.kind === "host") node.sysctls = { "net.ipv6.conf.all.disable_ipv6": "1" };
  return parseLab(doc);
};

async function iperf(lab: string, from: string, to: string, address: string): Promise<Tcp> {
  const server = spawn("ip", ["netns", "exec", `tl.${lab}.${to}`, "iperf3", "-s", "-1", "-p", "5201"], { stdio: "ignore" });
  const exited = new Promise<void>((r) => server.on("exit", () => r()));
  try {
    await sleep(400);
    const r = await run(["ip", "netns", "exec", `tl.${lab}.${from}`, "iperf3", "-c", address, "-p", "5201", "-t", String(seconds), "-J"], {
      timeoutMs: (seconds + 30) * 1000,
    });
    if (r.code !== 0) throw new Error(`iperf3 ${from} -> ${to} failed: ${(r.stdout + r.stderr).slice(0, 400)}`);
    const j = JSON.parse(r.stdout) as {
      end: { sum_received: { bits_per_second: number; seconds: number }; cpu_utilization_percent: { host_total: number; remote_total: number } };
    };
    const { bits_per_second: bps, seconds: secs } = j.end.sum_received;
    const cpu = j.end.cpu_utilization_percent;
    return { gbps: bps / 1e9, cpuPerGB: (((cpu.host_total + cpu.remote_total) / 100) * secs) / ((bps * secs) / 8e9) };
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

/** What the OVS datapath and a switch port's offloads are, said with the figures. */
async function ovsSetup(lab: string): Promise<string> {
  const dp = (await run(["ovs-vsctl", "--columns=datapath_type", "--bare", "find", "Bridge", `external_ids:topolab-lab=${lab}`])).stdout.trim();
  const tso = (await run(["ovs-vsctl", "--if-exists", "get", "Open_vSwitch", ".", "other_config:userspace-tso-enable"])).stdout.trim() || "unset";
  const port = (await run(["ovs-vsctl", "--columns=name", "--bare", "find", "Port", `external_ids:topolab-lab=${lab}`])).stdout.trim().split("\n")[0] ?? "";
  const k = (await run(["ethtool", "-k", port])).stdout;
  const feature = (f: string) => new RegExp(`^${f}: (\\w+)`, "m").exec(k)?.[1] ?? "?";
  return `OVS datapath ${dp || "?"}, userspace-tso-enable ${tso}; port ${port}: tx-checksumming ${feature("tx-checksumming")}, tso ${feature("tcp-segmentation-offload")}, gro ${feature("generic-receive-offload")}`;
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
  const pairs: Case[] = [
    { what: "direct veth", lab: pair("dpveth", "veth"), from: "a", to: "b", address: "10.0.0.2" },
    { what: "one Linux bridge", lab: pair("dpbr", "bridge"), from: "a", to: "b", address: "10.0.0.2" },
    { what: "one OVS switch", lab: pair("dpovs", "ovs"), from: "a", to: "b", address: "10.0.0.2" },
  ];
  const chains: Case[] = [
    { what: "linear,10 (OVS) h1 -> h10", lab: linear("dpl10", 10), from: "h1", to: "h10", address: "10.0.0.10" },
    { what: "linear,100 (OVS) h1 -> h100", lab: linear("dpl100", 100), from: "h1", to: "h100", address: "10.0.0.100" },
  ];
  const rows: { what: string; tcp: Tcp[]; avg: number; max: number; loss: number }[] = [];
  const firsts: { ms: number; upMs: number; load: string }[] = [];
  const loadBefore = load();
  let setup = "";
  // a TCP test that cannot connect (the path drops everything) is 0, said as such
  const tcp = (c: Case) =>
    iperf(c.lab.name, c.from, c.to, c.address).catch((e: Error) => (console.error(`${c.what}: ${e.message.split("\n")[0]}`), { gbps: 0, cpuPerGB: NaN }));
  try {
    const upped: Case[] = [];
    if (!onlyFirstPing)
      try {
        for (const c of pairs) {
          await engine.up(c.lab);
          upped.push(c);
          await rtt(c.lab.name, c.from, c.address); // ARP and MAC learning first
        }
        setup = await ovsSetup("dpovs");
        const results = pairs.map(() => [] as Tcp[]);
        for (let r = 0; r < rounds; r++) {
          for (const [i, c] of pairs.entries()) results[i]!.push(await tcp(c));
          if (!markdown)
            console.log(
              `round ${r + 1} (load ${load()}): ` +
                pairs.map((c, i) => `${c.what} ${results[i]![r]!.gbps.toFixed(2)} Gbit/s ${results[i]![r]!.cpuPerGB.toFixed(3)} CPU-s/GB`).join("; "),
            );
        }
        for (const [i, c] of pairs.entries()) rows.push({ what: c.what, tcp: results[i]!, ...(await rtt(c.lab.name, c.from, c.address)) });
      } finally {
        for (const c of upped) await engine.down(c.lab.name);
      }
    for (const c of onlyFirstPing ? [] : chains) {
      try {
        await engine.up(c.lab);
        await rtt(c.lab.name, c.from, c.address);
        const t = await tcp(c);
        rows.push({ what: c.what, tcp: [t], ...(await rtt(c.lab.name, c.from, c.address)) });
      } finally {
        await engine.down(c.lab.name);
      }
    }
    // the first ping on a fresh linear,200: from the end of up to the first reply, h1 -> h200
    for (let k = 0; k < firstPings; k++) {
      const l200 = linear("dpl200", 200, hostsIpv6Off);
      try {
        const l = load();
        let t = performance.now();
        await engine.up(l200);
        const upMs = performance.now() - t;
        t = performance.now();
        for (let i = 0; ; i++) {
          const r = await run(["ip", "netns", "exec", "tl.dpl200.h1", "ping", "-c", "1", "-W", "5", "-q", "10.0.0.200"], { timeoutMs: 10_000 });
          if (r.code === 0) break;
          if (i === 5) throw new Error(`linear,200: h1 got no reply from h200 in 6 tries: ${r.stdout}`);
        }
        firsts.push({ ms: performance.now() - t, upMs, load: l });
        if (!markdown)
          console.log(
            `linear,200 fresh (load ${l}; up ${(upMs / 1000).toFixed(2)} s): first ping h1 -> h200 answered after ${firsts.at(-1)!.ms.toFixed(0)} ms`,
          );
      } finally {
        await engine.down(l200.name);
      }
    }
  } finally {
    const left: string[] = [];
    for (const name of [...pairs, ...chains].map((c) => c.lab.name).concat("dpl200")) left.push(...(await leftoversAfterSettling(name)));
    await state.remove();
    if (left.length) console.error(`left behind: ${left.join(", ")}`);
  }
  const gbps = (r: (typeof rows)[number]) => median(r.tcp.map((t) => t.gbps));
  const cpu = (r: (typeof rows)[number]) => median(r.tcp.map((t) => t.cpuPerGB));
  if (onlyFirstPing) {
    console.log(
      `fresh linear,200${hostsIpv6Off ? " (hosts' IPv6 off)" : ""}, first ping h1 -> h200: ${firsts.map((f) => `${f.ms.toFixed(0)} ms (load ${f.load.split(" ")[0]})`).join(", ")}; median ${median(firsts.map((f) => f.ms)).toFixed(0)} ms`,
    );
    return;
  }
  const direct = rows[0]!;
  const when = `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, load average ${loadBefore} before, ${load()} after`;
  const first = firsts.length ? median(firsts.map((f) => f.ms)) : NaN;
  if (markdown) {
    console.log(`${when}; ${setup}`);
    console.log(
      `\n| path | TCP (iperf3, 1 stream; median of ${rounds} for one hop) | best | × direct veth (medians) | CPU-s per GB (median) | ping avg | ping max | lost |`,
    );
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (const r of rows)
      console.log(
        `| ${r.what} | ${gbps(r).toFixed(2)} Gbit/s | ${Math.max(...r.tcp.map((t) => t.gbps)).toFixed(2)} | ${(gbps(r) / gbps(direct)).toFixed(2)} | ${cpu(r).toFixed(3)} | ${r.avg.toFixed(3)} ms | ${r.max.toFixed(3)} ms | ${r.loss}% |`,
      );
    if (firsts.length)
      console.log(
        `\nFresh \`linear,200\`, first ping h1 → h200 after up: ${firsts.map((f) => `${f.ms.toFixed(0)} ms (up ${(f.upMs / 1000).toFixed(2)} s, load ${f.load.split(" ")[0]})`).join(", ")}; median ${first.toFixed(0)} ms.`,
      );
  } else {
    console.log(setup);
    for (const r of rows)
      console.log(
        `${r.what.padEnd(30)} TCP ${gbps(r).toFixed(2).padStart(6)} Gbit/s (${(gbps(r) / gbps(direct)).toFixed(2)}×, ${cpu(r).toFixed(3)} CPU-s/GB)   ping avg ${r.avg.toFixed(3)} ms, max ${r.max.toFixed(3)} ms, ${r.loss}% lost`,
      );
    const br = rows.find((r) => r.what === "one Linux bridge");
    const ovs = rows.find((r) => r.what === "one OVS switch");
    console.log(when);
    console.log(
      `targets: Linux bridge ≥ 0.9× direct: ${br ? (gbps(br) / gbps(direct)).toFixed(2) : "?"}×; OVS ≥ 0.5× direct: ${ovs ? (gbps(ovs) / gbps(direct)).toFixed(2) : "?"}×; ` +
        `linear,200 first ping < 1 s: ${firsts.length ? `median ${first.toFixed(0)} ms of ${firsts.length}` : "?"}`,
    );
  }
}

await main();
