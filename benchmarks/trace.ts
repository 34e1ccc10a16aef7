// Benchmark (not a test): how long `trace` takes on a chain of switches, against traceroute alone.
//
// Brings up Mininet's linear,N (N OVS switches in a row, a host on each; lab "trbench" in a
// state directory of its own), then traces h1 → hN (every switch crossed, each by its MAC table)
// and h1 → h2 (two switches) R times each, and times the traceroute command alone the same way.
// The difference is what trace adds: the kernel read around the path (the source, the target,
// the nodes that answered, the switches on the way), the L2 expansion and the model. Prints
// medians and p95 with the load average, then takes the lab down and checks nothing is left.
//
//   pnpm bench:trace [--n 50] [--runs 10]
import { Engine, ensureOvsRunning, run } from "@topolab/engine";
import { leftoversAfterSettling, tempStateDir } from "@topolab/engine/testing";
import { nsName, parseLab, topoLab } from "@topolab/topology";
import { loadavg } from "node:os";
import { opt, pct } from "./common";

const n = Number(opt("n", "50"));
const runs = Number(opt("runs", "10"));
const name = "trbench";

const load = () => loadavg()[0]!.toFixed(1);
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(0)} ms, p95 ${pct(xs, 95).toFixed(0)} ms`;

await ensureOvsRunning();
const state = await tempStateDir();
const engine = new Engine({ stateDir: state.dir });
try {
  const lab = parseLab(topoLab({ kind: "linear", args: [n] }, name));
  const t0 = Date.now();
  await engine.up(lab);
  console.log(`linear,${n} up in ${((Date.now() - t0) / 1000).toFixed(1)} s (load ${load()})`);
  const target = (node: string) => lab.nodes.find((x) => x.name === node)!;
  for (const to of [`h${n}`, "h2"]) {
    const addr = Object.values((target(to) as { interfaces: Record<string, { addresses?: string[] }> }).interfaces)[0]!.addresses![0]!.split("/")[0]!;
    const traces: number[] = [];
    const bare: number[] = [];
    const loads: string[] = [];
    let crossed = 0;
    for (let i = 0; i < runs; i++) {
      loads.push(load());
      const r = await engine.trace(name, "h1", to);
      if (!r.reached) throw new Error(`h1 → ${to} did not reach: ${r.stop?.reason ?? "?"}`);
      traces.push(r.durationMs);
      crossed = r.segments[0]!.nodes.length - 2;
      const b0 = performance.now();
      const b = await run(["ip", "netns", "exec", nsName(name, "h1"), "traceroute", "-n", "-I", "-q", "3", "-N", "6", "-w", "1,0,0", "-m", "8", addr]);
      if (b.code !== 0) throw new Error(`traceroute alone failed: ${b.stderr}`);
      bare.push(performance.now() - b0);
    }
    console.log(`trace h1 → ${to} (${crossed} switches, by their MAC tables): ${fmt(traces)}; traceroute alone: ${fmt(bare)}; load ${loads.join(" ")}`);
  }
} finally {
  if (await engine.state.readMeta(name)) await engine.down(name);
  const left = await leftoversAfterSettling(name);
  await state.remove();
  // said and failed, not thrown: a throw here would hide the error that ended the try
  if (left.length) {
    console.error(`bench:trace: left behind: ${left.join(", ")}`);
    process.exitCode = 1;
  }
}
