import { describe, expect, it } from "vitest";
import { parseTopoSpec, topoLab, type TopoSpec } from "./topos";
import { parseLab } from "./validate";
import { isHostLike } from "./kinds";
import type { Lab } from "./schema";

function lab(text: string, name = "mn"): Lab {
  const spec = parseTopoSpec(text);
  if (typeof spec === "string") throw new Error(spec);
  return parseLab(topoLab(spec, name));
}

/** Mininet's `net` view: each link as "a-ethN:b-ethM" */
const linkNames = (l: Lab) => l.links.map((k) => k.endpoints.map((e) => `${e.node}-${e.interface}`).join(":"));

/** every node's interfaces in port order, as Mininet's `net` prints them */
function ports(l: Lab): Record<string, string[]> {
  const out: Record<string, [string, string][]> = {};
  for (const link of l.links) {
    const [a, b] = link.endpoints;
    (out[a.node] ??= []).push([a.interface, `${b.node}-${b.interface}`]);
    (out[b.node] ??= []).push([b.interface, `${a.node}-${a.interface}`]);
  }
  const num = (s: string) => Number(s.replace(/\D/g, ""));
  return Object.fromEntries(
    Object.entries(out).map(([node, list]) => [node, list.sort((x, y) => num(x[0]) - num(y[0])).map(([i, peer]) => `${node}-${i}:${peer}`)]),
  );
}

function addresses(l: Lab): Record<string, string[]> {
  return Object.fromEntries(l.nodes.filter(isHostLike).map((n) => [n.name, n.interfaces["eth0"]?.addresses ?? []]));
}

describe("parseTopoSpec", () => {
  it.each<[string, TopoSpec]>([
    ["minimal", { kind: "minimal", args: [] }],
    ["single", { kind: "single", args: [2] }],
    ["single,3", { kind: "single", args: [3] }],
    [" linear , 4 ", { kind: "linear", args: [4] }],
    ["linear", { kind: "linear", args: [2] }],
    ["tree", { kind: "tree", args: [1, 2] }],
    ["tree,3", { kind: "tree", args: [3, 2] }],
    ["tree,2,2", { kind: "tree", args: [2, 2] }],
    ["single,1000", { kind: "single", args: [1000] }],
  ])("%j", (text, spec) => {
    expect(parseTopoSpec(text)).toEqual(spec);
  });

  it.each([
    ["ring,3", '"ring,3": unknown topology "ring" (minimal, single,N, linear,N, tree,DEPTH,FANOUT)'],
    ["", '"": unknown topology "" (minimal, single,N, linear,N, tree,DEPTH,FANOUT)'],
    ["single,0", '"single,0": the numbers must be whole numbers from 1'],
    ["single,x", '"single,x": the numbers must be whole numbers from 1'],
    ["single,1.5", '"single,1.5": the numbers must be whole numbers from 1'],
    ["single,", '"single,": the numbers must be whole numbers from 1'],
    ["linear,-2", '"linear,-2": the numbers must be whole numbers from 1'],
    ["single,2,3", '"single,2,3": single takes one number (single,N)'],
    ["linear,2,3", '"linear,2,3": linear takes one number (linear,N)'],
    ["minimal,2", '"minimal,2": minimal takes no numbers'],
    ["tree,1,2,3", '"tree,1,2,3": tree takes depth and fanout (tree,DEPTH,FANOUT)'],
    ["tree,10,2", '"tree,10,2": 1024 hosts is more than 1000'],
    ["single,1001", '"single,1001": 1001 hosts is more than 1000'],
    ["linear,5000", '"linear,5000": 5000 switches is more than 1000'],
  ])("refuses %j", (text, reason) => {
    expect(parseTopoSpec(text)).toBe(reason);
  });
});

describe("topoLab: Mininet's names, port order and addresses", () => {
  it("minimal: h1, h2 on s1", () => {
    const l = lab("minimal");
    expect(linkNames(l)).toEqual(["h1-eth0:s1-eth1", "h2-eth0:s1-eth2"]);
    expect(addresses(l)).toEqual({ h1: ["10.0.0.1/8"], h2: ["10.0.0.2/8"] });
  });

  it("single,3", () => {
    const l = lab("single,3");
    expect(l.nodes.map((n) => n.name)).toEqual(["s1", "h1", "h2", "h3"]);
    expect(linkNames(l)).toEqual(["h1-eth0:s1-eth1", "h2-eth0:s1-eth2", "h3-eth0:s1-eth3"]);
    expect(addresses(l)).toEqual({ h1: ["10.0.0.1/8"], h2: ["10.0.0.2/8"], h3: ["10.0.0.3/8"] });
  });

  it("linear,4", () => {
    const l = lab("linear,4");
    expect(l.nodes.map((n) => n.name).sort()).toEqual(["h1", "h2", "h3", "h4", "s1", "s2", "s3", "s4"]);
    expect(ports(l)).toEqual({
      h1: ["h1-eth0:s1-eth1"],
      h2: ["h2-eth0:s2-eth1"],
      h3: ["h3-eth0:s3-eth1"],
      h4: ["h4-eth0:s4-eth1"],
      s1: ["s1-eth1:h1-eth0", "s1-eth2:s2-eth2"],
      s2: ["s2-eth1:h2-eth0", "s2-eth2:s1-eth2", "s2-eth3:s3-eth2"],
      s3: ["s3-eth1:h3-eth0", "s3-eth2:s2-eth3", "s3-eth3:s4-eth2"],
      s4: ["s4-eth1:h4-eth0", "s4-eth2:s3-eth3"],
    });
    expect(addresses(l)).toEqual({ h1: ["10.0.0.1/8"], h2: ["10.0.0.2/8"], h3: ["10.0.0.3/8"], h4: ["10.0.0.4/8"] });
  });

  it("tree,2,2", () => {
    const l = lab("tree,2,2");
    // made depth first, as Mininet's TreeTopo makes them
    expect(l.nodes.map((n) => n.name)).toEqual(["s1", "s2", "h1", "h2", "s3", "h3", "h4"]);
    expect(linkNames(l)).toEqual(["s2-eth1:h1-eth0", "s2-eth2:h2-eth0", "s1-eth1:s2-eth3", "s3-eth1:h3-eth0", "s3-eth2:h4-eth0", "s1-eth2:s3-eth3"]);
    expect(ports(l)["s1"]).toEqual(["s1-eth1:s2-eth3", "s1-eth2:s3-eth3"]);
    expect(addresses(l)).toEqual({ h1: ["10.0.0.1/8"], h2: ["10.0.0.2/8"], h3: ["10.0.0.3/8"], h4: ["10.0.0.4/8"] });
  });

  it("tree,3,3 has 27 hosts and 13 switches with sequential names", () => {
    const l = lab("tree,3,3");
    const hosts = l.nodes.filter(isHostLike).map((n) => n.name);
    const switches = l.nodes.filter((n) => n.kind === "switch").map((n) => n.name);
    expect(hosts).toEqual(Array.from({ length: 27 }, (_, i) => `h${i + 1}`));
    expect([...switches].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))).toEqual(Array.from({ length: 13 }, (_, i) => `s${i + 1}`));
    expect(l.links).toHaveLength(39);
    expect(addresses(l)["h27"]).toEqual(["10.0.0.27/8"]);
  });

  it("addresses go on past 255 as Mininet's ipAdd does", () => {
    const l = lab("single,300");
    const a = addresses(l);
    expect(a["h255"]).toEqual(["10.0.0.255/8"]);
    expect(a["h256"]).toEqual(["10.0.1.0/8"]);
    expect(a["h300"]).toEqual(["10.0.1.44/8"]);
  });

  it("carries the name, a description and a layout", () => {
    const doc = topoLab({ kind: "tree", args: [2, 2] }, "t");
    expect(doc.name).toBe("t");
    expect(doc.description).toBe("Mininet topology tree,2,2");
    expect(topoLab({ kind: "minimal", args: [] }, "m").description).toBe("Mininet topology minimal");
    // parents sit above and between their children
    const pos = Object.fromEntries(doc.nodes.map((n) => [n.name, n.position]));
    expect(pos["s1"]!.y).toBeLessThan(pos["s2"]!.y);
    expect(pos["s2"]!.y).toBeLessThan(pos["h1"]!.y);
    expect(pos["s2"]!.x).toBe((pos["h1"]!.x + pos["h2"]!.x) / 2);
    expect(pos["s1"]!.x).toBe((pos["s2"]!.x + pos["s3"]!.x) / 2);
  });

  it("topoLab refuses sizes above the limit", () => {
    expect(() => topoLab({ kind: "single", args: [1001] }, "x")).toThrow("1001 hosts is more than 1000");
    expect(() => topoLab({ kind: "linear", args: [1001] }, "x")).toThrow("1001 switches is more than 1000");
    expect(() => topoLab({ kind: "tree", args: [1, 1001] }, "x")).toThrow("1001 hosts is more than 1000");
  });
});
