// `topolab capture LAB NODE[:IF]... [-f FILTER] [-c N] [-w FILE.pcapng]`: packets of a running
// lab's interfaces, one decoded line each (the summaries the web panel shows), or a pcapng file
// with one interface per NODE:IF, written as packets come. Stops on Ctrl-C or after -c packets.
//
// The capture belongs to its lab in the command log: its tcpdump command lines go to the lab's
// journal in the state directory, which a server on that directory shows in the lab's log.
//
// Knows: the options, how a packet line reads on a terminal, the exit codes (0, 2 for a wrong
// interface or filter). Leaves to others: capturing (the engine) and decoding (@topolab/capture).

import { createWriteStream, type WriteStream } from "node:fs";
import type { Command } from "commander";
import { decode, interfaceBlock, packetBlock, sectionHeader } from "@topolab/capture";
import { Capture, CaptureError, Engine, labCapturePoints, type CapturedPacket, type CapturePoint } from "@topolab/engine";
import { UsageError } from "./load";

const out = (text: string) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
const err = (text: string) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);

/** `05:16:34.663574 h1:eth0 ARP who-has 10.0.0.2 tell 10.0.0.1` (UTC, like tcpdump's clock). */
export function packetLine(p: Pick<CapturedPacket, "timeUs" | "data" | "length">, label: string, linktype = 1): string {
  const d = decode(p.data, linktype, p.length);
  const t = new Date(Math.floor(p.timeUs / 1000)).toISOString().slice(11, 19);
  const us = String(p.timeUs % 1_000_000).padStart(6, "0");
  const vlan = d.vlans.length ? ` vlan ${d.vlans.join(".")}` : "";
  return `${t}.${us} ${label}${vlan} ${d.summary}`;
}

export function registerCapture(p: Command): void {
  p.command("capture")
    .description("print the packets crossing a lab's interfaces, decoded, or write them to a pcapng file")
    .argument("<lab>")
    .argument("<interfaces...>", "NODE:IF, or NODE for all its interfaces")
    .option("-f, --filter <bpf>", "a capture filter in tcpdump's syntax, e.g. 'arp or icmp'")
    .option("-c, --count <n>", "stop after N packets")
    .option("-w, --write <file>", "write a pcapng file instead of printing")
    .action(async (lab: string, refs: string[], o: { filter?: string; count?: string; write?: string }) => {
      const count = o.count !== undefined ? Number(o.count) : undefined;
      if (count !== undefined && !(Number.isInteger(count) && count > 0)) throw new UsageError(`-c must be a whole number of packets above 0, not ${o.count}`);
      let points: CapturePoint[];
      let c: Capture;
      const engine = new Engine();
      try {
        points = await labCapturePoints(engine, lab, refs);
        c = await Capture.start(points, { ...(o.filter ? { filter: o.filter } : {}), ...(count ? { count } : {}), maxPackets: 1000, maxBytes: 4 << 20 });
      } catch (e) {
        if (e instanceof CaptureError) throw new UsageError(e.message);
        throw e;
      }
      for (const line of c.commandLines())
        await engine.logCommand(lab, line).catch((e: Error) => err(`topolab: the capture is not in the lab's command log: ${e.message}`));
      let file: WriteStream | undefined;
      if (o.write) {
        file = createWriteStream(o.write);
        file.write(sectionHeader());
        for (const pt of points) file.write(interfaceBlock({ name: pt.label, linktype: 1 }));
      }
      err(`capturing on ${points.map((x) => x.label).join(", ")}${o.filter ? ` (filter: ${o.filter})` : ""}${o.write ? ` into ${o.write}` : ""}; Ctrl-C stops`);
      c.on("packets", (batch: CapturedPacket[]) => {
        for (const pk of batch) {
          if (file) file.write(packetBlock({ interface: pk.iface, timeUs: pk.timeUs, data: pk.data, length: pk.length }));
          else out(packetLine(pk, points[pk.iface]!.label));
        }
      });
      const onSignal = () => void c.stop("interrupted");
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      const reason = await new Promise<string>((r) => c.once("end", r));
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      if (file) await new Promise<void>((r, j) => file.end((e?: Error | null) => (e ? j(e) : r())));
      const normal = reason === "interrupted" || reason.endsWith("packets captured");
      err(`${c.stats.packets} packets captured${normal ? "" : ` (stopped: ${reason})`}${o.write ? `, written to ${o.write}` : ""}`);
      if (!normal) process.exitCode = 1;
    });
}
