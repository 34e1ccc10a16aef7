import { describe, expect, it } from "vitest";
import { formatFileIssue, labToDocument, labToJson, labToYaml, parseLabText, type LabFileIssue } from "./labfile";
import { parseLab } from "./validate";
import { topoLab } from "./topos";
import type { Lab } from "./schema";

const YAML_LAB = `version: 1
name: demo
description: red and green on one switch
nodes:
  - name: red
    kind: host
    interfaces:
      eth0:
        addresses: [10.0.0.1/24]
  - name: green
    kind: host
    interfaces:
      eth0:
        addresses: [10.0.0.2/24]
  - name: ovs1
    kind: switch
links:
  - endpoints: [red, ovs1]
  - endpoints: [green, ovs1]
    vlan: 200
`;

function labOf(text: string, options: { name?: string } = {}): Lab {
  const r = parseLabText(text, options);
  if (!r.ok) throw new Error(r.issues.map((i) => formatFileIssue(i)).join("\n"));
  return r.lab;
}

function issuesOf(text: string, options: { name?: string } = {}): LabFileIssue[] {
  const r = parseLabText(text, options);
  if (r.ok) throw new Error("expected issues");
  return r.issues;
}

describe("parseLabText", () => {
  it("reads YAML", () => {
    const lab = labOf(YAML_LAB);
    expect(lab.name).toBe("demo");
    expect(lab.description).toBe("red and green on one switch");
    expect(lab.nodes.map((n) => `${n.kind}:${n.name}`)).toEqual(["host:red", "host:green", "switch:ovs1"]);
    expect(lab.links).toEqual([
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
        vlan: 200,
      },
    ]);
  });

  it("reads JSON to the same lab", () => {
    const json = JSON.stringify(
      {
        version: 1,
        name: "demo",
        description: "red and green on one switch",
        nodes: [
          { name: "red", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } },
          { name: "green", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.2/24"] } } },
          { name: "ovs1", kind: "switch" },
        ],
        links: [{ endpoints: ["red", "ovs1"] }, { endpoints: ["green", "ovs1"], vlan: 200 }],
      },
      null,
      2,
    );
    expect(labOf(json)).toEqual(labOf(YAML_LAB));
  });

  it("the --name option overrides the file's name", () => {
    expect(labOf(YAML_LAB, { name: "other" }).name).toBe("other");
  });

  it("puts each problem on its line", () => {
    const text = `name: demo
nodes:
  - name: h1
    kind: host
    interfaces:
      eth0:
        addresses:
          - 10.0.0.1/24
          - 10.0.0.300/24
  - name: s1
    kind: switch
    colour: blue
links:
  - endpoints: [h1, s1]
  - endpoints: [h1, s9]
  - endpoints: [h1, s1]
    vlan: 5000
`;
    // in the file's order
    expect(issuesOf(text)).toEqual([
      { path: "nodes[0].interfaces.eth0.addresses[1]", message: '"10.0.0.300" is not an IPv4 or IPv6 address', line: 9 },
      { path: "nodes[1].colour", message: "is not a known field", line: 12 },
      { path: "links[1].endpoints[1]", message: 'no node is named "s9" (nodes: h1, s1)', line: 15 },
      { path: "links[2].vlan", message: "5000 is outside 1..4094", line: 17 },
    ]);
  });

  it("points a missing field at its parent's line; a missing top-level field has no line", () => {
    const text = `name: demo
nodes:
  - name: h1
    kind: host
  - name: s1
links:
  - endpoints: [h1, s1]
`;
    expect(issuesOf(text)).toEqual([{ path: "nodes[1].kind", message: "is required (one of host, router, switch, nat)", line: 5 }]);
    expect(issuesOf("nodes: []\n")).toEqual([{ path: "name", message: "is required (or give one with --name)", line: undefined }]);
    expect(issuesOf("[1, 2]\n")).toEqual([
      { path: "", message: "must be an object, not a list", line: undefined },
      { path: "name", message: "is required (or give one with --name)", line: undefined },
    ]);
  });

  it("keys with dots find their line", () => {
    const text = `name: demo
nodes:
  - name: h1
    kind: host
    interfaces:
      "eth0.100":
        mtu: 10
`;
    expect(issuesOf(text)).toEqual([{ path: 'nodes[0].interfaces["eth0.100"].mtu', message: "10 is outside 68..65535", line: 7 }]);
  });

  it("a bad --name is not pinned on the file's name line", () => {
    expect(issuesOf(YAML_LAB, { name: "Bad Name" })).toEqual([
      {
        path: "--name",
        message: '"Bad Name" may hold only lower-case letters, digits, "-" and "_", and must start with a letter or digit',
        line: undefined,
      },
    ]);
  });

  it("refuses text that is not YAML, with the line", () => {
    const issues = issuesOf("name: demo\nnodes: [\n  - x\n");
    expect(issues.length).toBeGreaterThan(0);
    for (const i of issues) {
      expect(i.path).toBe("");
      expect(i.message).toMatch(/^not valid YAML: /);
      expect(i.message).not.toContain("\n");
    }
    const bad = issuesOf("name: demo\nnodes:\n  - name: h1\n    kind: host\n   bad: indentation\n");
    expect(bad[0]!.message).toMatch(/^not valid YAML: /);
    expect(bad[0]!.line).toBe(5);
  });

  it("refuses duplicate keys", () => {
    const issues = issuesOf("name: demo\nnodes: []\nname: other\n");
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe("");
    expect(issues[0]!.message).toMatch(/^not valid YAML: .*[Dd]uplicate|unique/);
    expect(issues[0]!.line).toBe(3);
  });

  it("an empty file asks for an object", () => {
    expect(issuesOf("")).toEqual([
      { path: "", message: "must be an object, not null", line: undefined },
      { path: "name", message: "is required (or give one with --name)", line: undefined },
    ]);
  });
});

describe("formatFileIssue", () => {
  it("prefixes file and line when known", () => {
    const issue = { path: "links[2].vlan", message: "5000 is outside 1..4094", line: 17 };
    expect(formatFileIssue(issue, "lab.yaml")).toBe("lab.yaml:17: links[2].vlan: 5000 is outside 1..4094");
    expect(formatFileIssue(issue)).toBe("17: links[2].vlan: 5000 is outside 1..4094");
    expect(formatFileIssue({ path: "", message: "not valid YAML: x" }, "lab.yaml")).toBe("lab.yaml: not valid YAML: x");
    expect(formatFileIssue({ path: "name", message: "is required" })).toBe("name: is required");
  });
});

describe("writing a lab back", () => {
  const rich = parseLab({
    version: 1,
    name: "rich",
    description: "every field",
    nodes: [
      {
        name: "r1",
        kind: "router",
        label: "Router 1",
        position: { x: 10, y: 20 },
        interfaces: {
          eth0: { addresses: ["10.1.10.1/24", "fd00:10::1/64"], mtu: 1400, mac: "02:00:00:00:00:01" },
          eth1: { addresses: ["10.1.20.1/24"], up: false },
          lo: { addresses: ["10.255.255.1/32"] },
        },
        routes: [
          { to: "default", via: "10.1.10.254", metric: 5 },
          { to: "default", via: "fd00:10::fe" },
          { to: "10.9.0.0/16", dev: "eth1" },
        ],
      },
      { name: "ns0", kind: "host", interfaces: { eth0: { addresses: ["10.1.10.2/24"] } } },
      { name: "s1", kind: "switch", stp: true },
      { name: "b1", kind: "switch", type: "bridge" },
      { name: "dhcp", kind: "host" },
      { name: "s2", kind: "switch" },
    ],
    links: [
      { endpoints: ["r1", "s1"], trunk: [200, 100] },
      { endpoints: ["ns0", "s1:p7"], vlan: 100, bandwidth: "500kbit", delay: "1.5s", jitter: "250us", loss: 0.5 },
      { endpoints: ["r1", "b1"], delay: "10ms" },
      { endpoints: ["dhcp:tap0", "s1"], internal: true, vlan: 100 },
      { endpoints: ["s1", "s2"] },
    ],
  });

  it("labToYaml -> parseLabText gives the same lab", () => {
    expect(labOf(labToYaml(rich))).toEqual(rich);
  });

  it("labToJson -> parseLabText gives the same lab", () => {
    expect(labOf(labToJson(rich))).toEqual(rich);
    expect(labToJson(rich).endsWith("}\n")).toBe(true);
  });

  it("round trips Mininet topologies", () => {
    const lab = parseLab(topoLab({ kind: "tree", args: [2, 3] }, "tree"));
    expect(labOf(labToYaml(lab))).toEqual(lab);
  });

  it("writes the compact form: endpoints as node:interface, defaults left out", () => {
    const doc = labToDocument(rich);
    expect(doc["version"]).toBe(1);
    expect(doc["name"]).toBe("rich");
    const nodes = doc["nodes"] as Record<string, unknown>[];
    expect(nodes[1]).toEqual({ name: "ns0", kind: "host", interfaces: { eth0: { addresses: ["10.1.10.2/24"] } } });
    expect(nodes[2]).toEqual({ name: "s1", kind: "switch", stp: true });
    expect(nodes[3]).toEqual({ name: "b1", kind: "switch", type: "bridge" });
    expect(nodes[4]).toEqual({ name: "dhcp", kind: "host" });
    expect(nodes[0]!["routes"]).toEqual([
      { to: "0.0.0.0/0", via: "10.1.10.254", metric: 5 },
      { to: "::/0", via: "fd00:10::fe" },
      { to: "10.9.0.0/16", dev: "eth1" },
    ]);
    expect(nodes[0]!["interfaces"]).toEqual({
      eth0: { addresses: ["10.1.10.1/24", "fd00:10::1/64"], mtu: 1400, mac: "02:00:00:00:00:01" },
      eth1: { addresses: ["10.1.20.1/24"], up: false },
      lo: { addresses: ["10.255.255.1/32"] },
    });
    expect(doc["links"]).toEqual([
      { endpoints: ["r1:eth0", "s1:eth1"], trunk: [100, 200] },
      { endpoints: ["ns0:eth0", "s1:p7"], vlan: 100, bandwidth: 0.5, delay: "1500ms", jitter: "250us", loss: 0.5 },
      { endpoints: ["r1:eth1", "b1:eth1"], delay: "10ms" },
      { endpoints: ["dhcp:tap0", "s1:eth2"], internal: true, vlan: 100 },
      { endpoints: ["s1:eth3", "s2:eth1"] },
    ]);
  });

  it("YAML output reads like a hand-written file", () => {
    const yaml = labToYaml(
      parseLab({
        name: "mini",
        nodes: [
          { name: "h1", kind: "host" },
          { name: "s1", kind: "switch" },
        ],
        links: [{ endpoints: ["h1", "s1"] }],
      }),
    );
    expect(yaml).toBe(
      [
        "version: 1",
        "name: mini",
        "nodes:",
        "  - name: h1",
        "    kind: host",
        "  - name: s1",
        "    kind: switch",
        "links:",
        "  - endpoints:",
        "      - h1:eth0",
        "      - s1:eth1",
        "",
      ].join("\n"),
    );
  });
});
