// Integration tests on the real kernel (as root): labs made of real namespaces, veths, OVS
// bridges and Linux bridges. Each test uses its own lab name and state directory and proves
// afterwards that nothing of its lab is left.

import { readFile, writeFile, mkdir, rm, stat } from "node:fs/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseLab, parseTopoSpec, topoLab, type Lab } from "@topolab/topology";
import { ApplyError, Engine } from "./engine";
import { run } from "./exec";
import { readRootLinks } from "./actual";
import { inNode, leftoversAfterSettling, pings, tcpTransfer, tempStateDir, uniqueLabName } from "./testing";
import { alive } from "./processes";
import { ensureOvsRunning } from "./ovs";
import type { CommandLogEntry } from "./executor";

let state: { dir: string; remove: () => Promise<void> };
const labsMade = new Set<string>();
let log: CommandLogEntry[] = [];
let engine: Engine;

beforeAll(async () => {
  expect(process.getuid?.()).toBe(0);
  await ensureOvsRunning();
  state = await tempStateDir();
  engine = new Engine({ stateDir: state.dir, log: (e) => log.push(e) });
});

afterEach(async () => {
  for (const name of labsMade) {
    if (await engine.state.readMeta(name)) await engine.down(name);
    expect(await leftoversAfterSettling(name)).toEqual([]);
  }
  labsMade.clear();
  log = [];
});

afterAll(async () => {
  await state.remove();
});

function lab(input: Record<string, unknown>): Lab {
  const l = parseLab(input);
  labsMade.add(l.name);
  return l;
}

function topo(spec: string, name: string, switchType: "ovs" | "bridge" = "ovs"): Lab {
  const s = parseTopoSpec(spec);
  if (typeof s === "string") throw new Error(s);
  const doc = topoLab(s, name);
  for (const n of doc.nodes) if (n.kind === "switch") (n as unknown as Record<string, unknown>)["type"] = switchType;
  return lab(doc);
}

async function nsInode(l: string, node: string): Promise<number> {
  return (await stat(`/run/netns/tl.${l}.${node}`)).ino;
}

describe.each(["ovs", "bridge"] as const)("with %s switches", (type) => {
  it("a star lab pings across, carries TCP, resolves names, re-applies as a no-op and goes away", async () => {
    const l = topo("single,3", uniqueLabName("st"), type);
    const first = await engine.up(l);
    expect(first.summary.create).toBeGreaterThan(10);
    expect(await pings(l.name, "h1", "10.0.0.3")).toBe(true);
    expect(await pings(l.name, "h3", "10.0.0.2")).toBe(true);
    expect(await pings(l.name, "h1", "h2")).toBe(true); // /etc/netns/<ns>/hosts
    expect(await tcpTransfer(l.name, "h2", "h1", "10.0.0.2")).toBe(1_000_000);
    // the root namespace has no route into the lab
    const root = await run(["ip", "route", "get", "10.0.0.2"]);
    expect(root.stdout).not.toMatch(new RegExp(`dev ${l.name}`));

    const again = await engine.up(l);
    expect(again.unchanged).toBe(true);
    expect((await engine.dryRun(l)).ops).toEqual([]);

    const [status] = await engine.status(l.name);
    expect(status!.state).toBe("up");
    expect(status!.nodes.find((n) => n.name === "h2")!.interfaces[0]).toMatchObject({ name: "eth0", state: "up", addresses: ["10.0.0.2/8"], peer: "s1:eth2" });

    await engine.down(l.name);
    expect(await leftoversAfterSettling(l.name)).toEqual([]);
    expect(await engine.state.readMeta(l.name)).toBeNull();
  });

  it("a chain of switches pings end to end", async () => {
    const l = topo("linear,4", uniqueLabName("ch"), type);
    await engine.up(l);
    expect(await pings(l.name, "h1", "10.0.0.4", { wait: 5 })).toBe(true);
    expect(await tcpTransfer(l.name, "h4", "h1", "10.0.0.4", 200_000)).toBe(200_000);
    if (type === "ovs") {
      // OVS switches are joined by patch ports, not veths
      const ports = await run(["ovs-vsctl", "--columns=name,type", "find", "Interface", "type=patch"]);
      expect(ports.stdout).toContain(`${(await engine.state.readMeta(l.name))!.tag}-s2-eth2`);
    }
  });
});

describe("edits", () => {
  it("applies only the difference, and a ping between untouched hosts loses nothing", async () => {
    const name = uniqueLabName("ed");
    const base = {
      name,
      nodes: [
        { name: "s1", kind: "switch" },
        ...[1, 2, 3].map((i) => ({ name: `h${i}`, kind: "host", interfaces: { eth0: { addresses: [`10.9.0.${i}/24`] } } })),
      ],
      links: [1, 2, 3].map((i) => ({ endpoints: [`h${i}:eth0`, "s1"] })),
    };
    const v1 = lab(base);
    await engine.up(v1);
    const inodeH1 = await nsInode(name, "h1");
    const h1Root = (await readRootLinks()).find((x) => x.ifalias?.startsWith(`topolab:${name}@`) && x.ifalias.endsWith(":link:h1:eth0|s1:eth1"))!;
    expect(h1Root).toBeDefined();

    // a steady ping from h1 to h2 while the lab changes around them
    const pinger = inNode(name, "h1", ["ping", "-i", "0.02", "-c", "150", "-q", "10.9.0.2"], 60_000);
    await new Promise((r) => setTimeout(r, 300));
    const v2 = lab({
      ...base,
      nodes: [
        { name: "s1", kind: "switch" },
        { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.9.0.1/24"] } } },
        { name: "h2", kind: "host", interfaces: { eth0: { addresses: ["10.9.0.2/24"] } } },
        { name: "h3", kind: "host", interfaces: { eth0: { addresses: ["10.9.0.33/24"] } } }, // changed address
        { name: "h4", kind: "host", interfaces: { eth0: { addresses: ["10.9.0.4/24"] } } }, // new host
      ],
      links: [
        { endpoints: ["h1:eth0", "s1:eth1"] },
        { endpoints: ["h2:eth0", "s1:eth2"] },
        { endpoints: ["h3:eth0", "s1:eth3"] },
        { endpoints: ["h4:eth0", "s1:eth4"] },
      ],
    });
    const result = await engine.up(v2);
    const touched = result.ops.map((o) => o.key);
    // h1 or h2 as a node (tl.LAB.h1/…, link:h1:eth0|…), never inside the random lab name ("tedh1ri2")
    expect(touched.filter((k) => /(^|[.:|])h[12](?=[/:|]|$)/.test(k) && !k.startsWith("file:"))).toEqual([]);
    expect(touched).toContain(`addr:tl.${name}.h3/eth0/10.9.0.33/24`);
    expect(touched).toContain(`netns:tl.${name}.h4`);
    expect(result.ops.find((o) => o.key === `addr:tl.${name}.h3/eth0/10.9.0.3/24`)?.action).toBe("delete");

    const ping = await pinger;
    expect(ping.stdout).toMatch(/150 packets transmitted, 150 received, 0% packet loss/);
    expect(await nsInode(name, "h1")).toBe(inodeH1);
    const h1RootAfter = (await readRootLinks()).find((x) => x.ifname === h1Root.ifname)!;
    expect(h1RootAfter.ifindex).toBe(h1Root.ifindex);
    expect(await pings(name, "h4", "10.9.0.33")).toBe(true);
    expect(await pings(name, "h1", "10.9.0.3")).toBe(false);

    // removing a link and a node
    const v3 = lab({ ...base, nodes: [v2.nodes[0], v2.nodes[1], { name: "h2", kind: "host" }], links: [{ endpoints: ["h1:eth0", "s1:eth1"] }] });
    const r3 = await engine.up(v3);
    expect(r3.ops.some((o) => o.action === "delete" && o.key === `netns:tl.${name}.h3`)).toBe(true);
    expect(await pings(name, "h1", "10.9.0.2")).toBe(false); // h2 has no link any more
    const [st] = await engine.status(name);
    expect(st!.nodes.map((n) => n.name).sort()).toEqual(["h1", "h2", "s1"]);
  });

  it("repairs drift on up, but leaves an address added by hand", async () => {
    const l = topo("single,2", uniqueLabName("dr"));
    await engine.up(l);
    await inNode(l.name, "h1", ["ip", "addr", "del", "10.0.0.1/8", "dev", "eth0"]);
    await inNode(l.name, "h1", ["ip", "addr", "add", "192.168.77.1/24", "dev", "eth0"]);
    await inNode(l.name, "h2", ["ip", "link", "set", "eth0", "down"]);
    const r = await engine.up(l);
    expect(r.ops.map((o) => `${o.action} ${o.key}`).sort()).toEqual([`create addr:tl.${l.name}.h1/eth0/10.0.0.1/8`, `update iface:tl.${l.name}.h2/eth0`]);
    const addrs = await inNode(l.name, "h1", ["ip", "-br", "addr", "show", "eth0"]);
    expect(addrs.stdout).toContain("192.168.77.1/24");
    expect(await pings(l.name, "h1", "10.0.0.2")).toBe(true);
  });
});

describe("VLANs on OVS", () => {
  it("isolates access VLANs, carries a trunk between switches, and retags in place", async () => {
    const name = uniqueLabName("vl");
    const hosts = [1, 2, 3, 4].map((i) => ({ name: `h${i}`, kind: "host", interfaces: { eth0: { addresses: [`10.5.0.${i}/24`] } } }));
    const input = {
      name,
      nodes: [{ name: "s1", kind: "switch" }, { name: "s2", kind: "switch" }, ...hosts],
      links: [
        { endpoints: ["h1:eth0", "s1"], vlan: 100 },
        { endpoints: ["h2:eth0", "s1"], vlan: 200 },
        { endpoints: ["h3:eth0", "s2"], vlan: 100 },
        { endpoints: ["h4:eth0", "s2"], vlan: 200 },
        { endpoints: ["s1", "s2"], trunk: [100, 200] },
      ],
    };
    const l = lab(input);
    await engine.up(l);
    expect(await pings(name, "h1", "10.5.0.3", { wait: 3 })).toBe(true); // VLAN 100 across the trunk
    expect(await pings(name, "h2", "10.5.0.4", { wait: 3 })).toBe(true); // VLAN 200 across the trunk
    expect(await pings(name, "h1", "10.5.0.2", { wait: 1 })).toBe(false);
    expect(await pings(name, "h1", "10.5.0.4", { wait: 1 })).toBe(false);

    const retagged = lab({ ...input, links: input.links.map((x, i) => (i === 1 ? { ...x, vlan: 100 } : x)) });
    const r = await engine.up(retagged);
    expect(r.ops.map((o) => `${o.action} ${o.kind}`)).toEqual(["update ovsPort"]);
    expect(await pings(name, "h1", "10.5.0.2", { wait: 3 })).toBe(true);
  });

  it("moves an OVS internal port into a host", async () => {
    const name = uniqueLabName("ip");
    const l = lab({
      name,
      nodes: [
        { name: "s1", kind: "switch" },
        { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.6.0.1/24"] } } },
        { name: "srv", kind: "host", interfaces: { eth0: { addresses: ["10.6.0.2/24"] } } },
      ],
      links: [{ endpoints: ["h1:eth0", "s1"] }, { endpoints: ["srv:eth0", "s1"], internal: true }],
    });
    await engine.up(l);
    expect(await pings(name, "h1", "10.6.0.2")).toBe(true);
    const links = await inNode(name, "srv", ["ip", "-j", "link", "show"]);
    const port = (JSON.parse(links.stdout) as { ifname: string; altnames?: string[] }[]).find((x) => x.altnames?.includes("eth0"));
    expect(port?.ifname).toMatch(/^[a-z0-9]+-srv-eth0$/);
    expect((await engine.dryRun(l)).ops).toEqual([]);
  });
});

describe("routing", () => {
  it("a router joins two subnets for IPv4 and IPv6, with TTL decremented; host-to-host links work", async () => {
    const name = uniqueLabName("rt");
    const l = lab({
      name,
      nodes: [
        {
          name: "ns0",
          kind: "host",
          interfaces: { eth0: { addresses: ["10.1.10.2/24", "fd10::2/64"] } },
          routes: [
            { to: "10.1.20.0/24", via: "10.1.10.1" },
            { to: "default6", via: "fd10::1" },
          ],
        },
        {
          name: "ns1",
          kind: "host",
          interfaces: { eth0: { addresses: ["10.1.20.2/24", "fd20::2/64"] } },
          routes: [
            { to: "default", via: "10.1.20.1" },
            { to: "::/0", via: "fd20::1" },
          ],
        },
        {
          name: "r1",
          kind: "router",
          interfaces: { eth0: { addresses: ["10.1.10.1/24", "fd10::1/64"] }, eth1: { addresses: ["10.1.20.1/24", "fd20::1/64"] } },
        },
      ],
      links: [{ endpoints: ["ns0:eth0", "r1:eth0"] }, { endpoints: ["ns1:eth0", "r1:eth1"] }],
    });
    await engine.up(l);
    const ping = await inNode(name, "ns0", ["ping", "-c", "1", "-i", "0.2", "-w", "3", "10.1.20.2"]);
    expect(ping.stdout).toMatch(/ttl=63/);
    expect(await pings(name, "ns0", "fd20::2")).toBe(true);
    expect((await engine.dryRun(l)).ops).toEqual([]);
    // the router as a plain host: forwarding off, the far subnet unreachable
    const asHost = lab({
      ...l,
      nodes: l.nodes.map((n) => (n.name === "r1" ? { ...n, kind: "host" } : n)),
      links: l.links.map((x) => ({ endpoints: x.endpoints.map((e) => `${e.node}:${e.interface}`) })),
    });
    const r = await engine.up(asHost);
    expect(r.ops.map((o) => `${o.action} ${o.kind}`)).toEqual(["delete sysctl"]);
    expect(await pings(name, "ns0", "10.1.20.2", { wait: 1 })).toBe(false);
  });
});

describe("failures", () => {
  it("a new lab that fails midway leaves nothing behind and names the failing operation", async () => {
    const l = topo("single,2", uniqueLabName("fa"));
    // a plain file where topolab needs the node's /etc/netns directory: the last stage fails
    const blocker = `/etc/netns/tl.${l.name}.h2`;
    await mkdir("/etc/netns", { recursive: true });
    await writeFile(blocker, "in the way\n");
    try {
      const error = await engine.up(l).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ApplyError);
      expect((error as ApplyError).message).toMatch(/file \/etc\/netns\/tl\..*\.h2\/hosts failed/);
      expect((error as ApplyError).message).toMatch(/nothing of it was left behind/);
      expect((error as ApplyError).rolledBack).toBe(true);
    } finally {
      await rm(blocker, { force: true });
    }
    expect(await leftoversAfterSettling(l.name)).toEqual([]);
    expect(await engine.state.readMeta(l.name)).toBeNull();
  });

  it("a failed edit returns the lab to its last good state", async () => {
    const name = uniqueLabName("fe");
    const v1 = lab({
      name,
      nodes: [
        { name: "s1", kind: "switch", type: "bridge" },
        { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.3.0.1/24"] } } },
        { name: "h2", kind: "host", interfaces: { eth0: { addresses: ["10.3.0.2/24"] } } },
      ],
      links: [{ endpoints: ["h1:eth0", "s1"] }, { endpoints: ["h2:eth0", "s1"] }],
    });
    await engine.up(v1);
    const v2 = lab({
      ...v1,
      nodes: [...v1.nodes, { name: "h3", kind: "host", interfaces: { eth0: { addresses: ["10.3.0.3/24"] } } }],
      links: [...v1.links.map((x) => ({ endpoints: x.endpoints.map((e) => `${e.node}:${e.interface}`) })), { endpoints: ["h3:eth0", "s1"] }],
    });
    const blocker = `/etc/netns/tl.${name}.h3`;
    await writeFile(blocker, "in the way\n");
    try {
      await expect(engine.up(v2)).rejects.toThrow(/back as it was before this change/);
    } finally {
      await rm(blocker, { force: true });
    }
    expect((await engine.dryRun(v1)).ops).toEqual([]);
    expect((JSON.parse(await readFile(`${state.dir}/labs/${name}/lab.json`, "utf8")) as { nodes: unknown[] }).nodes).toHaveLength(3);
    expect(await pings(name, "h1", "10.3.0.2")).toBe(true);
  });

  it("refuses delay and loss on a kernel without netem, touching nothing", async () => {
    const caps = await engine.capabilities();
    const l = lab({
      name: uniqueLabName("nm"),
      nodes: [
        { name: "a", kind: "host" },
        { name: "b", kind: "host" },
      ],
      links: [{ endpoints: ["a", "b"], delay: "10ms", loss: 1 }],
    });
    if (caps.netem) {
      await engine.up(l);
      const q = await inNode(l.name, "a", ["tc", "qdisc", "show", "dev", "eth0"]);
      expect(q.stdout).toContain("netem");
      return;
    }
    await expect(engine.up(l)).rejects.toThrow(/links\[0\]\.delay: this kernel has no netem/);
    expect(await leftoversAfterSettling(l.name)).toEqual([]);
  });

  it("limits bandwidth with tbf and reads it back", async () => {
    const l = lab({
      name: uniqueLabName("bw"),
      nodes: [
        { name: "a", kind: "host", interfaces: { eth0: { addresses: ["10.4.0.1/24"] } } },
        { name: "b", kind: "host", interfaces: { eth0: { addresses: ["10.4.0.2/24"] } } },
      ],
      links: [{ endpoints: ["a", "b"], bandwidth: "20mbit" }],
    });
    await engine.up(l);
    const q = await inNode(l.name, "a", ["tc", "-j", "qdisc", "show", "dev", "eth0"]);
    expect((JSON.parse(q.stdout) as unknown[])[0]).toMatchObject({ kind: "tbf", options: { rate: 2_500_000 } });
    expect((await engine.dryRun(l)).ops).toEqual([]);
    expect(await tcpTransfer(l.name, "b", "a", "10.4.0.2", 300_000)).toBe(300_000);
  });

  it("two ups of one lab at once do not interleave", async () => {
    const l = topo("single,4", uniqueLabName("lk"));
    const other = new Engine({ stateDir: state.dir });
    const [a, b] = await Promise.all([engine.up(l), other.up(l)]);
    expect([a.unchanged, b.unchanged].sort((x, y) => Number(x) - Number(y))).toEqual([false, true]);
    expect(await pings(l.name, "h1", "10.0.0.4")).toBe(true);
  });
});

describe("export", () => {
  it("prints a script that rebuilds the lab without topolab, and one that removes it", async () => {
    const name = uniqueLabName("ex");
    const l = lab({
      name,
      nodes: [
        { name: "s1", kind: "switch" },
        { name: "s2", kind: "switch", type: "bridge" },
        { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.8.0.1/24"] } } },
        { name: "h2", kind: "host", interfaces: { eth0: { addresses: ["10.8.0.2/24"] } } },
        { name: "h3", kind: "host", interfaces: { eth0: { addresses: ["10.8.0.3/24"] } } },
      ],
      links: [
        { endpoints: ["h1:eth0", "s1"], vlan: 10 },
        { endpoints: ["h2:eth0", "s1"], vlan: 10 },
        { endpoints: ["s1", "s2"], vlan: 10 },
        { endpoints: ["h3:eth0", "s2"] },
      ],
    });
    await engine.up(l);
    const up = await engine.exportScript(name, "sh");
    const down = await engine.exportScript(name, "sh-down");
    expect(up).toMatch(/^ip netns add tl\..*\.h1$/m);
    expect(up).toMatch(/ovs-vsctl .*add-br/);
    await engine.down(name);
    expect(await leftoversAfterSettling(name)).toEqual([]);

    const dir = await tempStateDir();
    try {
      await writeFile(`${dir.dir}/up.sh`, up);
      await writeFile(`${dir.dir}/down.sh`, down);
      const built = await run(["bash", `${dir.dir}/up.sh`]);
      expect(built.stderr).toBe("");
      expect(built.code).toBe(0);
      expect(await pings(name, "h1", "10.8.0.3", { wait: 3 })).toBe(true);
      expect(await pings(name, "h1", "h2")).toBe(true);
      const removed = await run(["bash", `${dir.dir}/down.sh`]);
      expect(removed.code).toBe(0);
      expect(await leftoversAfterSettling(name)).toEqual([]);
    } finally {
      await run(["bash", `${dir.dir}/down.sh`]);
      await dir.remove();
    }
  });
});

describe("services", () => {
  const withService = (name: string, command: string[], extra: Record<string, unknown> = {}) =>
    lab({
      name,
      nodes: [
        { name: "a", kind: "host", interfaces: { eth0: { addresses: ["10.11.0.1/24"] } }, services: [{ type: "process", name: "sleeper", command }], ...extra },
        { name: "b", kind: "host" },
      ],
      links: [{ endpoints: ["a", "b"] }],
    });

  it("outlive the engine that started them, are adopted by the next one, restarted when gone or changed, stopped when removed", async () => {
    const name = uniqueLabName("sv");
    await engine.up(withService(name, ["sleep", "300"]));
    const first = (await engine.services.list(name)).find((s) => s.name === "sleeper")!;
    expect(first.status.state).toBe("running");
    const pid = (first.status as { pid: number }).pid;
    // a new engine (a new CLI run, a restarted server) finds it and leaves it alone
    const later = new Engine({ stateDir: state.dir });
    expect((await later.dryRun(withService(name, ["sleep", "300"]))).ops).toEqual([]);
    // killed behind topolab's back: up starts it again
    process.kill(-pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 100));
    const [st] = await later.status(name);
    expect(st!.nodes.find((n) => n.name === "a")!.services[0]).toMatchObject({ name: "sleeper", state: "exited" });
    const restarted = await later.up(withService(name, ["sleep", "300"]));
    expect(restarted.ops.map((o) => `${o.action} ${o.kind}`)).toEqual(["create proc"]);
    const second = (await later.services.list(name))[0]!.status as { state: string; pid: number };
    expect(second.state).toBe("running");
    expect(second.pid).not.toBe(pid);
    // a changed command restarts it; a removed service is stopped by PID
    const changed = await later.up(withService(name, ["sleep", "301"]));
    expect(changed.ops.map((o) => `${o.action} ${o.kind}`)).toEqual(["update proc"]);
    const third = (await later.services.list(name))[0]!.status as { pid: number };
    await later.up(withService(name, ["sleep", "301"], { services: [] }));
    expect((await later.services.list(name))[0]!.status.state).not.toBe("running");
    expect(alive(third.pid)).toBe(false);
  });

  it("a program that fails at once fails the change, with its own words, and leaves nothing", async () => {
    const name = uniqueLabName("sf");
    const error = await engine.up(withService(name, ["sh", "-c", "echo no such thing >&2; exit 3"])).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/sleeper on a exited at once \(code 3\): no such thing/);
    expect(await leftoversAfterSettling(name)).toEqual([]);
  });
});
