// A progress line on the terminal while a lab comes up or goes down (a 1,000-node lab takes seconds).
//
// Knows: how to count finished operations by what they make or remove (namespaces, veth pairs,
// OVS ports, ...) from the engine's command log, and how to keep one line up to date on a
// terminal, at most ten times a second, and erase it at the end. Leaves to others: the work
// (engine), when to show it (the CLI: only on a terminal, not with --json or --verbose).

const CATEGORIES: [RegExp, string][] = [
  [/^namespace /, "namespaces"],
  [/^veth pair /, "veth pairs"],
  [/^OVS bridge /, "OVS bridges"],
  [/^OVS (patch |internal )?port /, "OVS ports"],
  [/^Linux bridge /, "Linux bridges"],
  [/^port \S+ of Linux bridge /, "bridge ports"],
  [/^interface /, "interfaces"],
  [/^address /, "addresses"],
  [/^route /, "routes"],
];

/** "create namespace tl.x.h1 (node h1)" -> "namespaces" (plan.ts's summaries); null for others. */
export function progressCategory(opSummary: string): string | null {
  const m = /^(create|update|reapply|delete) (.*)$/.exec(opSummary);
  if (!m) return null;
  return CATEGORIES.find(([re]) => re.test(m[2]!))?.[1] ?? null;
}

const ORDER = CATEGORIES.map(([, c]) => c);

export class ProgressCounter {
  private readonly seen = new Set<string>();
  readonly counts = new Map<string, number>();

  /** One finished command of an operation; an operation counts once, whatever its commands. */
  add(opSummary: string): void {
    if (this.seen.has(opSummary)) return;
    this.seen.add(opSummary);
    const c = progressCategory(opSummary);
    if (c) this.counts.set(c, (this.counts.get(c) ?? 0) + 1);
  }

  line(verb: string, lab: string, seconds: number): string {
    const parts = ORDER.filter((c) => this.counts.has(c)).map((c) => `${this.counts.get(c)} ${c}`);
    return `${verb} ${lab}: ${parts.length ? parts.join(", ") : "planning"} (${seconds.toFixed(1)} s)`;
  }
}

export interface ProgressLine {
  log: (entry: { op: string }) => void;
  done: () => void;
}

/** A line on `stream` (a terminal) kept up to date while the work goes on, erased by done(). */
export function progressLine(stream: NodeJS.WriteStream, verb: string, lab: string): ProgressLine {
  const counter = new ProgressCounter();
  const started = performance.now();
  let shown = "";
  const draw = () => {
    const text = counter.line(verb, lab, (performance.now() - started) / 1000);
    const width = Math.max(20, (stream.columns || 80) - 1);
    shown = text.length > width ? text.slice(0, width - 1) + "…" : text;
    stream.write(`\r\x1b[2K${shown}`);
  };
  // the event loop is free while ip and ovs-vsctl work, so a timer redraws the line
  const timer = setInterval(draw, 100);
  timer.unref();
  draw();
  return {
    log: (entry) => counter.add(entry.op),
    done: () => {
      clearInterval(timer);
      if (shown) stream.write("\r\x1b[2K");
    },
  };
}
