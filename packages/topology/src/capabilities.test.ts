import { describe, expect, it } from "vitest";
import { capabilityIssues, type Capabilities } from "./capabilities";
import { parseLab } from "./validate";

const full: Capabilities = { ovs: { available: true, datapath: "system", userspaceTso: false }, netem: true, tbf: true, nat: "nft" };

const lab = () =>
  parseLab({
    name: "demo",
    nodes: [
      { name: "h1", kind: "host" },
      { name: "h2", kind: "host" },
      { name: "s1", kind: "switch" },
      { name: "br", kind: "switch", type: "bridge" },
      { name: "s2", kind: "switch", type: "ovs" },
    ],
    links: [{ endpoints: ["h1", "s1"] }, { endpoints: ["h1", "h2"], delay: "10ms", jitter: "1ms", loss: 1 }, { endpoints: ["h2", "br"], bandwidth: 10 }],
  });

describe("capabilityIssues", () => {
  it("a machine with everything has nothing to say", () => {
    expect(capabilityIssues(lab(), full)).toEqual([]);
  });

  it("without OVS, each OVS switch is pointed at type: bridge", () => {
    const issues = capabilityIssues(lab(), {
      ...full,
      ovs: { available: false, reason: "ovs-vswitchd is not running", datapath: "netdev", userspaceTso: false },
    });
    expect(issues).toEqual([
      {
        path: "nodes[2].type",
        message: "s1 is an Open vSwitch switch, but ovs-vswitchd is not running; use type: bridge (a Linux bridge) or install and start openvswitch-switch",
      },
      {
        path: "nodes[4].type",
        message: "s2 is an Open vSwitch switch, but ovs-vswitchd is not running; use type: bridge (a Linux bridge) or install and start openvswitch-switch",
      },
    ]);
    const noReason = capabilityIssues(lab(), { ...full, ovs: { available: false, datapath: "netdev", userspaceTso: false } });
    expect(noReason[0]!.message).toBe(
      "s1 is an Open vSwitch switch, but Open vSwitch is not available; use type: bridge (a Linux bridge) or install and start openvswitch-switch",
    );
  });

  it("the userspace datapath is not a problem", () => {
    expect(capabilityIssues(lab(), { ...full, ovs: { available: true, datapath: "netdev", userspaceTso: false } })).toEqual([]);
  });

  it("without netem, delay and jitter are each reported; loss (nftables) and bandwidth (tbf) still work", () => {
    expect(capabilityIssues(lab(), { ...full, netem: false })).toEqual([
      {
        path: "links[1].delay",
        message: "this kernel has no netem (sch_netem), so delay cannot be emulated; remove it, or run topolab on a kernel with netem",
      },
      {
        path: "links[1].jitter",
        message: "this kernel has no netem (sch_netem), so jitter cannot be emulated; remove it, or run topolab on a kernel with netem",
      },
    ]);
  });

  it("a rate alone needs tbf, even when there is netem (it is a tbf qdisc)", () => {
    const issue = { path: "links[2].bandwidth", message: "this kernel has no tbf (sch_tbf) qdisc, so bandwidth cannot be limited" };
    expect(capabilityIssues(lab(), { ...full, tbf: false })).toEqual([issue]);
    expect(capabilityIssues(lab(), { ...full, tbf: false, netem: false }).filter((i) => i.path.endsWith("bandwidth"))).toEqual([issue]);
  });

  it("a rate with a delay rides on netem and needs no tbf; with loss alone it is a tbf qdisc", () => {
    const shaped = parseLab({
      name: "demo",
      nodes: [
        { name: "h1", kind: "host" },
        { name: "h2", kind: "host" },
      ],
      links: [
        { endpoints: ["h1", "h2"], bandwidth: 10, delay: "5ms" },
        { endpoints: ["h1", "h2"], bandwidth: 10, loss: 1 },
      ],
    });
    expect(capabilityIssues(shaped, { ...full, tbf: false }).map((i) => i.path)).toEqual(["links[1].bandwidth"]);
    // without netem, the delay is what is reported (loss is an nftables rule)
    expect(capabilityIssues(shaped, { ...full, tbf: false, netem: false }).map((i) => i.path)).toEqual(["links[0].delay", "links[1].bandwidth"]);
  });
});
