import { describe, expect, it } from "vitest";
import { commandToShell, opsToShell, OVS_DATAPATH_VAR, renderScript, shellQuote } from "./script";
import { Stage, type Command } from "./commands";
import { plan, type Op } from "./plan";
import { realize } from "./realize";
import { parseLab } from "./validate";

const redOnOvs = () =>
  parseLab({
    name: "demo",
    nodes: [
      { name: "red", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } },
      { name: "ovs1", kind: "switch" },
    ],
    links: [{ endpoints: ["red", "ovs1"], vlan: 100 }],
  });

const exportEnv = { tag: "demo", ovsDatapath: OVS_DATAPATH_VAR };

describe("shellQuote", () => {
  it.each([
    ["eth0", "eth0"],
    ["tl.demo.h1", "tl.demo.h1"],
    ["10.0.0.1/24", "10.0.0.1/24"],
    ["external_ids:topolab-lab=demo", "external_ids:topolab-lab=demo"],
    ["trunks=10,20", "trunks=10,20"],
    ["fd00::1/64", "fd00::1/64"],
    ["-n", "-n"],
    ["", "''"],
    ["a b", "'a b'"],
    ["topolab:demo:link:h1:eth0|s1:eth1", "'topolab:demo:link:h1:eth0|s1:eth1'"],
    ["$HOME", "'$HOME'"],
    ["it's", "'it'\\''s'"],
    ["a;rm -rf /", "'a;rm -rf /'"],
    ["`x`", "'`x`'"],
    ["*", "'*'"],
    ["~", "'~'"],
    ["a\nb", "'a\nb'"],
  ])("%j -> %s", (arg, quoted) => {
    expect(shellQuote(arg)).toBe(quoted);
  });

  it("renders the OVS datapath placeholder as ${OVS_DATAPATH}, escaping the rest for double quotes", () => {
    expect(shellQuote(`datapath_type=${OVS_DATAPATH_VAR}`)).toBe('"datapath_type=${OVS_DATAPATH}"');
    expect(shellQuote(`a"b$c\`d\\e${OVS_DATAPATH_VAR}f`)).toBe('"a\\"b\\$c\\`d\\\\e${OVS_DATAPATH}f"');
  });
});

describe("commandToShell", () => {
  const cases: [Command, string][] = [
    [{ tool: "ip", ns: null, args: ["netns", "add", "tl.demo.h1"], stage: Stage.netns }, "ip netns add tl.demo.h1"],
    [
      { tool: "ip", ns: "tl.demo.h1", args: ["addr", "replace", "10.0.0.1/24", "dev", "eth0"], stage: Stage.configure },
      "ip -n tl.demo.h1 addr replace 10.0.0.1/24 dev eth0",
    ],
    [
      { tool: "ip", ns: "tl.demo.h1", args: ["addr", "del", "10.0.0.1/24", "dev", "eth0"], stage: Stage.delInside, missingOk: true },
      "ip -n tl.demo.h1 addr del 10.0.0.1/24 dev eth0 2>/dev/null || true",
    ],
    [
      { tool: "tc", ns: null, args: ["qdisc", "del", "dev", "x", "root"], stage: Stage.delInside, missingOk: true },
      "tc qdisc del dev x root 2>/dev/null || true",
    ],
    [{ tool: "ovs-vsctl", args: ["--may-exist", "add-br", "demo-s1"], stage: Stage.ovs }, "ovs-vsctl --may-exist add-br demo-s1"],
    [
      { tool: "exec", ns: "tl.demo.r", argv: ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"], stage: Stage.extras },
      "ip netns exec tl.demo.r sysctl -q -w net.ipv4.ip_forward=1",
    ],
    [{ tool: "exec", ns: null, argv: ["ethtool", "-K", "demo-s1-eth1", "tx", "off"], stage: Stage.extras }, "ethtool -K demo-s1-eth1 tx off"],
    [{ tool: "remove", path: "/etc/netns/tl.demo.h1", stage: Stage.delNetns }, "rm -rf -- /etc/netns/tl.demo.h1"],
    [{ tool: "killns", ns: "tl.demo.h1", stage: Stage.delInside }, "ip netns pids tl.demo.h1 2>/dev/null | xargs -r kill 2>/dev/null || true"],
    [
      { tool: "write", path: "/etc/netns/tl.demo.h1/hosts", content: "a\nb\n", stage: Stage.extras },
      "mkdir -p /etc/netns/tl.demo.h1\ncat > /etc/netns/tl.demo.h1/hosts <<'EOF'\na\nb\nEOF",
    ],
  ];
  it.each(cases)("%j", (c, shell) => {
    expect(commandToShell(c)).toBe(shell);
  });

  it("a heredoc's end marker never occurs in the content", () => {
    const c: Command = { tool: "write", path: "/x/y", content: "EOF\nEOF_\n", stage: Stage.extras };
    expect(commandToShell(c)).toBe("mkdir -p /x\ncat > /x/y <<'EOF__'\nEOF\nEOF_\nEOF__");
  });
});

describe("opsToShell", () => {
  it("orders by stage, comments each op, and joins an op's OVS commands into one transaction", () => {
    const ops: Op[] = [
      {
        action: "create",
        kind: "ovsBridge",
        key: "ovsBridge:b",
        summary: "create OVS bridge b",
        commands: [
          { tool: "ovs-vsctl", args: ["--may-exist", "add-br", "b"], stage: Stage.ovs },
          { tool: "ovs-vsctl", args: ["set", "Bridge", "b", "stp_enable=false"], stage: Stage.ovs },
        ],
      },
      {
        action: "create",
        kind: "netns",
        key: "netns:n",
        summary: "create namespace n",
        commands: [{ tool: "ip", ns: null, args: ["netns", "add", "n"], stage: Stage.netns }],
      },
      {
        action: "delete",
        kind: "addr",
        key: "addr:x",
        summary: "delete address",
        commands: [{ tool: "ip", ns: "n", args: ["addr", "del", "1.2.3.4/24", "dev", "eth0"], stage: Stage.delInside, missingOk: true }],
      },
    ];
    expect(opsToShell(ops)).toEqual([
      "# delete address",
      "ip -n n addr del 1.2.3.4/24 dev eth0 2>/dev/null || true",
      "# create namespace n",
      "ip netns add n",
      "# create OVS bridge b",
      "ovs-vsctl -- --may-exist add-br b -- set Bridge b stp_enable=false",
    ]);
    expect(opsToShell([])).toEqual([]);
  });
});

describe("renderScript", () => {
  it("brings a lab up with plain ip and ovs-vsctl lines, in order", () => {
    const ops = plan(realize(redOnOvs(), exportEnv), { resources: [] }).ops;
    const script = renderScript(ops, { lab: "demo", title: "Bring up lab demo", usesOvs: true, strict: true });
    const lines = script.split("\n");
    expect(lines.slice(0, 6)).toEqual([
      "#!/usr/bin/env bash",
      "# Bring up lab demo",
      '# Lab "demo", exported by topolab. Run as root. Plain ip, tc, ovs-vsctl and sysctl (no topolab).',
      "set -euo pipefail",
      "# Open vSwitch datapath: the kernel module when there is one, else the userspace datapath.",
      "OVS_DATAPATH=${OVS_DATAPATH:-$(if [ -d /sys/module/openvswitch ] || modprobe -q openvswitch 2>/dev/null; then echo system; else echo netdev; fi)}",
    ]);
    const commands = lines.filter((l) => l && !l.startsWith("#"));
    expect(commands.slice(0, 2)).toEqual(["set -euo pipefail", lines[5]]);
    expect(commands.slice(2, 10)).toEqual([
      "ip netns add tl.demo.red",
      "ip link add name eth0 netns tl.demo.red type veth peer name demo-ovs1-eth1",
      "ip link set dev demo-ovs1-eth1 alias 'topolab:demo:link:ovs1:eth1|red:eth0'",
      "ip link set dev demo-ovs1-eth1 alias 'topolab:demo:link:ovs1:eth1|red:eth0' mtu 1500 up",
      'ovs-vsctl -- --may-exist add-br demo-ovs1 -- set Bridge demo-ovs1 "datapath_type=${OVS_DATAPATH}" stp_enable=false other_config:disable-in-band=true external_ids:topolab-lab=demo external_ids:topolab-node=ovs1',
      "ovs-vsctl -- --may-exist add-port demo-ovs1 demo-ovs1-eth1 tag=100 -- set Port demo-ovs1-eth1 external_ids:topolab-lab=demo",
      "ip -n tl.demo.red link set dev lo up",
      "ip -n tl.demo.red link set dev eth0 alias 'topolab:demo:link:ovs1:eth1|red:eth0' mtu 1500 up",
    ]);
    expect(commands).toContain("ip -n tl.demo.red addr replace 10.0.0.1/24 dev eth0");
    expect(script).toContain("# create namespace tl.demo.red (node red)\nip netns add tl.demo.red\n");
    expect(script).toContain(
      "cat > /etc/netns/tl.demo.red/hosts <<'EOF'\n# /etc/hosts of lab demo, written by topolab (edits are overwritten)\n127.0.0.1\tlocalhost\n",
    );
    // the placeholder never leaks into the script
    expect(script).not.toContain("\u0000");
    expect(script.endsWith("EOF\n")).toBe(true);
  });

  it("tears a lab down without stopping at errors", () => {
    const ops = plan([], { resources: realize(redOnOvs(), exportEnv) }).ops;
    const script = renderScript(ops, { lab: "demo", title: "Tear down lab demo", usesOvs: false, strict: false });
    expect(script).toBe(
      [
        "#!/usr/bin/env bash",
        "# Tear down lab demo",
        '# Lab "demo", exported by topolab. Run as root. Plain ip, tc, ovs-vsctl and sysctl (no topolab).',
        "set -uo pipefail",
        "",
        "# delete namespace tl.demo.red (node red)",
        "ip netns pids tl.demo.red 2>/dev/null | xargs -r kill 2>/dev/null || true",
        "# delete OVS bridge demo-ovs1 (switch ovs1)",
        "ovs-vsctl -- --if-exists del-br demo-ovs1",
        "# delete namespace tl.demo.red (node red)",
        "ip netns del tl.demo.red 2>/dev/null || true",
        "rm -rf -- /etc/netns/tl.demo.red",
        "",
      ].join("\n"),
    );
  });

  it("says so when there is nothing to do", () => {
    expect(renderScript([], { lab: "x", title: "Nothing", usesOvs: false, strict: true })).toBe(
      [
        "#!/usr/bin/env bash",
        "# Nothing",
        '# Lab "x", exported by topolab. Run as root. Plain ip, tc, ovs-vsctl and sysctl (no topolab).',
        "set -euo pipefail",
        "",
        "# nothing to do",
        "",
      ].join("\n"),
    );
  });
});
