// Mininet's built-in topologies (`--topo single,3`, `linear,4`, `tree,2,2`) as lab documents.
//
// Knows: Mininet's node names (h1.., s1..), link order (so switch ports are numbered as
// Mininet numbers them) and addresses (10.0.0.N/8 in the order hosts are made), plus a tidy
// canvas layout. Leaves to others: validation (the result is validated like any lab file).

export interface TopoSpec {
  kind: "minimal" | "single" | "linear" | "tree";
  args: number[];
}

interface RawNode {
  name: string;
  kind: "host" | "switch";
  position: { x: number; y: number };
  interfaces?: Record<string, { addresses: string[] }>;
}

const LIMIT = 1000;

/** Parses "single,3", "linear,4", "tree,2,2", "minimal"; returns a reason when it cannot. */
export function parseTopoSpec(text: string): TopoSpec | string {
  const [kind, ...rest] = text.split(",").map((s) => s.trim());
  const args = rest.map(Number);
  if (args.some((n) => !Number.isInteger(n) || n < 1)) return `"${text}": the numbers must be whole numbers from 1`;
  switch (kind) {
    case "minimal":
      if (args.length) return `"${text}": minimal takes no numbers`;
      return { kind, args };
    case "single":
    case "linear":
      if (args.length > 1) return `"${text}": ${kind} takes one number (${kind},N)`;
      // the same limit topoLab enforces, said here instead of thrown there
      if ((args[0] ?? 2) > LIMIT) return `"${text}": ${args[0]} ${kind === "single" ? "hosts" : "switches"} is more than ${LIMIT}`;
      return { kind, args: [args[0] ?? 2] };
    case "tree": {
      if (args.length > 2) return `"${text}": tree takes depth and fanout (tree,DEPTH,FANOUT)`;
      const [depth = 1, fanout = 2] = args;
      if (fanout ** depth > LIMIT) return `"${text}": ${fanout ** depth} hosts is more than ${LIMIT}`;
      return { kind, args: [depth, fanout] };
    }
    default:
      return `"${text}": unknown topology "${kind}" (minimal, single,N, linear,N, tree,DEPTH,FANOUT)`;
  }
}

/** A lab document (input form) for a Mininet topology. */
export function topoLab(spec: TopoSpec, name: string): { name: string; description: string; nodes: RawNode[]; links: { endpoints: [string, string] }[] } {
  const nodes: RawNode[] = [];
  const links: { endpoints: [string, string] }[] = [];
  let hostNum = 1;
  const addHost = (name: string, x: number, y: number) => {
    nodes.push({
      name,
      kind: "host",
      position: { x, y },
      interfaces: { eth0: { addresses: [`10.${(hostNum >> 16) & 255}.${(hostNum >> 8) & 255}.${hostNum & 255}/8`] } },
    });
    hostNum++;
    return name;
  };
  const addSwitch = (name: string, x: number, y: number) => {
    nodes.push({ name, kind: "switch", position: { x, y } });
    return name;
  };
  const link = (a: string, b: string) => links.push({ endpoints: [a, b] });

  const { kind, args } = spec;
  if (kind === "minimal" || kind === "single") {
    const n = kind === "minimal" ? 2 : args[0]!;
    if (n > LIMIT) throw new Error(`${n} hosts is more than ${LIMIT}`);
    const s1 = addSwitch("s1", ((n - 1) * 120) / 2, 0);
    for (let i = 1; i <= n; i++) link(addHost(`h${i}`, (i - 1) * 120, 160), s1);
  } else if (kind === "linear") {
    const n = args[0]!;
    if (n > LIMIT) throw new Error(`${n} switches is more than ${LIMIT}`);
    // Mininet's LinearTopo: hosts and switches first, then host links, then the chain
    for (let i = 1; i <= n; i++) {
      addHost(`h${i}`, (i - 1) * 140, 160);
      addSwitch(`s${i}`, (i - 1) * 140, 0);
    }
    for (let i = 1; i <= n; i++) {
      link(`h${i}`, `s${i}`);
      if (i > 1) link(`s${i - 1}`, `s${i}`);
    }
  } else {
    const [depth, fanout] = args as [number, number];
    let switchNum = 1;
    const leaves = fanout ** depth;
    const width = 110;
    let leafIndex = 0;
    const addTree = (d: number): { name: string; x: number } => {
      if (d === 0) {
        const x = leafIndex++ * width;
        return { name: addHost(`h${hostNum}`, x, depth * 140), x };
      }
      const name = `s${switchNum++}`;
      const at = nodes.length;
      nodes.push({ name, kind: "switch", position: { x: 0, y: (depth - d) * 140 } });
      const children = [];
      for (let i = 0; i < fanout; i++) {
        const child = addTree(d - 1);
        link(name, child.name);
        children.push(child.x);
      }
      const x = (Math.min(...children) + Math.max(...children)) / 2;
      nodes[at]!.position.x = x;
      return { name, x };
    };
    if (leaves > LIMIT) throw new Error(`${leaves} hosts is more than ${LIMIT}`);
    addTree(depth);
  }
  const description = `Mininet topology ${kind}${args.length ? "," + args.join(",") : ""}`;
  return { name, description, nodes, links };
}
