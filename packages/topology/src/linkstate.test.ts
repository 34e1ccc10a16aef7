// Break and mend in the model: a link's state and loss, a node's stopped state, as the
// document, validation, realization and export have them.

import { describe, expect, it } from "vitest";
import { labToDocument } from "./labfile";
import { plan } from "./plan";
import { realize, type RealizeEnv } from "./realize";
import { keys, lossTableDev, lossTableName, type Resource } from "./resources";
import { parseLab, validateLab } from "./validate";
import { createCommands, Stage } from "./commands";
import { capabilityIssues } from "./capabilities";

const env: RealizeEnv = { tag: "demo", ovsDatapath: "netdev" };
const doc = (links: Record<string, unknown>[], extra: Record<string, unknown> = {}) => ({
  name: "demo",
  nodes: [
    { name: "h1", kind: "host", ...extra },
    { name: "h2", kind: "host" },
    { name: "s1", kind: "switch" },
    { name: "s2", kind: "switch" },
    { name: "b1", kind: "switch", type: "bridge" },
  ],
  links,
});
const ifaceUp = (res: Resource[], ns: string | null, name: string) => (res.find((r) => r.key === keys.iface(ns, name)) as { up: boolean }).up;

describe("link state", () => {
  it("down on a switch link: the root-side end goes down, the host end stays up", () => {
    const lab = parseLab(doc([{ endpoints: ["h1:eth0", "s1:eth1"], state: "down" }]));
    expect(lab.links[0]!.state).toBe("down");
    const res = realize(lab, env);
    expect(ifaceUp(res, null, "demo-s1-eth1")).toBe(false);
    expect(ifaceUp(res, "tl.demo.h1", "eth0")).toBe(true);
    expect(labToDocument(lab).links).toEqual([{ endpoints: ["h1:eth0", "s1:eth1"], state: "down" }]);
  });

  it("up is the default and is not written", () => {
    const lab = parseLab(doc([{ endpoints: ["h1:eth0", "s1:eth1"], state: "up" }]));
    expect(lab.links[0]!.state).toBeUndefined();
    expect(ifaceUp(realize(lab, env), null, "demo-s1-eth1")).toBe(true);
  });

  it("down between two hosts: the second end goes down, the first sees no carrier", () => {
    const res = realize(parseLab(doc([{ endpoints: ["h1:eth0", "h2:eth0"], state: "down" }])), env);
    expect(ifaceUp(res, "tl.demo.h1", "eth0")).toBe(true);
    expect(ifaceUp(res, "tl.demo.h2", "eth0")).toBe(false);
  });

  it("a stopped node takes all its links down, and is written", () => {
    const lab = parseLab(doc([{ endpoints: ["h1:eth0", "s1:eth1"] }, { endpoints: ["h1:eth1", "b1:eth1"] }], { state: "stopped" }));
    const res = realize(lab, env);
    expect(ifaceUp(res, null, "demo-s1-eth1")).toBe(false);
    expect(ifaceUp(res, null, "demo-b1-eth1")).toBe(false);
    expect((labToDocument(lab).nodes as Record<string, unknown>[])[0]!["state"]).toBe("stopped");
  });

  it("taking a link down and up is one interface update each way", () => {
    const up = realize(parseLab(doc([{ endpoints: ["h1:eth0", "s1:eth1"] }])), env);
    const down = realize(parseLab(doc([{ endpoints: ["h1:eth0", "s1:eth1"], state: "down" }])), env);
    const p = plan(down, { resources: up });
    expect(p.ops.map((o) => `${o.action} ${o.key}`)).toEqual(["update iface:root/demo-s1-eth1"]);
    expect(plan(up, { resources: down }).ops.map((o) => `${o.action} ${o.key}`)).toEqual(["update iface:root/demo-s1-eth1"]);
  });

  it("refuses a state other than up or down, and down on an OVS patch link, with the place", () => {
    const bad = validateLab(doc([{ endpoints: ["h1:eth0", "s1:eth1"], state: "off" }]));
    expect(!bad.ok && bad.issues.map((i) => i.path)).toEqual(["links[0].state"]);
    const patch = validateLab(doc([{ endpoints: ["s1:eth1", "s2:eth1"], state: "down" }]));
    expect(!patch.ok && patch.issues[0]!.message).toMatch(/patch ports, which have no carrier/);
  });
});

describe("loss", () => {
  it("is one nftables rule on the first host end, not a qdisc, and needs no netem", () => {
    const lab = parseLab(doc([{ endpoints: ["s1:eth1", "h1:eth0"], loss: 30 }]));
    const res = realize(lab, env);
    expect(res.filter((r) => r.kind === "qdisc")).toEqual([]);
    const loss = res.filter((r) => r.kind === "loss");
    expect(loss).toEqual([{ kind: "loss", key: "loss:tl.demo.h1/eth0", deps: ["iface:tl.demo.h1/eth0"], ns: "tl.demo.h1", dev: "eth0", percent: 30 }]);
    expect(createCommands(loss[0]!)).toEqual([
      {
        tool: "exec",
        ns: "tl.demo.h1",
        argv: ["nft", 'table netdev tl_loss_eth0 { chain ingress { type filter hook ingress device "eth0" priority 0; numgen random mod 100 < 30 drop; }; }'],
        stage: Stage.extras,
      },
    ]);
    expect(capabilityIssues(lab, { ovs: { available: true, datapath: "netdev", userspaceTso: true }, netem: false, tbf: false, nat: "nft" })).toEqual([]);
  });

  it("a fraction of a percent is kept, in ten-thousandths", () => {
    const [loss] = realize(parseLab(doc([{ endpoints: ["h1:eth0", "h2:eth0"], loss: 0.5 }])), env).filter((r) => r.kind === "loss");
    expect((createCommands(loss!)[0] as { argv: string[] }).argv[1]).toContain("numgen random mod 10000 < 50 drop");
  });

  it("needs a host or router at one end", () => {
    const v = validateLab(doc([{ endpoints: ["b1:eth1", "s1:eth1"], loss: 5 }]));
    expect(!v.ok && v.issues[0]).toMatchObject({ path: "links[0].loss", message: expect.stringMatching(/host or router/) });
  });

  it("table names carry any interface name and read back", () => {
    for (const dev of ["eth0", "demo-h1-eth0", "a.b_c@d", "réseau-é", "lan🙂"]) {
      expect(lossTableName(dev)).toMatch(/^tl_loss_[A-Za-z0-9_]+$/);
      expect(lossTableDev(lossTableName(dev))).toBe(dev);
    }
    expect(lossTableDev("topolab.lab.nat")).toBeNull();
  });
});
