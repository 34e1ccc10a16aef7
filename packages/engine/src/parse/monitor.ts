// `ip -o monitor label [all-nsid] link address route neigh` lines parsed into events.
//
// Knows: the line shapes "[nsid N][LINK]…", "[nsid current][ADDR]Deleted …", "[ROUTE]…": which
// kind of object changed, in which namespace (by nsid; "current" is the monitor's own), the
// interface concerned when the line says it, and whether it was a removal. Interface names in
// all-nsid lines of other namespaces are resolved in the monitor's namespace and can be wrong:
// callers re-read the namespace rather than trust them.
// Leaves to others: running the monitor, debouncing, re-reading (monitor.ts in the engine).

import { jsonArray, ParseError, str } from "./common";

export type MonitorKind = "link" | "address" | "route" | "neigh" | "nsid";

export interface MonitorEvent {
  kind: MonitorKind;
  /** the nsid the line came from; null: the monitor's own namespace ("current" or no prefix) */
  nsid: number | null;
  deleted: boolean;
  /** the interface the line names, when it names one */
  dev?: string;
  /** for link lines: flags and state */
  flags?: string[];
  text: string;
}

const KINDS: Record<string, MonitorKind> = { LINK: "link", ADDR: "address", ROUTE: "route", NEIGH: "neigh", NSID: "nsid" };

export function parseMonitorLine(line: string): MonitorEvent | null {
  let rest = line.replace(/\s+$/, "");
  if (!rest) return null;
  let nsid: number | null = null;
  const ns = /^\[nsid (\d+|current)\]/.exec(rest);
  if (ns) {
    nsid = ns[1] === "current" ? null : Number(ns[1]);
    rest = rest.slice(ns[0].length);
  }
  const label = /^\[([A-Z]+)\]/.exec(rest);
  if (!label) throw new ParseError("ip monitor label", `a line without a [KIND] label: ${line}`);
  const kind = KINDS[label[1]!];
  if (!kind) return null; // a kind not asked for (e.g. [NETCONF])
  rest = rest.slice(label[0].length);
  const deleted = rest.startsWith("Deleted ");
  if (deleted) rest = rest.slice(8);
  const event: MonitorEvent = { kind, nsid, deleted, text: rest };
  if (kind === "link" || kind === "address") {
    const m = /^\d+: ([^:@\s]+)(?:@[^:\s]+)?:?\s/.exec(rest);
    if (m) event.dev = m[1]!;
    const f = /<([A-Z0-9_,-]*)>/.exec(rest);
    if (kind === "link" && f) event.flags = f[1]!.split(",").filter(Boolean);
  } else {
    const m = /\bdev (\S+)/.exec(rest);
    if (m) event.dev = m[1]!;
  }
  return event;
}

export function parseMonitorLines(text: string): MonitorEvent[] {
  return text
    .split("\n")
    .map(parseMonitorLine)
    .filter((e): e is MonitorEvent => e !== null);
}

/** `ip -j netns list` parsed: namespace name -> nsid, for those that have one. */
export function parseNetnsList(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const o of jsonArray("ip -j netns list", text)) {
    const name = str("ip -j netns list", o, "name");
    if (typeof o["id"] === "number") out.set(o["id"], name);
  }
  return out;
}

/** `ip netns list-id` parsed (iproute2 6.1 lists only the first ~130: prefer parseNetnsList): nsid -> namespace name (only those with a name). */
export function parseNetnsIds(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split("\n")) {
    const m = /^nsid (\d+) \(iproute2 netns name: (\S+)\)/.exec(line.trim());
    if (m) out.set(Number(m[1]), m[2]!);
  }
  return out;
}
