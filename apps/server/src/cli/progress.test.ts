import { describe, expect, it } from "vitest";
import { parseLab, plan, realize } from "@topolab/topology";
import { ProgressCounter, progressCategory } from "./progress";

describe("progress line", () => {
  it("counts the operations of a real plan by what they make, each once", () => {
    const lab = parseLab({
      name: "p",
      nodes: [
        { name: "h1", kind: "host" },
        { name: "h2", kind: "host" },
        { name: "s1", kind: "switch" },
        { name: "b1", kind: "switch", type: "bridge" },
      ],
      links: [{ endpoints: ["h1", "s1"] }, { endpoints: ["h2", "b1"] }, { endpoints: ["s1", "b1"] }],
    });
    const p = plan(realize(lab, { tag: "p", ovsDatapath: "netdev" }), { resources: [] });
    const c = new ProgressCounter();
    for (const op of p.ops) for (let i = 0; i < op.commands.length; i++) c.add(op.summary);
    expect(Object.fromEntries(c.counts)).toMatchObject({
      namespaces: 2,
      "veth pairs": 3,
      "OVS bridges": 1,
      "OVS ports": 2,
      "Linux bridges": 1,
      "bridge ports": 2,
    });
    expect(c.line("up", "p", 1.23)).toMatch(/^up p: 2 namespaces, 3 veth pairs, 1 OVS bridges, 2 OVS ports, 1 Linux bridges, 2 bridge ports, .* \(1\.2 s\)$/);
  });

  it("removals count too; other operations do not", () => {
    expect(progressCategory("delete namespace tl.p.h1 (node h1)")).toBe("namespaces");
    expect(progressCategory("create OVS patch port x on y")).toBe("OVS ports");
    expect(progressCategory("create file /etc/netns/tl.p.h1/hosts")).toBeNull();
    expect(new ProgressCounter().line("down", "p", 0)).toBe("down p: planning (0.0 s)");
  });
});
