import { describe, expect, it } from "vitest";
import { formatIssue, formatPath, LabValidationError, parseBandwidth, parseDuration, parseLab, validateLab, type LabIssue } from "./validate";
import type { HostNode, Lab } from "./schema";

const H = (name: string, extra: Record<string, unknown> = {}) => ({ name, kind: "host", ...extra });
const R = (name: string, extra: Record<string, unknown> = {}) => ({ name, kind: "router", ...extra });
const S = (name: string, extra: Record<string, unknown> = {}) => ({ name, kind: "switch", ...extra });

function issuesOf(input: unknown, options: { name?: string } = {}): LabIssue[] {
  const r = validateLab(input, options);
  if (r.ok) throw new Error(`expected issues, got a valid lab: ${JSON.stringify(r.lab)}`);
  return r.issues;
}

function labOf(input: unknown, options: { name?: string } = {}): Lab {
  const r = validateLab(input, options);
  if (!r.ok) throw new Error(r.issues.map(formatIssue).join("\n"));
  return r.lab;
}

const host = (lab: Lab, name: string) => lab.nodes.find((n) => n.name === name) as HostNode;

/** h1 -- s1 with h1's eth0 configured as given */
const hostOnSwitch = (eth0: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  name: "d",
  nodes: [H("h1", { interfaces: { eth0 }, ...extra }), S("s1")],
  links: [{ endpoints: ["h1", "s1"] }],
});

describe("a valid lab", () => {
  it("comes back in canonical form", () => {
    const lab = labOf({
      version: 1,
      name: "demo",
      description: "two hosts",
      nodes: [H("red", { label: "Red", position: { x: 1.5, y: 2 }, interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } }), S("ovs1"), H("green")],
      links: [{ endpoints: ["red", "ovs1"] }, { endpoints: ["green", "ovs1"], vlan: 100 }],
    });
    expect(lab).toEqual({
      version: 1,
      name: "demo",
      description: "two hosts",
      nodes: [
        {
          kind: "host",
          name: "red",
          label: "Red",
          position: { x: 1.5, y: 2 },
          interfaces: { eth0: { addresses: ["10.0.0.1/24"], up: true } },
          routes: [],
          services: [],
        },
        { kind: "switch", name: "ovs1", type: "ovs", stp: false },
        { kind: "host", name: "green", interfaces: {}, routes: [], services: [] },
      ],
      links: [
        {
          endpoints: [
            { node: "red", interface: "eth0" },
            { node: "ovs1", interface: "eth1" },
          ],
        },
        {
          endpoints: [
            { node: "green", interface: "eth0" },
            { node: "ovs1", interface: "eth2" },
          ],
          vlan: 100,
        },
      ],
    });
  });

  it("names interfaces eth0.. on hosts and eth1.. on switches, in link order", () => {
    const lab = labOf({
      name: "d",
      nodes: [H("h1"), H("h2"), S("s1"), S("s2"), R("r1")],
      links: [{ endpoints: ["h1", "s1"] }, { endpoints: ["h2", "s1"] }, { endpoints: ["s1", "s2"] }, { endpoints: ["h1", "r1"] }, { endpoints: ["r1", "s2"] }],
    });
    expect(lab.links.map((l) => l.endpoints.map((e) => `${e.node}:${e.interface}`).join(" "))).toEqual([
      "h1:eth0 s1:eth1",
      "h2:eth0 s1:eth2",
      "s1:eth3 s2:eth1",
      "h1:eth1 r1:eth0",
      "r1:eth1 s2:eth2",
    ]);
  });

  it("respects explicit names, also those of later links, when choosing defaults", () => {
    const lab = labOf({
      name: "d",
      nodes: [H("h1"), S("s1"), S("s2")],
      links: [
        { endpoints: ["h1", "s1"] },
        { endpoints: ["h1:eth0", "s2"] },
        { endpoints: [{ node: "h1" }, { node: "s1", interface: "eth1" }] },
        { endpoints: [{ node: "h1", interface: "uplink" }, "s2:port9"] },
      ],
    });
    expect(lab.links.map((l) => l.endpoints.map((e) => `${e.node}:${e.interface}`).join(" "))).toEqual([
      "h1:eth1 s1:eth2",
      "h1:eth0 s2:eth1",
      "h1:eth2 s1:eth1",
      "h1:uplink s2:port9",
    ]);
  });

  it("canonicalises addresses, MACs, routes and vias", () => {
    const lab = labOf({
      name: "d",
      nodes: [
        H("h1", {
          interfaces: {
            eth0: { addresses: ["10.0.0.1/24", "FD00:0:0:0::0001/64"], mac: "02:AB:CD:00:00:01", mtu: 9000, up: false },
            lo: { addresses: ["10.255.0.1/32"] },
          },
          routes: [
            { to: "default", via: "10.0.0.254" },
            { to: "default", via: "FD00::FFFF" },
            { to: "10.2.0.0/16", via: "10.0.0.253", metric: 10 },
            { to: "fd01:0::/48", dev: "eth0" },
            { to: "fe80::/64", via: "fe80::1", dev: "eth0" },
          ],
        }),
        S("s1"),
      ],
      links: [{ endpoints: ["h1", "s1"] }],
    });
    const h1 = host(lab, "h1");
    expect(h1.interfaces).toEqual({
      eth0: { addresses: ["10.0.0.1/24", "fd00::1/64"], mac: "02:ab:cd:00:00:01", mtu: 9000, up: false },
      lo: { addresses: ["10.255.0.1/32"], up: true },
    });
    expect(h1.routes).toEqual([
      { to: "0.0.0.0/0", via: "10.0.0.254" },
      { to: "::/0", via: "fd00::ffff" },
      { to: "10.2.0.0/16", via: "10.0.0.253", metric: 10 },
      { to: "fd01::/48", dev: "eth0" },
      { to: "fe80::/64", via: "fe80::1", dev: "eth0" },
    ]);
  });

  it('reads "default4", "default6" and a "default" with only a dev', () => {
    const lab = labOf({
      name: "d",
      nodes: [
        H("h1", {
          interfaces: { eth0: { addresses: ["10.0.0.1/24", "fd00::1/64"] } },
          routes: [
            { to: "default", dev: "eth0" },
            { to: "default6", dev: "eth0" },
          ],
        }),
        H("h2", { interfaces: { eth0: { addresses: ["10.0.0.2/24"] } }, routes: [{ to: "default4", via: "10.0.0.1" }] }),
      ],
      links: [{ endpoints: ["h1", "h2"] }],
    });
    expect(host(lab, "h1").routes).toEqual([
      { to: "0.0.0.0/0", dev: "eth0" },
      { to: "::/0", dev: "eth0" },
    ]);
    expect(host(lab, "h2").routes).toEqual([{ to: "0.0.0.0/0", via: "10.0.0.1" }]);
  });

  it("keeps switch types, stp, trunks (sorted), internal ports and shaping", () => {
    const lab = labOf({
      name: "d",
      nodes: [S("s1", { stp: true }), S("b1", { type: "bridge" }), H("h1"), H("h2"), H("h3")],
      links: [
        { endpoints: ["h1", "s1"], trunk: [300, 100, 200] },
        { endpoints: ["h2", "s1"], internal: true, vlan: 7 },
        { endpoints: ["h3", "b1"], bandwidth: "500kbit", delay: "10ms", jitter: "500us", loss: 1.5 },
        { endpoints: ["h1", "h3"], bandwidth: 100, delay: "1.5s" },
      ],
    });
    expect(lab.nodes.slice(0, 2)).toEqual([
      { kind: "switch", name: "s1", type: "ovs", stp: true },
      { kind: "switch", name: "b1", type: "bridge", stp: false },
    ]);
    expect(lab.links[0]!.trunk).toEqual([100, 200, 300]);
    expect(lab.links[1]).toMatchObject({ internal: true, vlan: 7 });
    expect(lab.links[2]).toMatchObject({ bandwidth: 0.5, delay: 10, jitter: 0.5, loss: 1.5 });
    expect(lab.links[3]).toMatchObject({ bandwidth: 100, delay: 1500 });
  });

  it("the --name option overrides the document's name", () => {
    expect(labOf({ name: "file-name", nodes: [] }, { name: "cli" }).name).toBe("cli");
    expect(labOf({ nodes: [] }, { name: "cli" }).name).toBe("cli");
  });

  it("is idempotent: a canonical lab validates to itself", () => {
    const lab = labOf(hostOnSwitch({ addresses: ["FD00::1/64"] }, { routes: [{ to: "default", via: "fd00::2" }] }));
    expect(labOf(lab)).toEqual(lab);
  });
});

describe("every problem with its place", () => {
  it("reports all problems of a document at once", () => {
    const issues = issuesOf({
      name: "d",
      colour: "blue",
      nodes: [H("h1", { interfaces: { eth0: { addresses: ["10.0.0.300/24"] } } }), S("s1"), H("h1")],
      links: [{ endpoints: ["h1", "s1"], vlan: 5000 }, { endpoints: ["h1:eth1", "ghost"] }],
    });
    expect(issues).toEqual([
      { path: "colour", message: "is not a known field" },
      { path: "nodes[2].name", message: '"h1" is already the name of nodes[0]' },
      { path: "links[0].vlan", message: "5000 is outside 1..4094" },
      { path: "links[1].endpoints[1]", message: 'no node is named "ghost" (nodes: h1, s1)' },
      { path: "nodes[0].interfaces.eth0.addresses[0]", message: '"10.0.0.300" is not an IPv4 or IPv6 address' },
    ]);
  });

  it("a link to an unknown node names the nodes there are", () => {
    expect(issuesOf({ name: "d", nodes: [H("h1"), S("s1")], links: [{ endpoints: ["h1", "s2"] }] })).toEqual([
      { path: "links[0].endpoints[1]", message: 'no node is named "s2" (nodes: h1, s1)' },
    ]);
    expect(issuesOf({ name: "d", nodes: [], links: [{ endpoints: ["a:eth0", { node: "b" }] }] })).toEqual([
      { path: "links[0].endpoints[0]", message: 'no node is named "a"' },
      { path: "links[0].endpoints[1]", message: 'no node is named "b"' },
    ]);
  });

  it("a link whose own fields are wrong still uses its interfaces and is checked for its endpoints", () => {
    // the bad VLAN must not make h1's eth0 settings look unlinked (and hide the bad address)
    expect(
      issuesOf({
        name: "d",
        nodes: [H("h1", { interfaces: { eth0: { addresses: ["10.0.0.1/99"] } } }), S("s1")],
        links: [
          { endpoints: ["h1", "s1"], vlan: 5000 },
          { endpoints: ["h1", "s7"], trunk: "all" },
        ],
      }),
    ).toEqual([
      { path: "links[0].vlan", message: "5000 is outside 1..4094" },
      { path: "links[1].trunk", message: 'must be a list, not the text "all"' },
      { path: "links[1].endpoints[1]", message: 'no node is named "s7" (nodes: h1, s1)' },
      { path: "nodes[0].interfaces.eth0.addresses[0]", message: "prefix length 99 is outside 0..32 for IPv4" },
    ]);
  });

  it("endpoints and interfaces of the wrong type are named in words", () => {
    expect(issuesOf({ name: "d", nodes: [H("h1", { interfaces: ["eth0"] }), S("s1")], links: [{ endpoints: "h1 s1" }, { endpoints: 5 }] })).toEqual([
      { path: "nodes[0].interfaces", message: "must be an object, not a list" },
      { path: "links[0].endpoints", message: 'must be a list, not the text "h1 s1"' },
      { path: "links[1].endpoints", message: "must be a list, not number 5" },
    ]);
  });

  it("a link to a node without a kind is not reported twice", () => {
    expect(issuesOf({ name: "d", nodes: [H("h1"), { name: "s1" }], links: [{ endpoints: ["h1", "s1"] }] })).toEqual([
      { path: "nodes[1].kind", message: "is required (one of host, router, switch, nat)" },
    ]);
  });

  it("a link to a node that is itself invalid is not reported twice", () => {
    expect(issuesOf({ name: "d", nodes: [H("h1", { interfaces: 5 }), S("s1")], links: [{ endpoints: ["h1", "s1"] }] })).toEqual([
      { path: "nodes[0].interfaces", message: "must be an object, not number 5" },
    ]);
  });

  it("duplicate node names", () => {
    expect(issuesOf({ name: "d", nodes: [H("a"), S("b"), R("a"), S("b")] })).toEqual([
      { path: "nodes[2].name", message: '"a" is already the name of nodes[0]' },
      { path: "nodes[3].name", message: '"b" is already the name of nodes[1]' },
    ]);
  });

  it("bad names: lab, node, interface, --name", () => {
    expect(issuesOf({ name: "My Lab", nodes: [H("h 1"), S("s1")], links: [{ endpoints: ["s1:eth:1", "s1:-x"] }] })).toEqual([
      { path: "name", message: '"My Lab" may hold only lower-case letters, digits, "-" and "_", and must start with a letter or digit' },
      { path: "nodes[0].name", message: '"h 1" may hold only letters, digits, "-" and "_", and must start with a letter or digit' },
      { path: "links[0].endpoints[0]", message: 'interface "eth:1" contains ":", which the kernel refuses in interface names' },
      { path: "links[0].endpoints[1]", message: 'interface "-x" starts with "-", which commands would read as an option' },
    ]);
    expect(issuesOf({ nodes: [] }, { name: "Bad" })).toEqual([
      { path: "--name", message: '"Bad" may hold only lower-case letters, digits, "-" and "_", and must start with a letter or digit' },
    ]);
    expect(issuesOf({ nodes: [] })).toEqual([{ path: "name", message: "is required (or give one with --name)" }]);
  });

  it("a name that is not a text is reported once", () => {
    expect(issuesOf({ name: 5, nodes: [] })).toEqual([{ path: "name", message: "must be a text, not number 5" }]);
  });

  it("interface names in the interfaces map", () => {
    expect(issuesOf({ name: "d", nodes: [H("h1", { interfaces: { "bad if": {}, "eth0.100": { mtu: 10 } } })] })).toEqual([
      { path: 'nodes[0].interfaces["eth0.100"].mtu', message: "10 is outside 68..65535" },
    ]);
    expect(issuesOf({ name: "d", nodes: [H("h1", { interfaces: { "bad if": {} } })] })).toEqual([
      { path: 'nodes[0].interfaces["bad if"]', message: '"bad if" contains white space, which the kernel refuses in interface names' },
    ]);
  });

  it("bad addresses and prefixes", () => {
    const issues = issuesOf(hostOnSwitch({ addresses: ["10.0.0.300/24", "10.0.0.1", "10.0.0.1/40", "fd00::1/129", "10.0.0.1/x", "10.0.0.2/24"] }));
    const at = (k: number) => `nodes[0].interfaces.eth0.addresses[${k}]`;
    expect(issues).toEqual([
      { path: at(0), message: '"10.0.0.300" is not an IPv4 or IPv6 address' },
      { path: at(1), message: '"10.0.0.1" has no prefix length (write it like 10.0.0.1/24)' },
      { path: at(2), message: "prefix length 40 is outside 0..32 for IPv4" },
      { path: at(3), message: "prefix length 129 is outside 0..128 for IPv6" },
      { path: at(4), message: '"x" is not a prefix length' },
    ]);
  });

  it("network and broadcast addresses (IPv4 up to /30; /31 and /32 have none)", () => {
    const at = (k: number) => `nodes[0].interfaces.eth0.addresses[${k}]`;
    expect(issuesOf(hostOnSwitch({ addresses: ["10.0.0.0/24", "10.0.0.255/24", "10.0.1.3/30", "10.0.1.4/30"] }))).toEqual([
      { path: at(0), message: "10.0.0.0 is the network address of 10.0.0.0/24" },
      { path: at(1), message: "10.0.0.255 is the broadcast address of 10.0.0.0/24" },
      { path: at(2), message: "10.0.1.3 is the broadcast address of 10.0.1.0/30" },
      { path: at(3), message: "10.0.1.4 is the network address of 10.0.1.4/30" },
    ]);
    expect(validateLab(hostOnSwitch({ addresses: ["10.0.0.0/31", "10.0.0.5/32", "fd00::/64"] })).ok).toBe(true);
  });

  it("the same address twice on a node", () => {
    expect(
      issuesOf({
        name: "d",
        nodes: [H("h1", { interfaces: { eth0: { addresses: ["10.0.0.1/24", "10.0.0.1/24"] }, eth1: { addresses: ["10.0.0.1/16"] } } }), H("h2")],
        links: [{ endpoints: ["h1", "h2"] }, { endpoints: ["h1", "h2"] }],
      }),
    ).toEqual([
      { path: "nodes[0].interfaces.eth0.addresses[1]", message: "10.0.0.1 is already an address of h1:eth0" },
      { path: "nodes[0].interfaces.eth1.addresses[0]", message: "10.0.0.1 is already an address of h1:eth0" },
    ]);
  });

  it("MACs: malformed, multicast, used twice", () => {
    expect(
      issuesOf({
        name: "d",
        nodes: [
          H("h1", { interfaces: { eth0: { mac: "02:00:00:00:00:01" }, eth1: { mac: "nope" } } }),
          H("h2", { interfaces: { eth0: { mac: "02:00:00:00:00:01" }, eth1: { mac: "01:00:00:00:00:01" } } }),
        ],
        links: [{ endpoints: ["h1", "h2"] }, { endpoints: ["h1", "h2"] }],
      }),
    ).toEqual([
      { path: "nodes[0].interfaces.eth1.mac", message: '"nope" is not a MAC address (write it like 02:00:00:00:00:01)' },
      { path: "nodes[1].interfaces.eth0.mac", message: "02:00:00:00:00:01 is already the MAC of h1:eth0" },
      { path: "nodes[1].interfaces.eth1.mac", message: "01:00:00:00:00:01 is a multicast MAC; an interface needs a unicast one" },
    ]);
  });

  it("the same interface used by two links", () => {
    expect(
      issuesOf({
        name: "d",
        nodes: [H("h1"), S("s1"), S("s2")],
        links: [{ endpoints: ["h1:eth0", "s1"] }, { endpoints: ["h1:eth0", "s2:eth1"] }, { endpoints: ["s1:eth1", "s2:eth1"] }],
      }),
    ).toEqual([
      { path: "links[1].endpoints[0]", message: "h1:eth0 is already used by links[0]" },
      // links[1] names s2:eth1 too, and so does links[2]: that is a second mistake
      { path: "links[2].endpoints[1]", message: "s2:eth1 is already used by links[1]" },
    ]);
    expect(issuesOf({ name: "d", nodes: [H("h1"), S("s1")], links: [{ endpoints: ["h1", "s1:eth3"] }, { endpoints: ["h1:eth1", "s1:eth3"] }] })).toEqual([
      { path: "links[1].endpoints[1]", message: "s1:eth3 is already used by links[0]" },
    ]);
  });

  it("a link from a node to itself", () => {
    expect(issuesOf({ name: "d", nodes: [H("h1")], links: [{ endpoints: ["h1:eth0", "h1:eth1"] }] })).toEqual([
      { path: "links[0].endpoints", message: "a link cannot join h1 to itself" },
    ]);
  });

  it("a link on lo", () => {
    expect(issuesOf({ name: "d", nodes: [H("h1"), S("s1")], links: [{ endpoints: ["h1:lo", "s1"] }] })).toEqual([
      { path: "links[0].endpoints[0]", message: '"lo" is the loopback interface; a link needs an interface of its own' },
    ]);
  });

  it("vlan and trunk both set", () => {
    expect(issuesOf({ name: "d", nodes: [H("h1"), S("s1")], links: [{ endpoints: ["h1", "s1"], vlan: 10, trunk: [10, 20] }] })).toEqual([
      { path: "links[0].trunk", message: "a switch port is either an access port (vlan) or a trunk, not both" },
    ]);
  });

  it("VLAN numbers out of range, not whole, not numbers, twice in a trunk, empty trunk", () => {
    expect(
      issuesOf({
        name: "d",
        nodes: [H("h1"), S("s1")],
        links: [
          { endpoints: ["h1", "s1"], vlan: 5000 },
          { endpoints: ["h1", "s1"], vlan: 0 },
          { endpoints: ["h1", "s1"], vlan: 1.5 },
          { endpoints: ["h1", "s1"], trunk: [1, 4095] },
          { endpoints: ["h1", "s1"], vlan: "10" },
          { endpoints: ["h1", "s1"], trunk: [10, 20, 10] },
          { endpoints: ["h1", "s1"], trunk: [] },
        ],
      }),
    ).toEqual([
      { path: "links[0].vlan", message: "5000 is outside 1..4094" },
      { path: "links[1].vlan", message: "0 is outside 1..4094" },
      { path: "links[2].vlan", message: "1.5 is not a whole number" },
      { path: "links[3].trunk[1]", message: "4095 is outside 1..4094" },
      { path: "links[4].vlan", message: 'must be a number, not the text "10"' },
      { path: "links[5].trunk[2]", message: "VLAN 10 is listed twice" },
      { path: "links[6].trunk", message: "a trunk needs at least one VLAN" },
    ]);
  });

  it("VLANs on a link without an OVS switch", () => {
    expect(
      issuesOf({
        name: "d",
        nodes: [H("h1"), H("h2"), S("b", { type: "bridge" })],
        links: [
          { endpoints: ["h1", "h2"], vlan: 10 },
          { endpoints: ["h1", "b"], trunk: [5] },
          { endpoints: ["h2", "b"], vlan: 5 },
        ],
      }),
    ).toEqual([
      { path: "links[0].vlan", message: "VLANs need a switch: neither end of this link is an OVS switch" },
      { path: "links[1].trunk", message: "VLANs are supported on OVS switches (type: ovs), not yet on Linux bridges" },
      { path: "links[2].vlan", message: "VLANs are supported on OVS switches (type: ovs), not yet on Linux bridges" },
    ]);
  });

  it("internal ports join exactly one OVS switch and one host", () => {
    const msg = "an internal port joins one OVS switch to one host or router";
    expect(
      issuesOf({
        name: "d",
        nodes: [H("h1"), H("h2"), S("s1"), S("s2"), S("b", { type: "bridge" }), R("r1")],
        links: [
          { endpoints: ["h1", "h2"], internal: true },
          { endpoints: ["s1", "s2"], internal: true },
          { endpoints: ["h1", "b"], internal: true },
          { endpoints: ["s1", "h2"], internal: true },
          { endpoints: ["r1", "s2"], internal: true },
        ],
      }),
    ).toEqual([
      { path: "links[0].internal", message: msg },
      { path: "links[1].internal", message: msg },
      { path: "links[2].internal", message: msg },
    ]);
  });

  it("settings for an interface that no link uses", () => {
    expect(
      issuesOf({
        name: "d",
        nodes: [H("h1", { interfaces: { eth0: {}, eth1: { addresses: ["10.0.0.1/24"] } } }), S("s1"), H("h2", { interfaces: { eth0: {} } })],
        links: [{ endpoints: ["h1", "s1"] }],
      }),
    ).toEqual([
      { path: "nodes[0].interfaces.eth1", message: "h1 has no link on eth1 (its links use eth0)" },
      { path: "nodes[2].interfaces.eth0", message: "h2 has no link on eth0" },
    ]);
  });

  it("lo takes addresses only", () => {
    expect(validateLab({ name: "d", nodes: [H("h1", { interfaces: { lo: { addresses: ["10.9.9.9/32"] } } })] }).ok).toBe(true);
    expect(issuesOf({ name: "d", nodes: [H("h1", { interfaces: { lo: { mtu: 1000 } } })] })).toEqual([
      { path: "nodes[0].interfaces.lo", message: "only addresses can be set on lo" },
    ]);
  });

  it("routes: via outside every subnet, host bits, duplicates, family, missing via/dev, unknown dev", () => {
    const issues = issuesOf(
      hostOnSwitch(
        { addresses: ["10.0.0.1/24", "fd00::1/64"] },
        {
          routes: [
            { to: "default", via: "10.0.1.1" },
            { to: "10.2.0.1/16", via: "10.0.0.254" },
            { to: "10.3.0.0/16", via: "10.0.0.254" },
            { to: "10.3.0.0/16", via: "10.0.0.253" },
            { to: "default", via: "fd00::ffff" },
            { to: "10.4.0.0/16" },
            { to: "10.5.0.0/16", dev: "eth7" },
            { to: "10.6.0.0/16", via: "fd00::1" },
            { to: "10.7.0.0/16", via: "nope" },
            { to: "2001:db8::/32", via: "fd01::1" },
            { to: "10.8.0.0/16", via: "10.0.0.9", dev: "lo" },
            { to: "nowhere", via: "10.0.0.9" },
            { to: "fd02::/64", via: "fe80::1" },
            { to: "::/0", via: "fd00::fffe" },
          ],
        },
      ),
    );
    const at = (k: number, f?: string) => `nodes[0].routes[${k}]${f ? `.${f}` : ""}`;
    expect(issues).toEqual([
      { path: at(0, "via"), message: "10.0.1.1 is not in a subnet of h1 (10.0.0.1/24)" },
      { path: at(1, "to"), message: '"10.2.0.1/16" has host bits set; did you mean 10.2.0.0/16?' },
      { path: at(3, "to"), message: "10.3.0.0/16 is already routed by routes[2]" },
      { path: at(5), message: "a route needs a gateway (via) or an interface (dev)" },
      { path: at(6, "dev"), message: "h1 has no interface eth7" },
      { path: at(7, "via"), message: "fd00::1 is IPv6 but 10.6.0.0/16 is IPv4" },
      { path: at(8, "via"), message: '"nope" is not an IPv4 or IPv6 address' },
      { path: at(9, "via"), message: "fd01::1 is not in a subnet of h1 (fd00::1/64)" },
      { path: at(10, "via"), message: "10.0.0.9 is not in a subnet of h1:lo (it has no IPv4 address)" },
      { path: at(11, "to"), message: '"nowhere" has no prefix length (write it like 10.0.0.1/24)' },
      // fe80::1 (link-local) needs no subnet
      { path: at(13, "to"), message: "::/0 is already routed by routes[4]" },
    ]);
  });

  it("unknown fields, at every level", () => {
    expect(
      issuesOf({
        name: "d",
        color: "red",
        nodes: [H("h1", { colour: 1, interfaces: { eth0: { addresses: [], speed: 10 } }, routes: [{ to: "default", gw: "x" }] }), S("s1", { ports: 4 })],
        links: [{ endpoints: ["h1", { node: "s1", iface: "eth1" }], weight: 3 }],
      }),
    ).toEqual([
      { path: "color", message: "is not a known field" },
      { path: "nodes[0].interfaces.eth0.speed", message: "is not a known field" },
      { path: "nodes[0].routes[0].gw", message: "is not a known field" },
      { path: "nodes[0].colour", message: "is not a known field" },
      { path: "nodes[1].ports", message: "is not a known field" },
      { path: "links[0].endpoints[1].iface", message: "is not a known field" },
      { path: "links[0].weight", message: "is not a known field" },
    ]);
  });

  it("unknown or missing kind, and nodes that are not objects", () => {
    expect(issuesOf({ name: "d", nodes: [{ name: "h1", kind: "hub" }, { name: "h2" }, "h3", null, 5, []] })).toEqual([
      { path: "nodes[0].kind", message: 'must be one of host, router, switch, nat, not the text "hub"' },
      { path: "nodes[1].kind", message: "is required (one of host, router, switch, nat)" },
      { path: "nodes[2]", message: 'must be an object, not the text "h3"' },
      { path: "nodes[3]", message: "must be an object, not null" },
      { path: "nodes[4]", message: "must be an object, not number 5" },
      { path: "nodes[5].kind", message: "is required (one of host, router, switch, nat)" },
    ]);
  });

  it("the top level: version, nodes, links, not an object", () => {
    expect(issuesOf({ name: "d", version: 2, nodes: "x", links: {} })).toEqual([
      { path: "version", message: "must be 1, not number 2" },
      { path: "nodes", message: 'must be a list, not the text "x"' },
      { path: "links", message: "must be a list, not an object" },
    ]);
    expect(issuesOf({ name: "d" })).toEqual([{ path: "nodes", message: "is required" }]);
    expect(issuesOf(5)).toEqual([
      { path: "", message: "must be an object, not number 5" },
      { path: "name", message: "is required (or give one with --name)" },
    ]);
  });

  it("link shapes", () => {
    expect(
      issuesOf({
        name: "d",
        nodes: [H("h1"), S("s1")],
        links: [{ endpoints: [5, "s1"] }, { endpoints: ["h1"] }, { endpoints: ["h1", "s1"], internal: "yes" }, "h1-s1"],
      }),
    ).toEqual([
      { path: "links[0].endpoints[0]", message: "has an unexpected form (number 5)" },
      { path: "links[1].endpoints", message: "is too short (at least 2)" },
      { path: "links[2].internal", message: 'must be true or false, not the text "yes"' },
      { path: "links[3]", message: 'must be an object, not the text "h1-s1"' },
    ]);
  });

  it("bandwidth, delay, jitter and loss", () => {
    expect(
      issuesOf({
        name: "d",
        nodes: [H("h1"), H("h2")],
        links: [
          { endpoints: ["h1", "h2"], bandwidth: "10 mbps", delay: "10", loss: 120 },
          { endpoints: ["h1", "h2"], bandwidth: 0, delay: "2min" },
          { endpoints: ["h1", "h2"], jitter: "2ms" },
          { endpoints: ["h1", "h2"], bandwidth: 200000, delay: "61s" },
          { endpoints: ["h1", "h2"], bandwidth: "1bit", loss: -1, delay: "1ms", jitter: "x" },
          { endpoints: ["h1", "h2"], bandwidth: true },
        ],
      }),
    ).toEqual([
      // the schema's own complaints come first, then the checks of each link's values
      { path: "links[5].bandwidth", message: "has an unexpected form (boolean true)" },
      { path: "links[0].bandwidth", message: '"10 mbps" is not a rate (write it like 10mbit, 500kbit, 1gbit, or a number of Mbit/s)' },
      { path: "links[0].delay", message: '"10" is not a duration (write it like 10ms, 500us or 1s)' },
      { path: "links[0].loss", message: "120 is outside 0..100 (percent)" },
      { path: "links[1].bandwidth", message: "0 is not a positive rate" },
      { path: "links[1].delay", message: '"2min" is not a duration (write it like 10ms, 500us or 1s)' },
      { path: "links[2].jitter", message: "jitter needs a delay too" },
      { path: "links[3].bandwidth", message: "200000 is above the highest rate, 100gbit" },
      { path: "links[3].delay", message: "61s is longer than the longest allowed, 60s" },
      { path: "links[4].bandwidth", message: "1bit is below the lowest rate, 8kbit" },
      { path: "links[4].jitter", message: '"x" is not a duration (write it like 10ms, 500us or 1s)' },
      { path: "links[4].loss", message: "-1 is outside 0..100 (percent)" },
    ]);
  });

  it("other field checks from the schema", () => {
    expect(
      issuesOf({
        name: "d",
        description: "x".repeat(4001),
        nodes: [H("h1", { label: "x".repeat(201), position: { x: "1", y: 2 } }), S("s1", { type: "hub", stp: "on" })],
      }),
    ).toEqual([
      { path: "description", message: "is too long (at most 4000)" },
      { path: "nodes[0].label", message: "is too long (at most 200)" },
      { path: "nodes[0].position.x", message: 'must be a number, not the text "1"' },
      { path: "nodes[1].type", message: 'must be "ovs" or "bridge", not the text "hub"' },
      { path: "nodes[1].stp", message: 'must be true or false, not the text "on"' },
    ]);
  });
});

describe("parseBandwidth / parseDuration", () => {
  it.each([
    [10, 10],
    [0.5, 0.5],
    ["10mbit", 10],
    ["10Mbit", 10],
    ["10 mbit", 10],
    [" 1gbit ", 1000],
    ["1.5Gbit", 1500],
    ["500kbit", 0.5],
    ["8kbit", 0.008],
    ["100gbit", 100_000],
    ["64000bit", 0.064],
  ])("rate %j is %d Mbit/s", (input, mbit) => {
    expect(parseBandwidth(input)).toBeCloseTo(mbit, 12);
  });

  it("refuses rates it cannot read or that are out of range", () => {
    expect(parseBandwidth("fast")).toBe('"fast" is not a rate (write it like 10mbit, 500kbit, 1gbit, or a number of Mbit/s)');
    expect(parseBandwidth("10mbps")).toBe('"10mbps" is not a rate (write it like 10mbit, 500kbit, 1gbit, or a number of Mbit/s)');
    expect(parseBandwidth(-1)).toBe("-1 is not a positive rate");
    expect(parseBandwidth(Number.NaN)).toBe("NaN is not a positive rate");
    expect(parseBandwidth("7kbit")).toBe("7kbit is below the lowest rate, 8kbit");
    expect(parseBandwidth("101gbit")).toBe("101gbit is above the highest rate, 100gbit");
  });

  it.each([
    ["10ms", 10],
    ["1.5ms", 1.5],
    ["500us", 0.5],
    ["1s", 1000],
    ["60s", 60_000],
    ["0ms", 0],
    [" 2 ms ", 2],
  ])("duration %j is %d ms", (input, ms) => {
    expect(parseDuration(input)).toBeCloseTo(ms, 12);
  });

  it("refuses durations it cannot read or that are too long", () => {
    expect(parseDuration("10")).toBe('"10" is not a duration (write it like 10ms, 500us or 1s)');
    expect(parseDuration("-1ms")).toBe('"-1ms" is not a duration (write it like 10ms, 500us or 1s)');
    expect(parseDuration("1m")).toBe('"1m" is not a duration (write it like 10ms, 500us or 1s)');
    expect(parseDuration("60001ms")).toBe("60001ms is longer than the longest allowed, 60s");
  });
});

describe("paths and errors", () => {
  it("formatPath", () => {
    expect(formatPath(["links", 3, "vlan"])).toBe("links[3].vlan");
    expect(formatPath(["nodes", 0, "interfaces", "eth0.100", "mtu"])).toBe('nodes[0].interfaces["eth0.100"].mtu');
    expect(formatPath(["nodes", 0, "interfaces", "eth-0"])).toBe("nodes[0].interfaces.eth-0");
    expect(formatPath([2, "x"])).toBe("[2].x");
    expect(formatPath([])).toBe("");
  });

  it("formatIssue", () => {
    expect(formatIssue({ path: "links[3].vlan", message: "5000 is outside 1..4094" })).toBe("links[3].vlan: 5000 is outside 1..4094");
    expect(formatIssue({ path: "", message: "must be an object" })).toBe("must be an object");
  });

  it("parseLab throws every issue in one error", () => {
    let error: unknown;
    try {
      parseLab({ name: "d", nodes: [H("h1")], links: [{ endpoints: ["h1", "s9"], vlan: 5000 }] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LabValidationError);
    const e = error as LabValidationError;
    expect(e.name).toBe("LabValidationError");
    expect(e.issues).toEqual([
      { path: "links[0].vlan", message: "5000 is outside 1..4094" },
      { path: "links[0].endpoints[1]", message: 'no node is named "s9" (nodes: h1)' },
    ]);
    expect(e.message).toBe('links[0].vlan: 5000 is outside 1..4094\nlinks[0].endpoints[1]: no node is named "s9" (nodes: h1)');
  });

  it("parseLab returns the canonical lab", () => {
    expect(parseLab({ name: "d", nodes: [H("h1"), S("s1")], links: [{ endpoints: ["h1", "s1"] }] }).links[0]!.endpoints).toEqual([
      { node: "h1", interface: "eth0" },
      { node: "s1", interface: "eth1" },
    ]);
  });
});
