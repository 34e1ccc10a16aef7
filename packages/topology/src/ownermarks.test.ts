// The owner in a lab's marks (issue 10, case 4): realize() with an owner id puts it in every
// root-side alias and in the OVS bridges' and ports' resources, and the commands write it as
// external_ids:topolab-owner; without one (the export script, labs of before), the marks are
// as they always were.

import { describe, expect, it } from "vitest";
import { createCommands } from "./commands";
import { aliasLab } from "./names";
import { realize } from "./realize";
import { parseLab } from "./validate";

const lab = parseLab({
  name: "demo",
  nodes: [
    { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } },
    { name: "h2", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.2/24"] } } },
    { name: "s1", kind: "switch", type: "ovs" },
    { name: "s2", kind: "switch", type: "bridge" },
    { name: "h3", kind: "host" },
  ],
  links: [{ endpoints: ["h1:eth0", "s1"] }, { endpoints: ["h2:eth0", "s1"], internal: true }, { endpoints: ["s1", "s2"] }, { endpoints: ["h3", "s2"] }],
});

const words = (rs: ReturnType<typeof realize>) =>
  rs.flatMap((r) => createCommands(r)).map((c) => ("args" in c ? c.args.join(" ") : "argv" in c ? c.argv.join(" ") : ""));

describe("owner marks", () => {
  it("an owner id reaches every alias and every OVS row", () => {
    const rs = realize(lab, { tag: "demo", ovsDatapath: "netdev", owner: "k3x9q2mz7a" });
    const aliases = rs.flatMap((r) => ("alias" in r && r.alias ? [r.alias] : []));
    expect(aliases.length).toBeGreaterThan(4);
    for (const a of aliases) expect(aliasLab(a)).toMatchObject({ lab: "demo", owner: "k3x9q2mz7a" });
    const ovs = rs.filter((r) => r.kind === "ovsBridge" || r.kind === "ovsPort");
    expect(ovs.length).toBeGreaterThanOrEqual(3);
    for (const r of ovs) expect(r).toMatchObject({ lab: "demo", owner: "k3x9q2mz7a" });
    const text = words(rs).join("\n");
    expect(text).toMatch(/set Bridge demo-s1 .*external_ids:topolab-lab=demo .*external_ids:topolab-owner=k3x9q2mz7a/);
    expect(text.match(/set Port \S+ external_ids:topolab-lab=demo external_ids:topolab-owner=k3x9q2mz7a/g)?.length).toBe(ovs.length - 1);
  });

  it("without an owner, the marks are the old ones", () => {
    const rs = realize(lab, { tag: "demo", ovsDatapath: "netdev" });
    for (const r of rs) if ("alias" in r && r.alias) expect(aliasLab(r.alias)!.owner).toBeUndefined();
    for (const r of rs) if (r.kind === "ovsBridge" || r.kind === "ovsPort") expect(r.owner).toBeUndefined();
    expect(words(rs).join("\n")).not.toContain("topolab-owner");
  });
});
