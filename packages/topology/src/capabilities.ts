// What this machine can build, and which parts of a lab it cannot.
//
// Knows: the capabilities a lab may need (Open vSwitch and its datapath, netem, tbf) and the
// sentence that tells a person what to do when one is missing. Pure: the engine probes the
// machine (engine/capabilities.ts) and hands the result here.

import type { LabIssue } from "./validate";
import type { Lab } from "./schema";

export interface Capabilities {
  ovs: {
    /** ovs-vsctl installed and ovs-vswitchd answering */
    available: boolean;
    /** why not, when it is not */
    reason?: string;
    /** "system" with the openvswitch kernel module, else "netdev" (userspace) */
    datapath: "system" | "netdev";
    /** other_config:userspace-tso-enable is on; without it TCP needs checksum offload off */
    userspaceTso: boolean;
    version?: string;
  };
  /** sch_netem: delay, jitter, loss */
  netem: boolean;
  /** sch_tbf: bandwidth */
  tbf: boolean;
  /** how NAT rules can be written: nftables, iptables, or not at all */
  nat: "nft" | "iptables" | null;
  /**
   * br_netfilter hands bridged IPv4 to the root namespace's iptables/nftables
   * (net.bridge.bridge-nf-call-iptables=1): Linux bridges live there, so a FORWARD rule or a
   * DROP policy of the machine's firewall applies to lab traffic on them, and each packet
   * pays for the hooks. A machine-wide setting, which topolab reports and leaves alone.
   */
  bridgeNetfilter?: boolean;
}

/** Parts of the lab this machine cannot build, each with its place and what to do instead. */
export function capabilityIssues(lab: Lab, caps: Capabilities): LabIssue[] {
  const issues: LabIssue[] = [];
  lab.nodes.forEach((node, i) => {
    if (node.kind === "switch" && node.type === "ovs" && !caps.ovs.available) {
      issues.push({
        path: `nodes[${i}].type`,
        message: `${node.name} is an Open vSwitch switch, but ${caps.ovs.reason ?? "Open vSwitch is not available"}; use type: bridge (a Linux bridge) or install and start openvswitch-switch`,
      });
    }
  });
  lab.nodes.forEach((node, i) => {
    if (node.kind === "nat" && !caps.nat) {
      issues.push({
        path: `nodes[${i}].kind`,
        message: `${node.name} is a NAT gateway, but neither nft nor iptables is installed (apt-get install nftables)`,
      });
    }
  });
  lab.links.forEach((link, i) => {
    // loss is an nftables rule (numgen random), which needs no netem
    for (const field of ["delay", "jitter"] as const) {
      if (link[field] !== undefined && !caps.netem) {
        issues.push({
          path: `links[${i}].${field}`,
          message: `this kernel has no netem (sch_netem), so ${field} cannot be emulated; remove it, or run topolab on a kernel with netem`,
        });
      }
    }
    // a rate alone is a tbf qdisc; with a delay or loss it rides on netem (commands.ts), whose
    // absence is reported above
    const netemCarriesRate = link.delay !== undefined;
    if (link.bandwidth !== undefined && !netemCarriesRate && !caps.tbf) {
      issues.push({ path: `links[${i}].bandwidth`, message: "this kernel has no tbf (sch_tbf) qdisc, so bandwidth cannot be limited" });
    }
  });
  return issues;
}
