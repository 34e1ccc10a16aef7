// Input that once crashed or stalled the validator (issue 10, case 5): names that JavaScript
// objects already hold, YAML alias bombs and nesting, documents far beyond any real lab. Each
// must come back as problems with a place and a sentence, quickly and small.

import { describe, expect, it } from "vitest";
import { MAX_YAML_DEPTH, parseLabText, tooDeep } from "./labfile";
import { RESERVED_KEYS } from "./names";
import { capIssues, DEFAULT_LAB_LIMITS, MAX_ISSUES, validateLab, type LabIssue } from "./validate";

function issuesOf(input: unknown, options: Parameters<typeof validateLab>[1] = {}): LabIssue[] {
  const r = validateLab(input, options);
  if (r.ok) throw new Error(`expected issues, got a valid lab: ${JSON.stringify(r.lab)}`);
  return r.issues;
}

/** An object with `key` as an own property, as JSON.parse (and YAML) make it: even "__proto__". */
const withKey = (key: string, value: unknown) => JSON.parse(`{${JSON.stringify(key)}: ${JSON.stringify(value)}}`) as Record<string, unknown>;

const NAMES = ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf", "prototype"];

describe("names JavaScript objects already hold", () => {
  it.each(NAMES)("refuses %s as a NAT gateway's interface, in its settings or on its link, without throwing", (name) => {
    // the link names the interface, the node has no settings for it: once a TypeError in checkNat
    const onLink = issuesOf({
      name: "x",
      nodes: [
        { name: "gw", kind: "nat" },
        { name: "h1", kind: "host" },
      ],
      links: [{ endpoints: [`gw:${name}`, "h1:eth0"] }],
    });
    expect(onLink).toContainEqual({ path: "links[0].endpoints[0]", message: expect.stringContaining(`"${name}" is a reserved name`) });
    const inSettings = issuesOf({
      name: "x",
      nodes: [
        { name: "gw", kind: "nat", interfaces: withKey(name, { addresses: ["192.168.1.254/24"] }) },
        { name: "h1", kind: "host" },
      ],
      links: [{ endpoints: [`gw:eth0`, "h1:eth0"] }],
    });
    expect(inSettings.some((i) => i.path.startsWith("nodes[0].interfaces") && i.message.includes(`"${name}" is a reserved name`))).toBe(true);
  });

  it.each(NAMES)("refuses %s as a host's interface: its addresses never vanish in silence", (name) => {
    const issues = issuesOf({
      name: "x",
      nodes: [
        { name: "h1", kind: "host", interfaces: withKey(name, { addresses: ["10.0.0.1/24"] }) },
        { name: "h2", kind: "host" },
      ],
      links: [{ endpoints: ["h1:eth0", "h2:eth0"] }],
    });
    expect(issues).toContainEqual({ path: expect.stringMatching(/^nodes\[0\]\.interfaces/), message: expect.stringContaining("reserved name") });
  });

  it("refuses them as environment variable names, node names and service names", () => {
    const env = issuesOf({
      name: "x",
      nodes: [{ name: "h1", kind: "host", services: [{ type: "process", name: "web", command: ["true"], env: withKey("__proto__", "x") }] }],
    });
    expect(env).toContainEqual({ path: expect.stringContaining("env"), message: expect.stringContaining('"__proto__" is a reserved name') });
    const node = issuesOf({ name: "x", nodes: [{ name: "constructor", kind: "host" }] });
    expect(node).toContainEqual({ path: "nodes[0].name", message: expect.stringContaining("reserved name") });
    const svc = issuesOf({ name: "x", nodes: [{ name: "h1", kind: "host", services: [{ type: "process", name: "constructor", command: ["true"] }] }] });
    expect(svc).toContainEqual({ path: "nodes[0].services[0].name", message: expect.stringContaining("reserved name") });
  });

  it("knows every name Object.prototype has", () => {
    for (const k of Object.getOwnPropertyNames(Object.prototype)) expect(RESERVED_KEYS.has(k)).toBe(true);
  });

  it("refuses them in a YAML file too, with their line", () => {
    const r = parseLabText("name: x\nnodes:\n  - name: h1\n    kind: host\n    interfaces:\n      __proto__: {addresses: [10.0.0.1/24]}\n");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues[0]).toMatchObject({ message: expect.stringContaining('"__proto__" is a reserved name'), line: expect.any(Number) });
  });
});

describe("YAML that cannot be read", () => {
  it("answers an alias bomb with a message and the line of its first alias, never a stack", () => {
    const bomb = [
      "name: x",
      "nodes: []",
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]",
      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]",
      "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]",
      "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]",
      "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]",
    ].join("\n");
    const r = parseLabText(bomb);
    expect(r).toEqual({ ok: false, issues: [{ path: "", message: expect.stringContaining("aliases"), line: 4 }] });
    if (!r.ok) expect(r.issues[0]!.message).not.toMatch(/\n\s+at /);
  });

  it("answers nesting deeper than the parser goes with a message", { timeout: 60_000 }, () => {
    for (const text of ["[".repeat(20_000) + "]".repeat(20_000), "{a: ".repeat(20_000)]) {
      const r = parseLabText(text);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.issues.length).toBeGreaterThan(0);
        expect(r.issues.length).toBeLessThanOrEqual(MAX_ISSUES + 1);
        for (const i of r.issues.filter((x) => !x.message.startsWith("…"))) expect(i.line).toEqual(expect.any(Number));
      }
    }
  });

  it("cuts a long list of YAML errors", { timeout: 60_000 }, () => {
    const r = parseLabText(Array.from({ length: 500 }, () => "a: b: c").join("\n"));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues.length).toBe(MAX_ISSUES + 1);
      expect(r.issues.at(-1)!.message).toMatch(/^… and [\d,]+ more problems$/);
    }
  });
});

describe("size", () => {
  const star = (n: number) => ({
    name: "big",
    nodes: [{ name: "s1", kind: "switch" }, ...Array.from({ length: n }, (_, i) => ({ name: `h${i}`, kind: "host" }))],
    links: Array.from({ length: n }, (_, i) => ({ endpoints: [`h${i}`, "s1"] })),
  });

  it("refuses more nodes or links than the limits allow, before checking anything else", () => {
    const doc = star(30_000);
    expect(issuesOf(doc)).toEqual([
      { path: "nodes", message: `the lab has 30,001 nodes; a lab may have at most ${DEFAULT_LAB_LIMITS.maxNodes.toLocaleString("en-US")}` },
      { path: "links", message: `the lab has 30,000 links; a lab may have at most ${DEFAULT_LAB_LIMITS.maxLinks.toLocaleString("en-US")}` },
    ]);
    expect(issuesOf(star(10), { limits: { maxNodes: 5 } })).toEqual([{ path: "nodes", message: "the lab has 11 nodes; a lab may have at most 5" }]);
    expect(validateLab(star(10), { limits: { maxNodes: 11, maxLinks: 10 } }).ok).toBe(true);
  });

  it("lists at most MAX_ISSUES problems and counts the rest; a missing node's message names a few nodes, not all", { timeout: 60_000 }, () => {
    const doc = star(3000);
    doc.links = doc.links.map((l, i) => ({ endpoints: [l.endpoints[0]!, `nope${i}`] }));
    const issues = issuesOf(doc, { limits: { maxNodes: 10_000 } });
    expect(issues.length).toBe(MAX_ISSUES + 1);
    expect(issues.at(-1)).toEqual({ path: "", message: "… and 2,900 more problems" });
    expect(issues[0]!.message).toBe('no node is named "nope0" (nodes: s1, h0, h1, h2, h3, h4, h5, h6, h7, h8, … 2,991 more)');
    expect(JSON.stringify(issues).length).toBeLessThan(20_000);
  });

  it("cuts a problem that would echo a huge name", () => {
    const issues = issuesOf({ name: "x", nodes: [{ name: "n".repeat(200_000), kind: "host" }], links: [{ endpoints: ["a".repeat(200_000), "b"] }] });
    expect(JSON.stringify(issues).length).toBeLessThan(5_000);
    const [one] = capIssues([{ path: "p", message: "m".repeat(1000) }]);
    expect(one!.message.length).toBeLessThan(400);
  });
});

describe("linear in the lab's size", () => {
  // what once compared every pair: 6,000 addresses and routes on one host took 25 s to refuse,
  // and 3,000 addresses on each of two interfaces 5 s to accept (the speed itself is measured
  // by benchmarks; here the answers, which the indexes must not change)
  it("finds a gateway outside every subnet, and a DHCP range outside its interface's, among thousands of addresses", { timeout: 60_000 }, () => {
    const addresses = Array.from({ length: 3000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1/24`);
    const routes = [
      { to: "172.16.0.0/16", via: "10.0.7.9" },
      { to: "172.17.0.0/16", via: "192.168.0.1" },
      { to: "172.18.0.0/16", via: "10.11.183.200", dev: "eth0" },
    ];
    const issues = issuesOf({
      name: "x",
      nodes: [
        {
          name: "h1",
          kind: "host",
          interfaces: { eth0: { addresses } },
          routes,
          services: [{ type: "dhcp-server", interface: "eth0", range: ["192.168.1.10", "192.168.1.20"] }],
        },
        { name: "h2", kind: "host" },
      ],
      links: [{ endpoints: ["h1:eth0", "h2:eth0"] }],
    });
    expect(issues).toEqual([
      {
        path: "nodes[0].routes[1].via",
        message: "192.168.0.1 is not in a subnet of h1 (10.0.0.1/24, 10.0.1.1/24, 10.0.2.1/24, 10.0.3.1/24, 10.0.4.1/24, … 2,995 more)",
      },
      {
        path: "nodes[0].services[0].range[0]",
        message: "192.168.1.10 is outside eth0's subnets 10.0.0.0/24, 10.0.1.0/24, 10.0.2.0/24, 10.0.3.0/24, 10.0.4.0/24, … 2,995 more",
      },
    ]);
  });

  it("warns of two interfaces in one subnet among thousands, and at most MAX_ISSUES times", { timeout: 60_000 }, () => {
    const a0 = Array.from({ length: 3000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1/24`);
    const a1 = Array.from({ length: 3000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.2/24`);
    const r = validateLab({
      name: "x",
      nodes: [
        { name: "r1", kind: "router", interfaces: { eth0: { addresses: a0 }, eth1: { addresses: a1 } } },
        { name: "h2", kind: "host" },
        { name: "h3", kind: "host" },
      ],
      links: [{ endpoints: ["r1:eth0", "h2:eth0"] }, { endpoints: ["r1:eth1", "h3:eth0"] }],
    });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.warnings.length).toBe(MAX_ISSUES + 1);
    expect(r.warnings[0]!.message).toMatch(/^r1 has eth0 \(10\.0\.0\.1\/24\) and eth1 \(10\.0\.0\.2\/24\) in the same subnet 10\.0\.0\.0\/24/);
    expect(r.warnings.at(-1)!.message).toBe("… and 2,900 more warnings");
  });
});

describe("nesting", () => {
  it("refuses flow collections nested deeper than MAX_YAML_DEPTH before parsing, with the line", () => {
    const r = parseLabText(`name: x\nnodes: []\nx: ${"[".repeat(300)}${"]".repeat(300)}\n`);
    expect(r).toEqual({ ok: false, issues: [{ path: "", message: expect.stringContaining(`more than ${MAX_YAML_DEPTH} levels deep`), line: 3 }] });
  });

  it("does not count brackets in quoted text or comments", () => {
    expect(tooDeep(`a: "${"[".repeat(1000)}"\nb: '${"{".repeat(1000)}'' ['\n# ${"[".repeat(1000)}\n`)).toBeNull();
    expect(tooDeep("a: [[[1]]]", 2)).toBe(1);
    expect(tooDeep("a: [[[1]]]", 3)).toBeNull();
    // flow style as usual reads as before
    const r = parseLabText(`name: x\nnodes: [{name: h1, kind: host, position: {x: 1, y: 2}}, {name: h2, kind: host, label: "[x] {y}"}]\n`);
    expect(r.ok).toBe(true);
  });
});
