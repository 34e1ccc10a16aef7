import { describe, expect, it } from "vitest";
import { parseLab } from "@topolab/topology";
import { edgeStylesheet, endAddress, formatBps, keepUnchanged, linksLiveSince, reachStylesheet, type LinkLive } from "./edges";

const source = {
  name: "demo",
  nodes: [
    { name: "h1", kind: "host" },
    { name: "h2", kind: "host" },
    { name: "s1", kind: "switch" },
  ] as Record<string, unknown>[],
  links: [{ endpoints: ["h1:eth0", "s1:eth1"] }, { endpoints: ["h2:eth0", "s1:eth2"] }] as Record<string, unknown>[],
};
const lab = parseLab(source);
const iface = (adminUp: boolean, carrier: boolean) => ({
  interfaces: [{ name: "eth0", adminUp, carrier, operstate: "UP", mac: "", mtu: 1500, addresses: [] }],
  routes: [],
  neighbours: [],
});
const ports = [
  { name: "x-s1-eth1", endpoint: "s1:eth1", adminUp: false, carrier: false },
  { name: "x-s1-eth2", endpoint: "s1:eth2", adminUp: true, carrier: true },
];

type Args = Parameters<typeof linksLiveSince>;
/** every link's live state worked out from scratch (no last answer), as the page's first derivation does */
const fromScratch = (lab: Args[1], nodes: Args[2], ports: Args[3], rates: Args[4], opts?: Args[5]) =>
  linksLiveSince(null, lab, nodes, ports, rates, opts).links;

describe("each link's live state", () => {
  it("a link whose switch end is down is broken, with which end and why", () => {
    const [a, b] = fromScratch(lab, { h1: iface(true, false), h2: iface(true, true) }, ports, { "h2:eth0": { rxBps: 0, txBps: 2_000_000 } });
    expect(a).toEqual({
      id: "h1:eth0|s1:eth1",
      broken: true,
      reason: "h1:eth0 no carrier; s1:eth1 admin down (ip link set down)",
      bps: 0,
      title: "broken: h1:eth0 no carrier; s1:eth1 admin down (ip link set down)",
    });
    expect(b).toMatchObject({ broken: false, bps: 2_000_000, title: "" });
  });
  it("a link taken down from topolab says so", () => {
    const down = parseLab({ ...source, links: [{ endpoints: ["h1:eth0", "s1:eth1"], state: "down" }, { endpoints: ["h2:eth0", "s1:eth2"] }] });
    const [a] = fromScratch(down, { h1: iface(true, false), h2: iface(true, true) }, ports, {});
    expect(a!.reason).toBe("link taken down from topolab: h1:eth0 no carrier; s1:eth1 admin down");
    expect(a!.title).toBe(a!.reason);
  });
  it("an interface set down by hand, one the document has down, and one missing in the kernel are told apart", () => {
    const up = [ports[1]!, { ...ports[0]!, adminUp: true, carrier: true }];
    expect(fromScratch(lab, { h1: iface(false, false), h2: iface(true, true) }, up, {})[0]!.reason).toBe("h1:eth0 admin down (ip link set down)");
    const docDown = parseLab({ ...source, nodes: [{ name: "h1", kind: "host", interfaces: { eth0: { up: false } } }, source.nodes[1], source.nodes[2]] });
    expect(fromScratch(docDown, { h1: iface(false, false), h2: iface(true, true) }, up, {})[0]!.reason).toBe("h1:eth0 admin down (the document has it down)");
    const none = { interfaces: [], routes: [], neighbours: [] };
    expect(fromScratch(lab, { h1: none, h2: iface(true, true) }, up, {})[0]!.reason).toBe("h1:eth0 interface missing in the kernel");
    expect(fromScratch(lab, { h1: iface(true, true), h2: iface(true, true) }, [up[0]!], {})[0]!.reason).toBe("s1:eth1 interface missing in the kernel");
    // while an edit is applied, what it creates is not there yet
    expect(fromScratch(lab, { h1: none, h2: iface(true, true) }, up, {}, { settling: true })[0]!.broken).toBe(false);
    // before the kernel was read, nothing is known, nothing is broken
    expect(fromScratch(lab, {}, [], {}).every((l) => !l.broken)).toBe(true);
  });
  it("a stopped node breaks its links: from topolab, or its namespace gone", () => {
    expect(fromScratch(lab, { h1: null, h2: iface(true, true) }, ports, {})[0]!.reason).toContain("h1 has no namespace");
    const stopped = parseLab({ ...source, nodes: [{ name: "h1", kind: "host", state: "stopped" }, source.nodes[1], source.nodes[2]] });
    const [a] = fromScratch(stopped, { h1: iface(true, false), h2: iface(true, true) }, ports, {});
    expect(a!.reason).toBe("h1 stopped from topolab: h1:eth0 no carrier; s1:eth1 admin down");
    expect(a!.title).toBe(a!.reason);
  });
  it("loss is in the tooltip and draws the link dotted", () => {
    const lossy = parseLab({ ...source, links: [{ endpoints: ["h1:eth0", "s1:eth1"], loss: 30 }, { endpoints: ["h2:eth0", "s1:eth2"] }] });
    const up = [ports[1]!, { ...ports[0]!, adminUp: true, carrier: true }];
    const [a] = fromScratch(lossy, { h1: iface(true, true), h2: iface(true, true) }, up, {});
    expect(a).toMatchObject({ broken: false, loss: 30, title: "loss 30 %" });
    expect(edgeStylesheet([a!])).toContain("stroke-dasharray: 2 4");
  });
  it("the stylesheet marks broken links and thickens busy ones", () => {
    const css = edgeStylesheet(fromScratch(lab, { h1: iface(true, false), h2: iface(true, true) }, ports, { "h2:eth0": { rxBps: 0, txBps: 2_000_000 } }));
    expect(css).toContain('.react-flow__edge[data-id="h1:eth0|s1:eth1"] .lab-edge { stroke: var(--live-broken, #d33)');
    expect(css).toMatch(/data-id="h2:eth0\|s1:eth2"\] \.lab-edge \{ stroke-width: [\d.]+px/);
    expect(formatBps(2_000_000)).toBe("2.0 Mbit/s");
  });
});

describe("endAddress", () => {
  it("the kernel's addresses when known, marked when they differ from the document's", () => {
    expect(endAddress("10.0.0.1/24", undefined)).toEqual({ text: "10.0.0.1/24", differs: false });
    expect(endAddress(undefined, undefined)).toEqual({ differs: false });
    expect(endAddress("10.0.0.1/24", "10.0.0.1/24")).toEqual({ text: "10.0.0.1/24", differs: false });
    expect(endAddress("10.0.0.1/24", "10.0.0.1/24 10.9.9.9/24")).toEqual({ text: "10.0.0.1/24 10.9.9.9/24", differs: true });
    expect(endAddress("10.0.0.1/24 fd00::1/64", "fd00::1/64 10.0.0.1/24")).toEqual({ text: "fd00::1/64 10.0.0.1/24", differs: false });
    // missing in the kernel: the document's, marked
    expect(endAddress("10.0.0.1/24", "")).toEqual({ text: "10.0.0.1/24", differs: true });
    // DHCP: the lease, or "dhcp" while there is none
    expect(endAddress("dhcp", "10.50.50.12/24")).toEqual({ text: "10.50.50.12/24", differs: false });
    expect(endAddress("dhcp", "")).toEqual({ text: "dhcp", differs: false });
    expect(endAddress(undefined, "")).toEqual({ differs: false });
  });
});

describe("what the canvas draws from the live state", () => {
  const link = (id: string, over: Partial<LinkLive> = {}): LinkLive => ({ id, broken: false, reason: "", bps: 0, title: "", ...over });
  it("an unchanged link keeps its object (its edge does not re-render); the map itself too when nothing changed", () => {
    const prev = { a: link("a"), b: link("b") };
    expect(keepUnchanged(prev, [link("a"), link("b")])).toBe(prev);
    const next = keepUnchanged(prev, [link("a"), link("b", { broken: true, reason: "x", title: "broken: x" })]);
    expect(next).not.toBe(prev);
    expect(next["a"]).toBe(prev.a);
    expect(next["b"]).toMatchObject({ broken: true });
    // a link gone from the lab: a new map without it
    expect(Object.keys(keepUnchanged(prev, [link("a")]))).toEqual(["a"]);
  });
  it("ping all marks each host with how many peers it reaches, green when all", () => {
    const css = reachStylesheet({
      lab: "demo",
      pairs: [
        {
          from: "h1",
          to: "h2",
          address: "10.0.0.2",
          ok: true,
          output: { rounds: 1, sent: null, sentAtMost: 2, received: 1, lossPercent: null, rtt: null, lines: [] },
        },
        {
          from: "h2",
          to: "h1",
          address: "10.0.0.1",
          ok: false,
          output: { rounds: 2, sent: 5, sentAtMost: 5, received: 0, lossPercent: 100, rtt: null, lines: [] },
        },
      ],
      sent: 2,
      received: 1,
      dropped: 50,
      unaddressed: [],
    });
    expect(css).toContain('.react-flow__node[data-id="h1"]::after { content: "reaches 1/1"');
    expect(css).toMatch(/data-id="h2"\]::after \{ content: "reaches 0\/1".*color: #a11/);
    expect(reachStylesheet(null)).toBe("");
  });
});

describe("linksLiveSince", () => {
  it("answers as from scratch (no last answer) through a run of samples and node events, working out again only the links of changed nodes", () => {
    const n1 = { h1: iface(true, true), h2: iface(true, true) };
    const r1 = { "h1:eth0": { rxBps: 5000, txBps: 100 } };
    const first = linksLiveSince(null, lab, n1, ports, r1);
    expect(first.links).toEqual(fromScratch(lab, n1, ports, r1));
    // a counter sample: the same states, the new traffic
    const r2 = { "h2:eth0": { rxBps: 0, txBps: 2_000_000 } };
    const second = linksLiveSince(first.memo, lab, n1, ports, r2);
    expect(second.links).toEqual(fromScratch(lab, n1, ports, r2));
    expect(second.memo.states).toBe(first.memo.states);
    // h1 taken down by hand: its link is worked out again, h2's kept as it was
    const n2 = { ...n1, h1: iface(false, false) };
    const third = linksLiveSince(second.memo, lab, n2, ports, r2);
    expect(third.links).toEqual(fromScratch(lab, n2, ports, r2));
    expect(third.links[0]!.broken).toBe(true);
    expect(third.memo.states[1]).toBe(second.memo.states[1]);
    // a node gone from the live state, new ports, settling: as from scratch
    const n3 = { h2: iface(true, true) };
    expect(linksLiveSince(third.memo, lab, n3, ports, r2).links).toEqual(fromScratch(lab, n3, ports, r2));
    const up = ports.map((p) => ({ ...p, adminUp: true, carrier: true }));
    expect(linksLiveSince(third.memo, lab, n2, up, {}).links).toEqual(fromScratch(lab, n2, up, {}));
    expect(linksLiveSince(third.memo, lab, n2, ports, {}, { settling: true }).links).toEqual(fromScratch(lab, n2, ports, {}, { settling: true }));
  });
});
