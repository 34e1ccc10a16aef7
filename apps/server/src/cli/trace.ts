// `topolab trace LAB FROM TO [--json]`: the path a packet takes from a host or router to another
// node (or node:interface, or an address), hop by hop with node:interface names and round trips,
// each hop's way across the switches, and where and why it stopped. Exit 0 when it reached the
// target, 1 when it did not (or could not trace), 2 for a wrong command line.
//
// Knows: the options and how a trace reads on a terminal. Leaves to others: the trace itself
// (engine trace.ts).

import type { Command } from "commander";
import { Engine, TraceError, type TraceResult, type TraceSegment } from "@topolab/engine";
import { UsageError } from "./load";

const out = (text: string) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);

const ms = (x: number | null) => (x === null ? "*" : `${x < 10 ? x.toFixed(3) : x.toFixed(1)} ms`);

/** A segment's way across the switches: "h1:eth0 → s1 → s2 → r1:eth0 (MAC tables)". */
export function segmentText(s: TraceSegment): string {
  const inner = s.nodes.slice(1, -1);
  const how =
    s.l2 === "direct"
      ? "a direct link"
      : s.l2 === "mac-table"
        ? "the switches' MAC tables"
        : `the lab's graph: ${s.detail ?? "a switch had not learned the MAC"}`;
  return `${[`${s.from.node}:${s.from.interface}`, ...inner, `${s.to.node}:${s.to.interface}`].join(" → ")}   (${how})`;
}

/** A trace as a person reads it on a terminal. */
export function traceText(r: TraceResult): string {
  const lines: string[] = [];
  const to = r.targetNode && r.targetNode !== r.to ? `${r.to} (${r.target}, ${r.targetNode})` : r.to === r.target ? r.to : `${r.to} (${r.target})`;
  const answered = r.hops.filter((h) => h.address !== null).length;
  lines.push(`trace ${r.from} → ${to} in lab ${r.lab}: ${r.reached ? `reached in ${r.hops.length} hop${r.hops.length === 1 ? "" : "s"}` : "NOT reached"}`);
  const segByHop = new Map(r.segments.filter((s) => !s.expected).map((s) => [s.hop, s]));
  // trailing hops without any answer read as one line
  let lastAnswered = -1;
  r.hops.forEach((h, i) => h.address !== null && (lastAnswered = i));
  r.hops.forEach((h, i) => {
    if (i > lastAnswered + 1) return;
    if (h.address === null) {
      // the silent hops after the last answer as one line; a silent hop before it, alone
      const rest = i > lastAnswered ? r.hops.length - 1 - i : 0;
      lines.push(`${String(h.ttl).padStart(2)}${rest > 0 ? `-${r.hops[r.hops.length - 1]!.ttl}` : ""}  ${h.probes.map(() => "*").join(" ")}   no answer`);
      return;
    }
    const who = h.node ? `${h.node}:${h.interface}` : "(not in the lab)";
    const probes = h.probes.map((p) => `${p.address !== null && p.address !== h.address ? `${p.address} ` : ""}${ms(p.rttMs)}${p.mark ? ` ${p.mark}` : ""}`);
    lines.push(`${String(h.ttl).padStart(2)}  ${who.padEnd(14)} ${h.address.padEnd(15)} ${probes.join("  ")}`);
    const seg = segByHop.get(h.ttl);
    if (seg) lines.push(`    ${segmentText(seg)}`);
  });
  if (!r.hops.length) lines.push(" (no probe was sent)");
  if (r.stop) {
    lines.push("");
    lines.push(`stopped at ${r.stop.at}${r.stop.last !== r.stop.at ? ` (last answer from ${r.stop.last})` : ""}: ${r.stop.reason}`);
    const expected = r.segments.find((s) => s.expected);
    if (expected) lines.push(`expected next: ${segmentText(expected)}`);
  } else if (!r.reached) lines.push(`${answered ? "" : "nothing answered; "}the target did not answer`);
  return lines.join("\n");
}

function positiveInt(name: string, text: string, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${name} is a whole number from 1 to ${max}, not ${text}`);
  return n;
}

export function registerTrace(p: Command): void {
  p.command("trace")
    .description("the path a packet takes from a host or router to another node or an address (traceroute on the lab's links); exit 1 when it does not reach")
    .argument("<lab>")
    .argument("<from>", "a host or router")
    .argument("<to>", "a node, node:interface, or an address")
    .option("--max-hops <n>", "the most hops probed", "8")
    .option("--timeout <seconds>", "how long each probe waits", "1")
    .option("--queries <n>", "probes per hop", "3")
    .option("--json", "print JSON")
    .action(async (lab: string, from: string, to: string, o: { maxHops: string; timeout: string; queries: string; json?: boolean }) => {
      const timeoutSeconds = Number(o.timeout);
      if (!(timeoutSeconds > 0 && timeoutSeconds <= 10)) throw new UsageError(`--timeout is a number of seconds above 0 and at most 10, not ${o.timeout}`);
      const options = { maxHops: positiveInt("--max-hops", o.maxHops, 30), queries: positiveInt("--queries", o.queries, 10), timeoutSeconds };
      let r: TraceResult;
      try {
        r = await new Engine().trace(lab, from, to, options);
      } catch (e) {
        if (e instanceof TraceError && e.field) throw new UsageError(e.message);
        if (e instanceof TraceError) {
          process.stderr.write(`topolab: ${e.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw e;
      }
      out(o.json ? JSON.stringify(r, null, 2) : traceText(r));
      if (!r.reached) process.exitCode = 1;
    });
}
