// Issue 13 item 8, on the real kernel (as root): hosts that take their address by DHCP are
// reached by name. On the vlan-dhcp template red and green get leases; red pings its server
// dhcp-r by name; each tenant's server resolves (and pings) its leased host by name; a change
// that rewrites the hosts files keeps the leased names; `up` again finds no drift in them; a
// host whose DHCP client stops loses its name.

import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseLabText, type Lab } from "@topolab/topology";
import { inNode, pings, uniqueLabName } from "./testing";
import { engineSession } from "./testing-session";

const s = engineSession();

async function template(name: string): Promise<Lab> {
  const text = await readFile(join(import.meta.dirname, "../../../templates/vlan-dhcp.yaml"), "utf8");
  const parsed = parseLabText(text, { name });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.lab;
}

/** The node's leased IPv4 address on eth0, once it has one. */
async function leased(lab: string, node: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await inNode(lab, node, ["ip", "-4", "-o", "addr", "show", "dev", "eth0"]);
    const m = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(r.stdout);
    if (m) return m[1]!;
    if (Date.now() > deadline) throw new Error(`${node} got no lease: ${r.stdout}${r.stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What a node resolves a name to (glibc, through its /etc/hosts; not getaddrinfo, whose AI_ADDRCONFIG finds nothing on a node without an IPv4 address), or null. */
async function resolve(lab: string, node: string, name: string): Promise<string | null> {
  const r = await inNode(lab, node, ["getent", "hosts", name]);
  return r.code === 0 ? r.stdout.trim().split(/\s+/)[0]! : null;
}

async function resolvesTo(lab: string, node: string, name: string, want: string | null, timeoutMs = 5000): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  let got = await resolve(lab, node, name);
  while (got !== want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    got = await resolve(lab, node, name);
  }
  return got;
}

describe("names of leased addresses", () => {
  it("vlan-dhcp: red pings dhcp-r by name, each tenant's server reaches its leased host by name", async () => {
    const lab = await template(uniqueLabName("ad"));
    s.labs.add(lab.name);
    await s.engine.up(lab);
    // a shell of dhcp-r opened now, before red's lease is named: its /etc/hosts is a bind
    // mount of the node's file, which the names must reach (written in place)
    const early = spawn("ip", ["netns", "exec", `tl.${lab.name}.dhcp-r`, "sh", "-c", "read x; getent hosts red"], { stdio: ["pipe", "pipe", "inherit"] });
    const earlyOut = new Promise<string>((res) => {
      let out = "";
      early.stdout.on("data", (d: Buffer) => (out += d.toString()));
      early.on("close", () => res(out));
    });
    const red = await leased(lab.name, "red");
    const green = await leased(lab.name, "green");
    // before: "ping green" said "Temporary failure in name resolution"
    expect(await resolvesTo(lab.name, "dhcp-r", "red", red)).toBe(red);
    expect(await resolvesTo(lab.name, "dhcp-g", "green", green)).toBe(green);
    expect(await resolvesTo(lab.name, "red", "green", green)).toBe(green);
    expect(await pings(lab.name, "red", "dhcp-r")).toBe(true);
    expect(await pings(lab.name, "dhcp-r", "red")).toBe(true);
    expect(await pings(lab.name, "dhcp-g", "green")).toBe(true);
    // names, not reachability: green is another VLAN
    expect(await pings(lab.name, "red", "green", { wait: 1 })).toBe(false);

    // the shell opened earlier sees the name too
    early.stdin.end("go\n");
    expect((await earlyOut).trim().split(/\s+/)[0]).toBe(red);
    const hosts = await readFile(`/etc/netns/tl.${lab.name}.dhcp-r/hosts`, "utf8");
    expect(hosts).toContain(`${red}\tred\t# topolab-lease red eth0\n`);

    // up again: the leased names are no drift
    expect((await s.engine.dryRun(lab)).ops).toEqual([]);

    // a change that rewrites every hosts file keeps them
    const more = structuredClone(lab);
    more.nodes.push({ kind: "host", name: "extra", interfaces: {}, routes: [], services: [] });
    await s.engine.up(more);
    expect(await resolve(lab.name, "dhcp-r", "red")).toBe(red);
    expect(await readFile(`/etc/netns/tl.${lab.name}.extra/hosts`, "utf8")).toContain("topolab-lease green");
    expect(await resolve(lab.name, "extra", "green")).toBe(green);
    expect((await s.engine.dryRun(more)).ops).toEqual([]);

    // green takes a static address instead: its DHCP client stops and its leased name goes
    const fixed = structuredClone(more);
    const g = fixed.nodes.find((n) => n.name === "green")!;
    if (g.kind !== "host") throw new Error("green is a host");
    g.interfaces["eth0"] = { addresses: ["10.50.50.200/24"], up: true, mac: "02:00:00:00:02:00" };
    await s.engine.up(fixed);
    expect(await resolvesTo(lab.name, "dhcp-g", "green", "10.50.50.200")).toBe("10.50.50.200");
    expect(await readFile(`/etc/netns/tl.${lab.name}.dhcp-g/hosts`, "utf8")).not.toContain("topolab-lease green");
  });
});
