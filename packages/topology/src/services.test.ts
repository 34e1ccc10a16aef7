import { describe, expect, it } from "vitest";
import { validateLab, parseLab } from "./validate";
import { realize, type RealizeEnv } from "./realize";
import { plan } from "./plan";
import { natNftScript, natIptablesRules } from "./commands";
import { renderScript } from "./script";
import { fillTokens, DHCLIENT_SCRIPT } from "./services";
import type { Resource } from "./resources";

const env: RealizeEnv = { tag: "demo", ovsDatapath: "system", natBackend: "nft" };

const dhcpLab = (service: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  name: "demo",
  nodes: [
    { name: "s1", kind: "switch" },
    { name: "srv", kind: "host", interfaces: { eth0: { addresses: ["10.50.50.2/24"] } }, services: [service], ...extra },
    { name: "c1", kind: "host", interfaces: { eth0: { dhcp: true } } },
  ],
  links: [{ endpoints: ["srv:eth0", "s1"] }, { endpoints: ["c1:eth0", "s1"] }],
});

const issues = (input: unknown) => {
  const r = validateLab(input);
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
};

describe("DHCP servers", () => {
  it("accepts a range inside the interface's subnet and renders dnsmasq from parsed values", () => {
    const lab = parseLab(
      dhcpLab({ type: "dhcp-server", interface: "eth0", range: ["10.50.50.10", "10.50.50.100"], gateway: "10.50.50.1", dns: ["10.50.50.1"] }),
    );
    const proc = realize(lab, env).find((r) => r.kind === "proc" && r.node === "srv") as Extract<Resource, { kind: "proc" }>;
    expect(proc.name).toBe("dhcp");
    expect(proc.argv).toEqual([
      "dnsmasq",
      "--keep-in-foreground",
      "--conf-file=/dev/null",
      "--no-resolv",
      "--no-hosts",
      "--port=0",
      "--bind-interfaces",
      "--interface=eth0",
      "--except-interface=lo",
      "--dhcp-authoritative",
      "--dhcp-range=10.50.50.10,10.50.50.100,255.255.255.0,1h",
      "--dhcp-leasefile=@RUN@/dhcp.leases",
      "--pid-file=",
      "--log-dhcp",
      "--log-facility=-",
      "--user=root",
      "--dhcp-option=option:router,10.50.50.1",
      "--dhcp-option=option:dns-server,10.50.50.1",
    ]);
    // restarted when its interface or addresses are made again
    expect(proc.after).toEqual(["iface:tl.demo.srv/eth0", "addr:tl.demo.srv/eth0/10.50.50.2/24"]);
  });

  it("says where a range, lease, gateway or interface is wrong", () => {
    expect(issues(dhcpLab({ type: "dhcp-server", interface: "eth0", range: ["10.50.50.10", "10.60.0.5"] }))).toEqual([
      "nodes[1].services[0].range[1]: 10.60.0.5 is outside eth0's subnet 10.50.50.0/24",
    ]);
    expect(issues(dhcpLab({ type: "dhcp-server", interface: "eth0", range: ["10.9.0.1", "10.9.0.5"] }))).toEqual([
      "nodes[1].services[0].range[0]: 10.9.0.1 is outside eth0's subnet 10.50.50.0/24",
    ]);
    expect(issues(dhcpLab({ type: "dhcp-server", interface: "eth0", range: ["10.50.50.90", "10.50.50.10"] }))).toEqual([
      "nodes[1].services[0].range: the range starts at 10.50.50.90, after its end 10.50.50.10",
    ]);
    expect(issues(dhcpLab({ type: "dhcp-server", interface: "eth0", range: ["10.50.50.10", "x"], lease: "soon", gateway: "10.1.1.1" }))).toEqual([
      'nodes[1].services[0].range[1]: "x" is not an IPv4 address',
      'nodes[1].services[0].lease: "soon" is not a lease time (write it like 1h, 30m, 2d, or infinite)',
    ]);
    expect(issues(dhcpLab({ type: "dhcp-server", interface: "eth0", range: ["10.50.50.10", "10.50.50.20"], gateway: "10.1.1.1" }))).toEqual([
      "nodes[1].services[0].gateway: 10.1.1.1 is outside eth0's subnet 10.50.50.0/24",
    ]);
    expect(issues(dhcpLab({ type: "dhcp-server", interface: "eth1", range: ["10.50.50.10", "10.50.50.20"] }))).toEqual([
      "nodes[1].services[0].interface: srv has no link on eth1",
    ]);
    expect(
      issues({
        ...dhcpLab({ type: "dhcp-server", interface: "eth0", range: ["10.50.50.10", "10.50.50.20"] }),
        nodes: [
          { name: "s1", kind: "switch" },
          { name: "srv", kind: "host", services: [{ type: "dhcp-server", interface: "eth0", range: ["10.50.50.10", "10.50.50.20"] }] },
          { name: "c1", kind: "host" },
        ],
      }),
    ).toEqual(["nodes[1].services[0].interface: a DHCP server needs a static IPv4 address on eth0: it serves that subnet"]);
  });

  it("gives DHCP clients a dhclient with topolab's own script, and lets their routes use DHCP gateways", () => {
    const lab = parseLab({
      ...dhcpLab({ type: "dhcp-server", interface: "eth0", range: ["10.50.50.10", "10.50.50.20"] }),
      nodes: [
        { name: "s1", kind: "switch" },
        {
          name: "srv",
          kind: "host",
          interfaces: { eth0: { addresses: ["10.50.50.2/24"] } },
          services: [{ type: "dhcp-server", interface: "eth0", range: ["10.50.50.10", "10.50.50.20"] }],
        },
        { name: "c1", kind: "host", interfaces: { eth0: { dhcp: true } }, routes: [{ to: "10.9.0.0/16", via: "10.50.50.1" }] },
      ],
    });
    const client = realize(lab, env).find((r) => r.kind === "proc" && r.node === "c1") as Extract<Resource, { kind: "proc" }>;
    expect(client.name).toBe("dhclient-eth0");
    expect(client.argv).toEqual([
      "dhclient",
      "-d",
      "-4",
      "-v",
      "-pf",
      "@RUN@/dhclient-eth0.dhclient.pid",
      "-lf",
      "@RUN@/dhclient-eth0.leases",
      "-sf",
      "@DHCLIENT_SCRIPT@",
      "-cf",
      "@DHCLIENT_CONF@",
      "eth0",
    ]);
    expect(fillTokens(client.argv, { run: "/r", dhclientScript: "/s" }).slice(5, 10)).toEqual([
      "/r/dhclient-eth0.dhclient.pid",
      "-lf",
      "/r/dhclient-eth0.leases",
      "-sf",
      "/s",
    ]);
    expect(DHCLIENT_SCRIPT).not.toContain("resolv.conf >");
    expect(DHCLIENT_SCRIPT).toContain('ip -4 addr replace "$new_ip_address/');
  });
});

describe("processes", () => {
  const proc = (svc: Record<string, unknown>) => dhcpLab(svc);
  it("keeps the command as an argument vector, never a shell line", () => {
    const lab = parseLab(proc({ type: "process", name: "web", command: ["python3", "-m", "http.server", "8080"], env: { A: "1" } }));
    const r = realize(lab, env).find((x) => x.kind === "proc" && x.name === "web") as Extract<Resource, { kind: "proc" }>;
    expect(r.argv).toEqual(["python3", "-m", "http.server", "8080"]);
    expect(r.env).toEqual({ A: "1" });
  });
  it("refuses an empty command, duplicate names, bad env names and names made for files", () => {
    expect(issues(proc({ type: "process", name: "web", command: [] }))).toEqual(["nodes[1].services[0].command: needs at least the program to run"]);
    expect(issues(proc({ type: "process", name: "Web Server", command: ["x"] }))[0]).toMatch(/^nodes\[1\]\.services\[0\]\.name: "Web Server" may hold only/);
    expect(issues(proc({ type: "process", name: "w", command: ["x"], env: { "1X": "y" } }))).toEqual([
      'nodes[1].services[0].env["1X"]: "1X" is not an environment variable name',
    ]);
    expect(
      issues({
        ...dhcpLab({}),
        nodes: [
          { name: "s1", kind: "switch" },
          {
            name: "srv",
            kind: "host",
            services: [
              { type: "process", name: "a", command: ["x"] },
              { type: "process", name: "a", command: ["y"] },
            ],
          },
          { name: "c1", kind: "host" },
        ],
      }),
    ).toEqual(['nodes[1].services[1].name: "a" is already the name of services[0]']);
  });
  it("restarts a service whose command changed, and only that", () => {
    const a = realize(parseLab(proc({ type: "process", name: "web", command: ["sleep", "100"] })), env);
    const b = realize(parseLab(proc({ type: "process", name: "web", command: ["sleep", "200"] })), env);
    const p = plan(b, { resources: a });
    expect(p.ops.map((o) => `${o.action} ${o.key}`)).toEqual(["update proc:tl.demo.srv/web"]);
    expect(p.ops[0]!.commands.map((c) => c.tool)).toEqual(["stop", "start"]);
  });
});

describe("NAT gateways", () => {
  const natLab = (gw: Record<string, unknown>, links = [{ endpoints: ["gw:eth0", "s1"] }]) => ({
    name: "demo",
    nodes: [
      { name: "s1", kind: "switch" },
      { name: "gw", kind: "nat", ...gw },
      { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["192.168.100.1/24"] } } },
      { name: "h2", kind: "host", interfaces: { eth0: { addresses: ["192.168.100.2/24"] } }, routes: [{ to: "default", via: "192.168.100.1" }] },
    ],
    links: [...links, { endpoints: ["h1:eth0", "s1"] }, { endpoints: ["h2:eth0", "s1"] }],
  });

  it("puts the gateway address in the root namespace, masquerades its subnet, and routes hosts without a default through it", () => {
    const lab = parseLab(natLab({ interfaces: { eth0: { addresses: ["192.168.100.254/24"] } } }));
    const res = realize(lab, env);
    expect(res.find((r) => r.kind === "addr" && r.ns === null)).toMatchObject({ dev: "demo-gw-eth0", cidr: "192.168.100.254/24" });
    const nat = res.find((r) => r.kind === "nat") as Extract<Resource, { kind: "nat" }>;
    expect(nat).toMatchObject({ iface: "demo-gw-eth0", subnets: ["192.168.100.0/24"], backend: "nft" });
    expect(natNftScript(nat)).toContain('ip saddr 192.168.100.0/24 oifname != "demo-gw-eth0" masquerade');
    expect(natNftScript(nat)).toMatch(/^table ip topolab\.demo\.gw \{/);
    expect(natIptablesRules({ ...nat, backend: "iptables" })[0]!.args).toEqual([
      "-s",
      "192.168.100.0/24",
      "!",
      "-o",
      "demo-gw-eth0",
      "-m",
      "comment",
      "--comment",
      "topolab:demo:nat:gw",
      "-j",
      "MASQUERADE",
    ]);
    // h1 has no default route: it gets one via the gateway; h2 keeps its own
    expect(res.find((r) => r.key === "route:tl.demo.h1/0.0.0.0/0")).toMatchObject({ via: "192.168.100.254" });
    expect(res.find((r) => r.key === "route:tl.demo.h2/0.0.0.0/0")).toMatchObject({ via: "192.168.100.1" });
    // defaultRoute: false leaves the hosts alone
    const quiet = realize(parseLab(natLab({ interfaces: { eth0: { addresses: ["192.168.100.254/24"] } }, defaultRoute: false })), env);
    expect(quiet.find((r) => r.key === "route:tl.demo.h1/0.0.0.0/0")).toBeUndefined();
    expect(plan(res, { resources: res }).ops).toEqual([]);
  });

  it("refuses a NAT gateway without a link, with two, or without an IPv4 gateway address", () => {
    expect(issues(natLab({ interfaces: {} }, []))).toEqual([
      "nodes[1]: the NAT gateway gw has no link: link it to the switch (or host) whose hosts it lets out",
    ]);
    expect(issues(natLab({}, [{ endpoints: ["gw:eth0", "s1"] }, { endpoints: ["gw:eth1", "h1"] }]))[0]).toMatch(/^nodes\[1\]: the NAT gateway gw has 2 links/);
    expect(issues(natLab({}))).toEqual([
      "nodes[1].interfaces: the NAT gateway gw needs an IPv4 address on eth0: the gateway address of the hosts behind it, e.g. {eth0: {addresses: [192.168.100.254/24]}}",
    ]);
    expect(issues(natLab({ interfaces: { eth0: { addresses: ["fd00::1/64"] } } }))[0]).toBe(
      "nodes[1].interfaces.eth0.addresses[0]: a NAT gateway's addresses are IPv4 (it masquerades IPv4)",
    );
  });
});

describe("export with services", () => {
  it("starts services in the background with a pid file, and writes the DHCP client's script first", () => {
    const lab = parseLab(dhcpLab({ type: "dhcp-server", interface: "eth0", range: ["10.50.50.10", "10.50.50.20"] }));
    const text = renderScript(plan(realize(lab, env), { resources: [] }).ops, { lab: "demo", title: "t", usesOvs: true, strict: true });
    expect(text).toContain("cat > /run/topolab/dhclient-script <<'EOF'");
    expect(text).toMatch(
      /^ip netns exec tl\.demo\.srv dnsmasq .*--dhcp-leasefile=\/run\/topolab\/demo\/srv\/dhcp\.leases .*>\/run\/topolab\/demo\/srv\/dhcp\.log 2>&1 &$/m,
    );
    expect(text).toContain("echo $! >/run/topolab/demo/srv/dhcp.pid");
    expect(text.indexOf("dnsmasq")).toBeGreaterThan(text.indexOf("addr replace 10.50.50.2/24"));
  });
});
