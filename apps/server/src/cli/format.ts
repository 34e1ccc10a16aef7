// Plain-text views for the terminal: tables of labs and nodes, plan listings.
//
// Knows: column alignment and the words shown to a person. Leaves to others: the data.

import type { LabStatus, PingAllResult } from "@topolab/engine";
import { opsToShell, type Lab, type Op, type PlanSummary } from "@topolab/topology";

export function table(rows: string[][]): string {
  if (rows.length === 0) return "";
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function summaryLine(lab: string, s: PlanSummary, seconds: number): string {
  if (s.create + s.update + s.delete === 0) return `lab ${lab}: up to date, nothing to change (${seconds.toFixed(2)} s)`;
  return `lab ${lab}: ${s.create} created, ${s.update} changed, ${s.delete} removed (${seconds.toFixed(2)} s)`;
}

export function labsTable(labs: LabStatus[]): string {
  if (labs.length === 0) return "no labs (start one: topolab up --topo single,3 --name demo)";
  return table([
    ["LAB", "STATE", "NODES", "UPDATED", "SOURCE"],
    ...labs.map((l) => [
      l.name,
      l.state,
      String(l.nodes.length),
      l.updatedAt?.replace("T", " ").slice(0, 19) ?? "-",
      l.owner ? `another topolab's: ${l.owner.stateDir ?? `owner ${l.owner.id}`}` : (l.source ?? "-"),
    ]),
  ]);
}

export function nodesTable(lab: LabStatus): string {
  const rows: string[][] = [["NODE", "KIND", "STATE", "INTERFACE", "ADDRESSES", "LINK TO"]];
  for (const n of lab.nodes) {
    const kind = n.type ? `${n.kind}/${n.type}` : n.kind;
    if (n.interfaces.length === 0) rows.push([n.name, kind, n.state, "-", "", ""]);
    n.interfaces.forEach((i, k) => {
      rows.push([
        k === 0 ? n.name : "",
        k === 0 ? kind : "",
        k === 0 ? n.state : "",
        `${i.name}${i.state !== "up" ? ` (${i.state})` : ""}`,
        i.addresses.join(" ") + (i.lease ? ` (DHCP from ${i.lease.server ?? "?"})` : ""),
        i.peer ?? "",
      ]);
    });
    for (const svc of n.services) {
      const state = svc.state === "running" ? `running, pid ${svc.pid}` : svc.state === "exited" ? `exited (code ${svc.exitCode ?? "?"})` : "stopped";
      rows.push(["", "", "", `service ${svc.name}`, state, svc.command[0] ?? ""]);
    }
  }
  const problems = lab.nodes.flatMap((n) => n.problems.map((p) => `  ${n.name}: ${p}`));
  return [`lab ${lab.name}: ${lab.state}`, table(rows), ...(problems.length ? ["problems:", ...problems] : [])].join("\n");
}

/** "hosts h1 h2 h3 · switches s1", from the document (no second look at the kernel). */
export function nodeLine(lab: Lab): string {
  const groups: [string, string[]][] = [
    ["hosts", lab.nodes.filter((n) => n.kind === "host").map((n) => n.name)],
    ["routers", lab.nodes.filter((n) => n.kind === "router").map((n) => n.name)],
    ["switches", lab.nodes.filter((n) => n.kind === "switch").map((n) => n.name)],
  ];
  const shorten = (names: string[]) => (names.length > 12 ? `${names.slice(0, 10).join(" ")} … ${names.at(-1)} (${names.length})` : names.join(" "));
  return groups
    .filter(([, names]) => names.length)
    .map(([what, names]) => `${what} ${shorten(names)}`)
    .join("   ·   ");
}

/** Mininet's pingall output: one line per source, X for no reply, and the loss. */
export function pingMatrix(r: PingAllResult): string {
  const lines = ["*** Ping: testing ping reachability"];
  const sources = [...new Set(r.pairs.map((p) => p.from))];
  for (const src of sources) {
    lines.push(
      `${src} -> ${r.pairs
        .filter((p) => p.from === src)
        .map((p) => (p.ok ? p.to : "X"))
        .join(" ")}`,
    );
  }
  if (r.unaddressed.length) lines.push(`(no IPv4 address to ping: ${r.unaddressed.join(", ")})`);
  lines.push(`*** Results: ${r.dropped}% dropped (${r.received}/${r.sent} received)`);
  return lines.join("\n");
}

/**
 * Mininet's pingallfull: one line per pair with what fping saw over pingall's rounds (replies,
 * echoes, round trips, loss), then the same results line as the matrix.
 */
export function pingFull(r: PingAllResult): string {
  const lines = ["*** Ping: testing ping reachability"];
  for (const p of r.pairs) {
    const o = p.output;
    let what: string;
    if (o.received > 0) {
      const rtt = o.rtt ? `, rtt ${o.rtt.min === o.rtt.max ? `${o.rtt.avg} ms` : `min/avg/max ${o.rtt.min}/${o.rtt.avg}/${o.rtt.max} ms`}` : "";
      what = `${o.received} received of ${o.sent ?? `at most ${o.sentAtMost}`} sent${rtt}`;
    } else {
      what = `0 received of ${o.sent ?? o.sentAtMost} sent, ${o.lossPercent ?? 100}% loss`;
    }
    lines.push(`${p.from} -> ${p.to} (${p.address}): ${what} (${o.rounds} round${o.rounds === 1 ? "" : "s"})`);
  }
  if (r.unaddressed.length) lines.push(`(no IPv4 address to ping: ${r.unaddressed.join(", ")})`);
  lines.push(`*** Results: ${r.dropped}% dropped (${r.received}/${r.sent} received)`);
  return lines.join("\n");
}

export function planListing(ops: Op[]): string {
  if (ops.length === 0) return "nothing to change";
  return opsToShell(ops).join("\n");
}
