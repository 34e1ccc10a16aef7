// The five built-in templates, brought up with the CLI on the real kernel, each proving the
// behaviour its article describes; then the vlan-dhcp and nat labs rebuilt from their exported
// scripts alone. Every lab is taken down and shown to have left nothing: namespaces,
// interfaces, OVS bridges, NAT tables, processes.

import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { run, must, sleep } from "@topolab/engine";
import { inNode, leftoversAfterSettling, pings, tempStateDir, uniqueLabName } from "@topolab/engine/testing";
import { cliSession, repoRoot as root } from "./testing";

const cli = cliSession();
const topolab = cli.topolab;
const labs = cli.labs;
const state = {
  get dir() {
    return cli.stateDir();
  },
};

async function up(template: string, prefix: string): Promise<string> {
  const name = uniqueLabName(prefix);
  labs.add(name);
  const r = await topolab("up", join(root, "templates", `${template}.yaml`), "--name", name);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return name;
}

interface Status {
  nodes: {
    name: string;
    interfaces: { name: string; addresses: string[]; mac?: string; lease?: { address: string; server?: string } }[];
    services: { name: string; state: string }[];
  }[];
}

async function status(name: string): Promise<Status> {
  return JSON.parse((await topolab("status", name, "--json")).stdout) as Status;
}

/** Waits until a node's interface holds a DHCP lease. */
async function lease(name: string, node: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const iface = (await status(name)).nodes.find((n) => n.name === node)!.interfaces.find((i) => i.name === "eth0")!;
    if (iface.lease && iface.addresses.some((a) => a.startsWith(iface.lease!.address))) return { ...iface, lease: iface.lease };
    if (Date.now() > deadline) throw new Error(`${node} got no lease in ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** An HTTP GET from inside a node, in Node.js: the body, or the error code. */
async function httpGet(name: string, node: string, url: string): Promise<string> {
  const code = `require('http').get(${JSON.stringify(url)},{timeout:3000},r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>console.log('BODY '+b.trim()))}).on('error',e=>console.log('ERROR '+e.code)).on('timeout',function(){this.destroy(new Error('timeout'))})`;
  return (await inNode(name, node, [process.execPath, "-e", code])).stdout.trim();
}

beforeAll(() => cli.start());
afterEach(() => cli.downAll());
afterAll(() => cli.stop());

describe("templates", () => {
  it("ovs-pair: red pings green; the machine has no route to 10.0.0.0/24", async () => {
    const name = await up("ovs-pair", "op");
    expect(await pings(name, "red", "10.0.0.2")).toBe(true);
    expect(await pings(name, "green", "red")).toBe(true);
    expect((await run(["ip", "-j", "route", "show", "10.0.0.0/24"])).stdout.trim()).toBe("[]");
    const got = await run(["ip", "-j", "route", "get", "10.0.0.2"]);
    const { tag } = JSON.parse(await readFile(join(state.dir, "labs", name, "meta.json"), "utf8")) as { tag: string };
    expect(got.stdout).not.toContain(`"dev":"${tag}-`);
  });

  it("vlan-dhcp: leases from each tenant's own server at the same address, and no way across VLANs", async () => {
    const name = await up("vlan-dhcp", "vd");
    const red = await lease(name, "red");
    const green = await lease(name, "green");
    for (const l of [red, green]) {
      expect(l.lease.server).toBe("10.50.50.2");
      const last = Number(l.lease.address.split(".")[3]);
      expect(last).toBeGreaterThanOrEqual(10);
      expect(last).toBeLessThanOrEqual(100);
    }
    // both servers hold 10.50.50.2 at once
    const s = await status(name);
    for (const srv of ["dhcp-r", "dhcp-g"]) {
      const node = s.nodes.find((n) => n.name === srv)!;
      expect(node.interfaces[0]!.addresses).toContain("10.50.50.2/24");
      expect(node.services).toMatchObject([{ name: "dhcp", state: "running" }]);
    }
    // each dnsmasq answered its own tenant's client only
    const logR = (await topolab("logs", name, "dhcp-r", "dhcp")).stdout;
    const logG = (await topolab("logs", name, "dhcp-g", "dhcp")).stdout;
    expect(logR).toMatch(new RegExp(`DHCPACK\\(\\S+\\) ${red.lease.address} ${red.mac}`));
    expect(logR).not.toContain(green.mac!);
    expect(logG).toMatch(new RegExp(`DHCPACK\\(\\S+\\) ${green.lease.address} ${green.mac}`));
    expect(logG).not.toContain(red.mac!);
    // red reaches its server, not green
    expect(await pings(name, "red", "10.50.50.2")).toBe(true);
    expect(await pings(name, "red", green.lease.address, { wait: 1 })).toBe(false);
    // running up again changes nothing, and keeps the leases
    expect((await topolab("up", join(root, "templates/vlan-dhcp.yaml"), "--name", name)).stdout).toMatch(/nothing to change/);
  });

  it("routed: ns0 reaches ns1 through the router (TTL decremented), and not with its forwarding off", async () => {
    const name = await up("routed", "ro");
    const ping = await inNode(name, "ns0", ["ping", "-c", "1", "-W", "2", "10.1.20.2"]);
    expect(ping.stdout).toMatch(/ttl=63/);
    await must(["ip", "netns", "exec", `tl.${name}.r`, "sysctl", "-q", "-w", "net.ipv4.ip_forward=0"]);
    expect(await pings(name, "ns0", "10.1.20.2", { wait: 1 })).toBe(false);
    // up repairs the drift: forwarding is what the document asks for
    const again = await topolab("up", join(root, "templates/routed.yaml"), "--name", name);
    expect(again.stdout).toMatch(/0 created, 1 changed, 0 removed|1 created, 0 changed, 0 removed/);
    expect(await pings(name, "ns0", "ns1")).toBe(true);
  });

  it("nat: a host behind the gateway reaches the outside, which sees the gateway's address", async () => {
    const forwardingBefore = (await readFile("/proc/sys/net/ipv4/ip_forward", "utf8")).trim();
    // the "internet": a namespace of this test, joined to the machine by a veth
    const outside = `t${Math.random().toString(36).slice(2, 7)}out`;
    const rootEnd = `${outside}0`;
    await must(["ip", "netns", "add", outside]);
    try {
      await must(["ip", "link", "add", rootEnd, "type", "veth", "peer", "name", "eth0", "netns", outside]);
      await must(["ip", "addr", "add", "203.0.113.1/24", "dev", rootEnd]);
      await must(["ip", "link", "set", rootEnd, "up"]);
      await must(["ip", "-n", outside, "addr", "add", "203.0.113.2/24", "dev", "eth0"]);
      await must(["ip", "-n", outside, "link", "set", "eth0", "up"]);
      const name = await up("nat", "na");
      expect((await readFile("/proc/sys/net/ipv4/ip_forward", "utf8")).trim()).toBe("1");
      // a server on the outside logs who connects
      const port = 30000 + Math.floor(Math.random() * 10000);
      const server = run(
        [
          "ip",
          "netns",
          "exec",
          outside,
          process.execPath,
          "-e",
          `const s=require('net').createServer(c=>{console.log('FROM '+c.remoteAddress);c.end('hi');s.close()});s.listen(${port},'203.0.113.2');setTimeout(()=>process.exit(3),15000).unref()`,
        ],
        { timeoutMs: 20_000 },
      );
      await sleep(300);
      const client = await inNode(name, "ns01", [
        process.execPath,
        "-e",
        `require('net').connect(${port},'203.0.113.2').on('data',d=>{console.log('GOT '+d);process.exit(0)}).on('error',e=>{console.log('ERR '+e.code);process.exit(1)})`,
      ]);
      expect(client.stdout).toContain("GOT hi");
      expect((await server).stdout).toContain("FROM 203.0.113.1");
      expect(await pings(name, "ns02", "203.0.113.2")).toBe(true);
      await topolab("down", name);
      labs.delete(name);
      expect(await leftoversAfterSettling(name)).toEqual([]);
      expect((await readFile("/proc/sys/net/ipv4/ip_forward", "utf8")).trim()).toBe(forwardingBefore);
    } finally {
      await run(["ip", "netns", "del", outside]);
      await run(["ip", "link", "del", rootEnd]);
    }
  });

  it("mgmt-namespace: the service answers the management client only, though both ask 10.20.30.1", async () => {
    const name = await up("mgmt-namespace", "mg");
    const deadline = Date.now() + 10_000;
    let fromMgmt = "";
    while (Date.now() < deadline && !fromMgmt.startsWith("BODY")) {
      fromMgmt = await httpGet(name, "mgmt-client", "http://10.20.30.1:8080/");
      if (!fromMgmt.startsWith("BODY")) await sleep(200);
    }
    expect(fromMgmt).toBe("BODY management side of server");
    expect(await httpGet(name, "data-client", "http://10.20.30.1:8080/")).toBe("ERROR ECONNREFUSED");
    // both sides hold the same address, and each client reaches its own side
    expect(await pings(name, "data-client", "10.20.30.1")).toBe(true);
    expect(await pings(name, "mgmt-client", "10.20.30.1")).toBe(true);
    expect((await topolab("logs", name, "server-mgmt", "web")).stdout).toContain("10.20.30.20 GET /");
  });
});

describe("pingall", () => {
  it("prints Mininet's matrix for a 20-host lab in a few seconds, with --json", async () => {
    const name = uniqueLabName("pa");
    labs.add(name);
    expect((await topolab("up", "--topo", "single,20", "--name", name)).code).toBe(0);
    const started = Date.now();
    const r = await topolab("pingall", name);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("h1 -> h2 h3 h4");
    expect(r.stdout).toContain("*** Results: 0% dropped (380/380 received)");
    expect(Date.now() - started).toBeLessThan(30_000); // a sanity bound, not a speed target
    await must(["ip", "netns", "exec", `tl.${name}.h3`, "ip", "link", "set", "eth0", "down"]);
    const json = JSON.parse((await topolab("pingall", name, "--json")).stdout) as { received: number; pairs: { ok: boolean; from: string; to: string }[] };
    expect(json.received).toBe(380 - 38);
    expect(json.pairs.filter((p) => !p.ok).every((p) => p.from === "h3" || p.to === "h3")).toBe(true);
  });
});

describe("export with services", () => {
  it.each(["vlan-dhcp", "nat"])("%s: the exported script alone rebuilds the lab, and its teardown removes it", async (template) => {
    const name = await up(template, "ex");
    const script = (await topolab("export", name, "--format", "sh")).stdout;
    const teardown = (await topolab("export", name, "--format", "sh-down")).stdout;
    expect((await topolab("down", name)).code).toBe(0);
    labs.delete(name);
    expect(await leftoversAfterSettling(name)).toEqual([]);
    const dir = await tempStateDir();
    try {
      await writeFile(join(dir.dir, "up.sh"), script);
      await writeFile(join(dir.dir, "down.sh"), teardown);
      const built = await run(["bash", join(dir.dir, "up.sh")], { timeoutMs: 60_000 });
      expect(built.stderr).toBe("");
      expect(built.code).toBe(0);
      if (template === "vlan-dhcp") {
        // red gets a lease from its VLAN's server, and cannot reach green
        const deadline = Date.now() + 15_000;
        let addr = "";
        while (Date.now() < deadline && !addr) {
          const r = await inNode(name, "red", ["ip", "-4", "-o", "addr", "show", "dev", "eth0"]);
          addr = /inet (10\.50\.50\.\d+)\//.exec(r.stdout)?.[1] ?? "";
          if (!addr) await sleep(200);
        }
        expect(addr).toMatch(/^10\.50\.50\.\d+$/);
        expect(await pings(name, "red", "10.50.50.2")).toBe(true);
        expect(await readFile(`/run/topolab/${name}/dhcp-r/dhcp.log`, "utf8")).toContain("DHCPACK");
      } else {
        expect(await pings(name, "ns01", "192.168.100.254")).toBe(true);
        expect((await run(["nft", "list", "table", "ip", `topolab.${name}.gw`])).stdout).toContain("masquerade");
      }
      const removed = await run(["bash", join(dir.dir, "down.sh")], { timeoutMs: 60_000 });
      expect(removed.code).toBe(0);
      expect(await leftoversAfterSettling(name)).toEqual([]);
    } finally {
      await run(["bash", join(dir.dir, "down.sh")]);
      await dir.remove();
    }
  });
});
