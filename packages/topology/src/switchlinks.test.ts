import { describe, expect, it } from "vitest";
import { MAX_PATCH_RUN, patchLinks, switchLoops } from "./switchlinks";
import { realize } from "./realize";
import { topoLab } from "./topos";
import { parseLab, validateLab } from "./validate";
import type { Lab } from "./schema";

const S = (name: string, type: "ovs" | "bridge" = "ovs", stp = false) => ({ name, kind: "switch", type, ...(stp ? { stp } : {}) });
const H = (name: string) => ({ name, kind: "host" });

function chain(n: number, type: (i: number) => "ovs" | "bridge" = () => "ovs", stp = false): { nodes: unknown[]; links: unknown[] } {
  const nodes = Array.from({ length: n }, (_, i) => S(`s${i + 1}`, type(i + 1), stp));
  const links = Array.from({ length: n - 1 }, (_, i) => ({ endpoints: [`s${i + 1}`, `s${i + 2}`] }));
  return { nodes, links };
}

/**
 * The most patch links any packet can cross in a row, found independently of patchLinks:
 * groups of switches joined by patch links; an acyclic group's diameter by BFS from every node,
 * a cyclic group's node count minus one (a spanning tree may route along any simple path).
 */
function longestPatchRun(lab: Lab, patches: Set<number>): number {
  const adj = new Map<string, string[]>();
  const add = (a: string, b: string) => adj.set(a, [...(adj.get(a) ?? []), b]);
  for (const i of patches) {
    const [a, b] = lab.links[i]!.endpoints.map((e) => e.node) as [string, string];
    add(a, b);
    add(b, a);
  }
  const seen = new Set<string>();
  let worst = 0;
  for (const start of adj.keys()) {
    if (seen.has(start)) continue;
    const members = [start];
    seen.add(start);
    for (let i = 0; i < members.length; i++)
      for (const n of adj.get(members[i]!)!)
        if (!seen.has(n)) {
          seen.add(n);
          members.push(n);
        }
    const edges = members.reduce((sum, m) => sum + adj.get(m)!.length, 0) / 2;
    if (edges >= members.length) {
      worst = Math.max(worst, members.length - 1);
      continue;
    }
    for (const from of members) {
      const dist = new Map([[from, 0]]);
      const q = [from];
      for (let i = 0; i < q.length; i++)
        for (const n of adj.get(q[i]!)!)
          if (!dist.has(n)) {
            dist.set(n, dist.get(q[i]!)! + 1);
            q.push(n);
          }
      worst = Math.max(worst, ...dist.values());
    }
  }
  return worst;
}

describe("patchLinks: which OVS-to-OVS links stay patch ports", () => {
  it("a short chain is all patch ports", () => {
    const lab = parseLab({ name: "c", ...chain(10) });
    expect([...patchLinks(lab)]).toEqual([...Array(9).keys()]);
  });

  it("a chain of 100 switches: runs of 32 patch links broken by a veth, 3 veths in all", () => {
    const lab = parseLab({ name: "c", ...chain(100) });
    const patches = patchLinks(lab);
    expect(longestPatchRun(lab, patches)).toBe(MAX_PATCH_RUN);
    const veths = lab.links.map((_, i) => i).filter((i) => !patches.has(i));
    // links s33-s34, s66-s67, s99-s100 (indexes 32, 65, 98)
    expect(veths).toEqual([32, 65, 98]);
  });

  it("linear,100 from topos: host links are never patches; the chain is cut as above", () => {
    const lab = parseLab(topoLab({ kind: "linear", args: [100] }, "l"));
    const patches = patchLinks(lab);
    for (const i of patches) expect(lab.links[i]!.endpoints.every((e) => e.node.startsWith("s"))).toBe(true);
    expect(longestPatchRun(lab, patches)).toBeLessThanOrEqual(MAX_PATCH_RUN);
    expect(patches.size).toBe(99 - 3);
  });

  it("trees: tree,3,4 is all patches; a deep binary tree is cut so no path is longer than the limit", () => {
    const small = parseLab(topoLab({ kind: "tree", args: [3, 4] }, "t"));
    const switchLinks = small.links.filter((l) => l.endpoints.every((e) => e.node.startsWith("s"))).length;
    expect(patchLinks(small).size).toBe(switchLinks);

    // a caterpillar: a spine of 60 switches, each with a leaf switch; diameter 61 before cutting
    const nodes = [...Array.from({ length: 60 }, (_, i) => S(`p${i}`)), ...Array.from({ length: 60 }, (_, i) => S(`q${i}`))];
    const links = [
      ...Array.from({ length: 60 }, (_, i) => ({ endpoints: [`p${i}`, `q${i}`] })),
      ...Array.from({ length: 59 }, (_, i) => ({ endpoints: [`p${i}`, `p${i + 1}`] })),
    ];
    const deep = parseLab({ name: "t", nodes, links });
    const patches = patchLinks(deep);
    expect(longestPatchRun(deep, patches)).toBeLessThanOrEqual(MAX_PATCH_RUN);
    expect(patches.size).toBeGreaterThan(100);
  });

  it("a ring with spanning tree: a cyclic group is kept to MAX_PATCH_RUN + 1 switches", () => {
    const small = chain(10, () => "ovs", true);
    small.links.push({ endpoints: ["s10", "s1"] });
    const lab = parseLab({ name: "r", ...small });
    expect(patchLinks(lab).size).toBe(10);

    const big = chain(50, () => "ovs", true);
    big.links.push({ endpoints: ["s50", "s1"] });
    const ring = parseLab({ name: "r", ...big });
    const patches = patchLinks(ring);
    expect(longestPatchRun(ring, patches)).toBeLessThanOrEqual(MAX_PATCH_RUN);
    expect(patches.has(49)).toBe(false); // the closing link is a veth: the group would be a 50-switch ring
  });

  it("mixed kinds: links touching a Linux bridge are veths and end a run", () => {
    // s1..s40 OVS, except s20 a Linux bridge: two OVS runs of 18 and 19 links, both under the limit
    const lab = parseLab({ name: "m", ...chain(40, (i) => (i === 20 ? "bridge" : "ovs")) });
    const patches = patchLinks(lab);
    expect(patches.has(18)).toBe(false); // s19-s20
    expect(patches.has(19)).toBe(false); // s20-s21
    expect(patches.size).toBe(37);
    const res = realize(lab, { tag: "m", ovsDatapath: "netdev" });
    expect(res.filter((r) => r.kind === "veth")).toHaveLength(2);
    expect(res.filter((r) => r.kind === "ovsPort" && r.type === "patch")).toHaveLength(74);
  });

  it("shaped and internal links are never patches", () => {
    const lab = parseLab({
      name: "x",
      nodes: [S("s1"), S("s2"), H("h1")],
      links: [
        { endpoints: ["s1", "s2"], delay: "5ms" },
        { endpoints: ["h1", "s1"], internal: true },
      ],
    });
    expect(patchLinks(lab).size).toBe(0);
  });

  it("appending a link never changes the choice for the links before it", () => {
    const base = chain(70);
    const before = patchLinks(parseLab({ name: "a", ...base }));
    base.nodes.push(S("s71"));
    base.links.push({ endpoints: ["s70", "s71"] });
    const after = patchLinks(parseLab({ name: "a", ...base }));
    for (let i = 0; i < 69; i++) expect(after.has(i)).toBe(before.has(i));
  });

  it("realize: a chain of 100 becomes 96 patch pairs and 3 veth pairs between system ports", () => {
    const lab = parseLab({ name: "c", ...chain(100) });
    const res = realize(lab, { tag: "c", ovsDatapath: "netdev", checksumOffloadOff: true });
    expect(res.filter((r) => r.kind === "ovsPort" && r.type === "patch")).toHaveLength(2 * 96);
    expect(res.filter((r) => r.kind === "veth")).toHaveLength(3);
    expect(res.filter((r) => r.kind === "ovsPort" && r.type === "system")).toHaveLength(6);
  });
});

describe("switchLoops and validation of loops", () => {
  it("a tree has no loop; a ring has one, named in order", () => {
    const tree = parseLab(topoLab({ kind: "tree", args: [2, 3] }, "t"));
    expect(switchLoops(tree.nodes, tree.links)).toEqual([]);
    const ring = chain(4, () => "ovs", true);
    ring.links.push({ endpoints: ["s4", "s1"] });
    const lab = parseLab({ name: "r", ...ring });
    expect(switchLoops(lab.nodes, lab.links)).toEqual([{ link: 3, switches: ["s4", "s3", "s2", "s1"] }]);
  });

  it("two links between the same two switches are a loop", () => {
    const lab = parseLab({ name: "d", nodes: [S("a", "ovs", true), S("b", "bridge", true)], links: [{ endpoints: ["a", "b"] }, { endpoints: ["a", "b"] }] });
    expect(switchLoops(lab.nodes, lab.links)).toEqual([{ link: 1, switches: ["a", "b"] }]);
  });

  it("a loop without spanning tree is refused, naming the link, the loop and the switches to change", () => {
    const ring = chain(3, (i) => (i === 2 ? "bridge" : "ovs"));
    ring.nodes[0] = S("s1", "ovs", true);
    ring.links.push({ endpoints: ["s3", "s1"] });
    const r = validateLab({ name: "r", ...ring });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual([
      {
        path: "links[2]",
        message:
          'closes a loop of switches (s3 – s2 – s1 – s3), which would flood broadcasts for ever: set "stp: true" on s3, s2 (spanning tree then blocks one link of the loop), or remove a link',
      },
    ]);
  });

  it("a loop through hosts or routers is no switch loop", () => {
    const r = validateLab({
      name: "ok",
      nodes: [S("s1"), S("s2"), { name: "r1", kind: "router" }, { name: "r2", kind: "router" }],
      links: [{ endpoints: ["s1", "s2"] }, { endpoints: ["s1", "r1"] }, { endpoints: ["r1", "r2"] }, { endpoints: ["r2", "s2"] }],
    });
    expect(r.ok).toBe(true);
  });
});
