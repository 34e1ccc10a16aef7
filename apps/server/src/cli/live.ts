// `topolab inspect LAB NODE [--json]`, `topolab watch LAB [--json]`, `topolab link LAB NODE:IF
// down|up`, `topolab link LAB NODE:IF --loss 10%`, `topolab node LAB NODE stop|start`: the
// kernel's truth about a running lab, and breaking and mending its links from the terminal.
//
// Knows: the options, how an inspection and a live change read on a terminal, and that link
// and node states are edits of the lab's document (saved, exported, applied like `up`).
// Leaves to others: reading the kernel (engine inspect/monitor), the document rules (topology),
// the edit shapes (protocol's applyChanges).

import type { Command } from "commander";
import { Engine, inspectNode, LabWatch, NotFoundError, type HostInspect, type LiveEvent, type NodeInspect } from "@topolab/engine";
import { applyChanges, type Change } from "@topolab/protocol";
import { LabValidationError, validateLab, type Lab } from "@topolab/topology";
import { table } from "./format";
import { UsageError } from "./load";

const out = (text: string) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);

async function runningLab(e: Engine, name: string): Promise<{ lab: Lab; tag: string }> {
  const [lab, meta] = await Promise.all([e.state.readLab(name), e.state.readMeta(name)]);
  if (!lab || !meta) throw new NotFoundError(`there is no lab named ${name}`);
  return { lab, tag: meta.tag };
}

const bytes = (n: number) =>
  n >= 1e9 ? `${(n / 1e9).toFixed(1)}G` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n);

/** An inspection as a person reads it on a terminal. */
export function inspectText(x: NodeInspect): string {
  const parts: string[] = [];
  if (x.kind !== "ovs" && x.kind !== "bridge") {
    const h: HostInspect = x;
    parts.push(`${h.kind} ${h.node} (namespace ${h.ns})`, "", "interfaces:");
    parts.push(
      table([
        ["NAME", "STATE", "MAC", "MTU", "RX", "TX", "DROP/ERR", "ADDRESSES / LINK"],
        ...h.interfaces.map((i) => {
          const c = i.counters;
          return [
            i.interface ?? i.name,
            !i.adminUp ? "DOWN" : i.carrier ? "UP" : "NO-CARRIER",
            i.mac,
            String(i.mtu),
            c ? `${bytes(c.rxBytes)}B ${c.rxPackets}p` : "-",
            c ? `${bytes(c.txBytes)}B ${c.txPackets}p` : "-",
            c ? `${c.rxDropped + c.txDropped}/${c.rxErrors + c.txErrors}` : "-",
            [
              i.addresses
                .filter((a) => a.scope !== "link")
                .map((a) => a.cidr)
                .join(" "),
              i.peer ? `-> ${i.peer}` : "",
            ]
              .filter(Boolean)
              .join("  "),
          ];
        }),
      ]),
    );
    const routes = h.routes.filter((r) => r.table === "main" && r.type === "unicast");
    parts.push(
      "",
      "routes:",
      routes.length
        ? table([
            ["TO", "VIA", "DEV", "PROTO", "METRIC"],
            ...routes.map((r) => [r.to, r.via ?? "", r.dev ?? "", r.proto, r.metric !== undefined ? String(r.metric) : ""]),
          ])
        : "  (none)",
    );
    const neigh = h.neighbours.filter((n) => n.state !== "NOARP");
    parts.push(
      "",
      "neighbours:",
      neigh.length ? table([["ADDRESS", "DEV", "MAC", "STATE"], ...neigh.map((n) => [n.address, n.dev, n.mac ?? "", n.state])]) : "  (none)",
    );
    parts.push(
      "",
      "listening sockets:",
      h.sockets.length
        ? table([
            ["PROTO", "ADDRESS", "PORT", "PROCESS"],
            ...h.sockets.map((s) => [
              s.protocol,
              s.dev ? `${s.address}%${s.dev}` : s.address,
              String(s.port),
              s.processes.map((p) => `${p.name}(${p.pid})`).join(","),
            ]),
          ])
        : "  (none)",
    );
    parts.push(
      "",
      "processes:",
      h.processes.length ? table([["PID", "COMMAND"], ...h.processes.map((p) => [String(p.pid), p.command || p.name])]) : "  (none)",
    );
  } else if (x.kind === "ovs") {
    parts.push(`OVS switch ${x.node} (bridge ${x.bridge})`, "", "ports:");
    parts.push(
      table([
        ["PORT", "OFPORT", "VLAN MODE", "TAG", "TRUNKS", "LINK", "RX PKTS", "TX PKTS"],
        ...x.ports.map((p) => [
          p.endpoint ?? p.name,
          p.ofport === null ? "-" : String(p.ofport),
          p.vlanMode,
          p.tag !== undefined ? String(p.tag) : "",
          p.trunks.join(","),
          [p.linkState ?? "", p.peer ? `-> ${p.peer}` : ""].filter(Boolean).join(" "),
          String(p.statistics["rx_packets"] ?? ""),
          String(p.statistics["tx_packets"] ?? ""),
        ]),
      ]),
    );
    parts.push(
      "",
      "MAC table:",
      x.macs.length
        ? table([
            ["MAC", "VLAN", "PORT", "AGE", "OWNER"],
            ...x.macs.map((m) => [
              m.mac,
              String(m.vlan),
              m.endpoint ? `${m.endpoint} (-> ${m.peer})` : m.port,
              m.age === null ? "static" : `${m.age}s`,
              m.owner ?? "",
            ]),
          ])
        : "  (empty)",
    );
  } else {
    parts.push(`Linux bridge ${x.node} (${x.bridge})`, "", "ports:");
    parts.push(
      table([
        ["PORT", "STATE", "LINK"],
        ...x.ports.map((p) => [p.endpoint ?? p.name, !p.adminUp ? "DOWN" : p.carrier ? "UP" : "NO-CARRIER", p.peer ? `-> ${p.peer}` : ""]),
      ]),
    );
    const learned = x.fdb.filter((f) => f.learned);
    parts.push(
      "",
      "forwarding database:",
      learned.length
        ? table([
            ["MAC", "PORT", "VLAN"],
            ...learned.map((f) => [f.mac, f.endpoint ? `${f.endpoint} (-> ${f.peer})` : f.port, f.vlan !== undefined ? String(f.vlan) : ""]),
          ])
        : "  (empty)",
    );
  }
  return parts.join("\n");
}

/** One line per live event. */
export function eventLine(e: LiveEvent): string | null {
  const t = new Date(e.at).toISOString().slice(11, 23);
  switch (e.type) {
    case "node":
      return e.changes.length ? `${t} ${e.node}: ${e.changes.join(", ")}` : null;
    case "ports":
      return e.changes.length ? `${t} switch ports: ${e.changes.join(", ")}` : null;
    case "macs":
      return `${t} ${e.node} MAC table: ${e.entries.map((m) => `${m.mac}@${m.endpoint ?? m.port}`).join(" ")}`;
    case "error":
      return `${t} error: ${e.message}`;
    case "counters":
      return null;
  }
}

/** Applies edits to a lab's document and brings the kernel to it, as `up` does. */
async function edit(e: Engine, name: string, changes: Change[]): Promise<void> {
  const { lab } = await runningLab(e, name);
  const r = applyChanges(lab, changes);
  if (!r.ok) throw new UsageError(r.issues.map((i) => i.message).join("; "));
  const v = validateLab(r.document, { name });
  if (!v.ok) throw new LabValidationError(v.issues);
  await e.up(v.lab);
}

export function registerLive(p: Command): void {
  p.command("inspect")
    .description("a node as the kernel has it: interfaces with counters, routes, neighbours, sockets, processes; a switch's ports and MAC table")
    .argument("<lab>")
    .argument("<node>")
    .option("--json", "print JSON")
    .action(async (lab: string, node: string, o: { json?: boolean }) => {
      const e = new Engine();
      const { lab: doc, tag } = await runningLab(e, lab);
      if (!doc.nodes.some((n) => n.name === node))
        throw new NotFoundError(`lab ${lab} has no node named ${node} (nodes: ${doc.nodes.map((n) => n.name).join(", ")})`);
      const x = await inspectNode(doc, tag, node);
      out(o.json ? JSON.stringify(x, null, 2) : inspectText(x));
    });

  p.command("watch")
    .description("print each change of a lab's kernel state as it happens (by anyone: canvas, CLI or a shell), until Ctrl-C")
    .argument("<lab>")
    .option("--json", "print one JSON event per line")
    .option("--rates", "also sample counters and MAC tables every second")
    .action(async (lab: string, o: { json?: boolean; rates?: boolean }) => {
      const e = new Engine();
      const { lab: doc, tag } = await runningLab(e, lab);
      const w = new LabWatch(doc, tag);
      w.on("event", (ev: LiveEvent) => {
        if (o.json) out(JSON.stringify(ev));
        else {
          const line = eventLine(ev);
          if (line) out(line);
        }
      });
      await w.start();
      if (o.json) out(JSON.stringify({ type: "snapshot", ...w.snapshot(), at: Date.now() }));
      else process.stderr.write(`watching lab ${lab} (Ctrl-C to stop)\n`);
      if (o.rates) w.sampling(true);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          void w.stop().then(resolve);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });

  p.command("link")
    .description("take a link down (cable pulled: both ends lose carrier) or up, or set its packet loss; saved in the lab's document")
    .argument("<lab>")
    .argument("<endpoint>", "NODE:IF, one end of the link")
    .argument("[state]", "down or up")
    .option("--loss <percent>", 'packet loss such as 10% (0% or "none" removes it)')
    .action(async (lab: string, endpoint: string, state: string | undefined, o: { loss?: string }) => {
      if (!endpoint.includes(":")) throw new UsageError(`name the link by one of its ends, NODE:IF, not ${endpoint}`);
      if (state === undefined && o.loss === undefined) throw new UsageError("say down, up or --loss N%");
      if (state !== undefined && state !== "down" && state !== "up") throw new UsageError(`the state is down or up, not ${state}`);
      const set: Record<string, unknown> = {};
      if (state) set["state"] = state === "down" ? "down" : null;
      if (o.loss !== undefined) {
        const m = /^(\d+(?:\.\d+)?)\s*%?$/.exec(o.loss.trim());
        if (o.loss === "none") set["loss"] = null;
        else if (!m || Number(m[1]) > 100) throw new UsageError(`--loss is a percentage from 0 to 100, such as 10%, not ${o.loss}`);
        else set["loss"] = Number(m[1]) === 0 ? null : Number(m[1]);
      }
      const e = new Engine();
      await edit(e, lab, [{ type: "updateLink", link: endpoint, set }]);
      const parts = [
        state ? `${state === "down" ? "down (no carrier at either end)" : "up"}` : "",
        o.loss !== undefined ? `loss ${typeof set["loss"] === "number" ? set["loss"] : 0}%` : "",
      ].filter(Boolean);
      out(`lab ${lab}: link at ${endpoint} ${parts.join(", ")}`);
    });

  p.command("node")
    .description("stop a node (every link of it loses carrier) or start it again; saved in the lab's document")
    .argument("<lab>")
    .argument("<node>")
    .argument("<action>", "stop or start")
    .action(async (lab: string, node: string, action: string) => {
      if (action !== "stop" && action !== "start") throw new UsageError(`the action is stop or start, not ${action}`);
      const e = new Engine();
      await edit(e, lab, [{ type: "updateNode", name: node, set: { state: action === "stop" ? "stopped" : null } }]);
      out(`lab ${lab}: node ${node} ${action === "stop" ? "stopped (its links have no carrier)" : "started"}`);
    });
}
