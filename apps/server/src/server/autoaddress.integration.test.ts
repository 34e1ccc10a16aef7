// Issue 13 item 3, on the real kernel through the real server: a teacher's routed lab drawn
// from a blank one with the default address plan, linked with the canvas's defaults only
// (apps/web's linkChanges: addresses from the plan, a subnet per segment, a default route via
// the router for each host), routes: h1 -> r1 -> h2 pings, both ways.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureOvsRunning } from "@topolab/engine";
import { pings, uniqueLabName } from "@topolab/engine/testing";
import { labWarnings, type Lab } from "@topolab/topology";
import { linkChanges } from "../../../web/src/lab/linking";
import { startTestServer, type TestServer } from "../testing";

let t: TestServer;

beforeAll(async () => {
  await ensureOvsRunning();
  t = await startTestServer();
});

afterAll(async () => {
  await t?.close();
});

describe("automatic addresses", () => {
  it("make a routed lab that routes: host -> router -> host", async () => {
    const c = await t.connect();
    const lab = uniqueLabName("ad");
    await c.ok("lab:create", { name: lab, source: { type: "blank" } });
    await c.ok("lab:edit", { lab, changes: [{ type: "updateLab", set: { addressPlan: "10.0.0.0/24" } }] });
    const nodes = [
      { name: "h1", kind: "host" },
      { name: "h2", kind: "host" },
      { name: "r1", kind: "router" },
      { name: "s1", kind: "switch" },
      { name: "s2", kind: "switch" },
    ] as const;
    await c.ok("lab:edit", { lab, changes: nodes.map((node) => ({ type: "addNode" as const, node: { ...node } })) });
    // the order a teacher might draw them in: a host, the router, the other side
    for (const [a, b] of [
      ["h1", "s1"],
      ["r1", "s1"],
      ["r1", "s2"],
      ["h2", "s2"],
    ] as const) {
      const { document } = await c.ok("lab:open", { lab });
      await c.ok("lab:edit", { lab, changes: linkChanges(document, a, b) });
    }
    const doc: Lab = (await c.ok("lab:open", { lab })).document;
    expect(labWarnings(doc)).toEqual([]);
    const addr = (node: string, iface = "eth0") => {
      const n = doc.nodes.find((x) => x.name === node)!;
      return n.kind === "host" || n.kind === "router" ? n.interfaces[iface]!.addresses[0]!.split("/")[0]! : "";
    };
    expect([addr("h1"), addr("r1"), addr("r1", "eth1"), addr("h2")]).toEqual(["10.0.0.1", "10.0.0.2", "10.0.1.1", "10.0.1.2"]);
    expect(await pings(lab, "h1", addr("h2"), { wait: 5 })).toBe(true);
    expect(await pings(lab, "h2", addr("h1"))).toBe(true);
    expect(await pings(lab, "h1", "h2")).toBe(true); // by name, too
    await c.ok("lab:delete", { lab });
  });
});
