// Integration tests on the real kernel (as root): the dataplane behind OVS ports. A veth made
// again under the name of an existing OVS port is not opened by ovs-vswitchd (userspace
// datapath) when the port is removed and added in one transaction: the lab says up while its
// packets die. Here: renaming an interface keeps the lab forwarding, and a port made stale by
// hand is found by status and mended by up. Lab names start with "da".

import { describe, expect, it } from "vitest";
import { aliasLab, parseLab, type Lab } from "@topolab/topology";
import { readRootLinks, type IpLink } from "./actual";
import { run } from "./exec";

import { pings, tcpTransfer } from "./testing";

import { engineSession } from "./testing-session";

const session = engineSession();

const labName = (prefix: string) => `da${prefix}${Math.random().toString(36).slice(2, 6)}`;

/** Two hosts on one OVS switch; h1's interface called `h1if`. */
function twoHosts(name: string, h1if = "eth0"): Lab {
  session.labs.add(name);
  return parseLab({
    name,
    nodes: [
      { name: "s1", kind: "switch", type: "ovs" },
      { name: "h1", kind: "host", interfaces: { [h1if]: { addresses: ["10.71.0.1/24"] } } },
      { name: "h2", kind: "host", interfaces: { eth0: { addresses: ["10.71.0.2/24"] } } },
    ],
    links: [{ endpoints: [`h1:${h1if}`, "s1:p1"] }, { endpoints: ["h2:eth0", "s1:p2"] }],
  });
}

/** The root-side end of a link of the lab, found by its alias. */
async function rootEnd(lab: string, link: string): Promise<IpLink> {
  const found = (await readRootLinks()).find((l) => {
    const a = aliasLab(l.ifalias);
    return a?.lab === lab && a.what === `link:${link}`;
  });
  if (!found) throw new Error(`no root-side end of link ${link} in lab ${lab}`);
  return found;
}

async function must(argv: string[], input?: string): Promise<void> {
  const r = await run(argv, input !== undefined ? { input } : {});
  if (r.code !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr.trim()}`);
}

describe("OVS ports and the devices behind them", () => {
  it("renaming an interface keeps the lab forwarding: ping and TCP across, status up, nothing left to change", async () => {
    const name = labName("ren");
    await session.engine.up(twoHosts(name));
    expect(await pings(name, "h1", "10.71.0.2")).toBe(true);

    for (const h1if of ["eth5", "eth0"]) {
      const renamed = twoHosts(name, h1if);
      const r = await session.engine.up(renamed);
      // the veth is made again under the same root-side name; its port is removed and added
      expect(r.ops.filter((o) => o.kind === "ovsPort").map((o) => o.action)).toEqual(["reapply"]);
      expect(await pings(name, "h1", "10.71.0.2", { wait: 5 })).toBe(true);
      expect(await pings(name, "h2", "10.71.0.1", { wait: 5 })).toBe(true);
      expect(await tcpTransfer(name, "h2", "h1", "10.71.0.2")).toBe(1_000_000);
      const [status] = await session.engine.status(name);
      expect(status!.nodes.flatMap((n) => n.problems)).toEqual([]);
      expect(status!.state).toBe("up");
      expect(status!.nodes.find((n) => n.name === "h1")!.interfaces.map((i) => i.name)).toEqual([h1if]);
      expect((await session.engine.up(renamed)).unchanged).toBe(true);
    }
  });

  it("a veth made again by hand behind its port: status names the stale port, up makes it again, packets flow", async () => {
    const name = labName("stl");
    const doc = twoHosts(name);
    await session.engine.up(doc);
    expect(await pings(name, "h1", "10.71.0.2")).toBe(true);

    // h2's veth deleted and made again exactly as topolab made it (names, marks, MTU, MAC, address)
    const link = "h2:eth0|s1:p2";
    const end = await rootEnd(name, link);
    const ns = `tl.${name}.h2`;
    const inside = (await run(["ip", "-n", ns, "-j", "link", "show", "eth0"])).stdout;
    const { ifalias: insideAlias, address: insideMac } = (JSON.parse(inside) as IpLink[])[0]!;
    await must(["ip", "link", "del", "dev", end.ifname]);
    await must(["ip", "link", "add", "name", end.ifname, "type", "veth", "peer", "name", "eth0", "netns", ns]);
    await must(["ip", "link", "set", "dev", end.ifname, "alias", end.ifalias!, "mtu", String(end.mtu), "up"]);
    // the same MAC as before, so that h1's neighbour entry stays right: only OVS is in the way
    await must(["ip", "-n", ns, "link", "set", "dev", "eth0", "alias", insideAlias!, "address", insideMac!, "mtu", "1500", "up"]);
    await must(["ip", "-n", ns, "addr", "add", "10.71.0.2/24", "dev", "eth0"]);
    // OVS still has the port, and even reports the new device's ifindex, yet forwards nothing
    expect(await pings(name, "h1", "10.71.0.2", { wait: 2 })).toBe(false);

    const [status] = await session.engine.status(name);
    expect(status!.state).toBe("degraded");
    const s1 = status!.nodes.find((n) => n.name === "s1")!;
    expect(s1.state).toBe("degraded");
    expect(s1.problems).toEqual([expect.stringMatching(new RegExp(`^stale: OVS port ${end.ifname}: Open vSwitch does not have its kernel device open`))]);
    expect(status!.nodes.find((n) => n.name === "h2")!.problems).toEqual([expect.stringMatching(/^stale: OVS port .* of its eth0 forwards nothing/)]);
    expect(status!.nodes.find((n) => n.name === "h1")!.state).toBe("up");

    // the planner treats it as a difference: the port alone is made again
    const dry = await session.engine.dryRun(doc);
    expect(dry.ops.map((o) => `${o.action} ${o.key}`)).toEqual([`reapply ovsPort:${end.ifname}`]);
    const mended = await session.engine.up(doc);
    expect(mended.unchanged).toBe(false);
    expect(await pings(name, "h1", "10.71.0.2", { wait: 5 })).toBe(true);
    expect(await tcpTransfer(name, "h1", "h2", "10.71.0.1")).toBe(1_000_000);
    const [after] = await session.engine.status(name);
    expect(after!.state).toBe("up");
    expect(after!.nodes.flatMap((n) => n.problems)).toEqual([]);
    expect((await session.engine.up(doc)).unchanged).toBe(true);
  });
});
