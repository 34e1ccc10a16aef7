import { describe, expect, it } from "vitest";
import { applyChanges } from "@topolab/protocol";
import { validateLab, type Lab } from "@topolab/topology";
import { dhcpRange, DHCP_LABEL, linkChanges } from "./linking";

function lab(doc: Record<string, unknown>): Lab {
  const v = validateLab({ name: "t", ...doc });
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return v.lab;
}

function apply(l: Lab, changes: ReturnType<typeof linkChanges>): Lab {
  const r = applyChanges(l, changes);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return lab(r.document);
}

const address = (l: Lab, node: string, iface = "eth0") => {
  const n = l.nodes.find((x) => x.name === node)!;
  return n.kind === "switch" ? undefined : n.interfaces[iface];
};

describe("linkChanges", () => {
  it("two hosts linked to a switch get the next free interfaces and addresses from the plan", () => {
    let l = lab({
      addressPlan: "10.0.0.0/24",
      nodes: [
        { name: "h1", kind: "host" },
        { name: "h2", kind: "host" },
        { name: "s1", kind: "switch" },
      ],
    });
    l = apply(l, linkChanges(l, "h1", "s1"));
    l = apply(l, linkChanges(l, "h2", "s1"));
    expect(l.links.map((x) => x.endpoints.map((e) => `${e.node}:${e.interface}`))).toEqual([
      ["h1:eth0", "s1:eth1"],
      ["h2:eth0", "s1:eth2"],
    ]);
    expect(address(l, "h1")?.addresses).toEqual(["10.0.0.1/24"]);
    expect(address(l, "h2")?.addresses).toEqual(["10.0.0.2/24"]);
  });

  it("two hosts linked directly never get the same address", () => {
    const l0 = lab({
      addressPlan: "192.168.5.0/24",
      nodes: [
        { name: "a", kind: "host" },
        { name: "b", kind: "router" },
      ],
    });
    const l = apply(l0, linkChanges(l0, "a", "b"));
    expect(address(l, "a")?.addresses).toEqual(["192.168.5.1/24"]);
    expect(address(l, "b")?.addresses).toEqual(["192.168.5.2/24"]);
  });

  it("without an address plan or a neighbour's subnet, only the link is added", () => {
    const l = lab({
      nodes: [
        { name: "h1", kind: "host" },
        { name: "s1", kind: "switch" },
      ],
    });
    expect(linkChanges(l, "h1", "s1")).toEqual([{ type: "addLink", link: { endpoints: ["h1:eth0", "s1:eth1"] } }]);
  });

  it("the DHCP preset gets an address and a dnsmasq; a host joining its segment takes DHCP", () => {
    let l = lab({
      addressPlan: "10.9.0.0/24",
      nodes: [
        { name: "dhcp1", kind: "host", label: DHCP_LABEL },
        { name: "s1", kind: "switch" },
        { name: "h1", kind: "host" },
      ],
    });
    l = apply(l, linkChanges(l, "dhcp1", "s1"));
    const server = l.nodes.find((n) => n.name === "dhcp1")!;
    expect(server.kind === "host" && server.services[0]).toMatchObject({ type: "dhcp-server", interface: "eth0", range: ["10.9.0.100", "10.9.0.199"] });
    expect(address(l, "dhcp1")?.addresses).toEqual(["10.9.0.1/24"]);
    l = apply(l, linkChanges(l, "h1", "s1"));
    expect(address(l, "h1")).toMatchObject({ dhcp: true, addresses: [] });
  });

  it("keeps the settings of a node's other interfaces", () => {
    let l = lab({
      addressPlan: "10.0.0.0/24",
      nodes: [
        { name: "r1", kind: "router", interfaces: { eth0: { addresses: ["10.1.0.1/24"] } } },
        { name: "h9", kind: "host" },
        { name: "s1", kind: "switch" },
      ],
      links: [{ endpoints: ["r1:eth0", "h9:eth0"] }],
    });
    l = apply(l, linkChanges(l, "r1", "s1"));
    expect(address(l, "r1", "eth0")?.addresses).toEqual(["10.1.0.1/24"]);
    expect(address(l, "r1", "eth1")?.addresses.length).toBe(1);
  });
});

describe("dhcpRange", () => {
  it("hands out a part of the subnet", () => {
    expect(dhcpRange("10.0.0.1/24")).toEqual(["10.0.0.100", "10.0.0.199"]);
    expect(dhcpRange("10.0.0.1/28")).toEqual(["10.0.0.4", "10.0.0.14"]);
    expect(dhcpRange("10.0.0.1/30")).toBeNull();
    expect(dhcpRange("fd00::1/64")).toBeNull();
  });
});
