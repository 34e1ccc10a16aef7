// Export: a lab as a standalone bash script of plain `ip`, `tc`, `ovs-vsctl` and `sysctl`
// commands, the teaching view of what topolab does (and its teardown twin).
//
// Knows: how a planned operation's commands read as shell lines, in the order the engine
// runs them, and how to quote every argument. Leaves to others: what to do (plan.ts).

import type { Command } from "./commands";
import { DHCLIENT_CONF, DHCLIENT_SCRIPT, DHCLIENT_SCRIPT_TOKEN, dhclientConfPath, fillTokens } from "./services";
import type { Op } from "./plan";

/** Stands for the OVS datapath in realize() when exporting; the script picks it at run time. */
export const OVS_DATAPATH_VAR = "\u0000OVS_DATAPATH\u0000";

const SAFE = /^[A-Za-z0-9_.:/=,@%+^-]+$/;

export function shellQuote(arg: string): string {
  if (arg.includes(OVS_DATAPATH_VAR))
    return `"${arg
      .split(OVS_DATAPATH_VAR)
      .map((p) => p.replace(/(["\\$`])/g, "\\$1"))
      .join("${OVS_DATAPATH}")}"`;
  if (arg !== "" && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

const line = (argv: string[]) => argv.map(shellQuote).join(" ");

/** One command as the shell line(s) it amounts to (also used by the server's command log). */
export function commandToShell(c: Command): string {
  const ignore = (s: string) => (c.missingOk ? `${s} 2>/dev/null || true` : s);
  switch (c.tool) {
    case "ip":
    case "tc":
      return ignore(line([c.tool, ...(c.ns ? ["-n", c.ns] : []), ...c.args]));
    case "ovs-vsctl":
      return line(["ovs-vsctl", ...c.args]);
    case "exec":
      return ignore(line([...(c.ns ? ["ip", "netns", "exec", c.ns] : []), ...c.argv]));
    case "write": {
      const sys = /^\/proc\/sys\/(.+)$/.exec(c.path);
      // a sysctl (a root-side port without IPv6): dots in an interface name force the slash form
      if (sys) return line(["sysctl", "-qw", `${sys[1]!.includes(".") ? sys[1] : sys[1]!.replaceAll("/", ".")}=${c.content.trim()}`]);
      const dir = c.path.slice(0, c.path.lastIndexOf("/"));
      let tag = "EOF";
      while (c.content.includes(tag)) tag += "_";
      return `mkdir -p ${shellQuote(dir)}\ncat > ${shellQuote(c.path)} <<'${tag}'\n${c.content.replace(/\n$/, "")}\n${tag}`;
    }
    case "remove":
      return line(["rm", "-rf", "--", c.path]);
    case "killns":
      return `ip netns pids ${shellQuote(c.ns)} 2>/dev/null | xargs -r kill 2>/dev/null || true`;
    case "start": {
      const run = exportRunDir(c.lab, c.node);
      const argv = fillTokens(c.argv, { run, dhclientScript: EXPORT_DHCLIENT_SCRIPT });
      const env = Object.entries(c.env ?? {}).map(([k, v]) => `${k}=${shellQuote(v)}`);
      return [
        `mkdir -p ${shellQuote(run)}`,
        `ip netns exec ${shellQuote(c.ns)} ${env.length ? `env ${env.join(" ")} ` : ""}${line(argv)} >${shellQuote(`${run}/${c.name}.log`)} 2>&1 &`,
        `echo $! >${shellQuote(`${run}/${c.name}.pid`)}`,
      ].join("\n");
    }
    case "stop": {
      const pid = `${exportRunDir(c.lab, c.node)}/${c.name}.pid`;
      return `[ -f ${shellQuote(pid)} ] && kill "$(cat ${shellQuote(pid)})" 2>/dev/null; rm -f ${shellQuote(pid)}`;
    }
    case "nft":
      return `nft -f - <<'EOF'\n${c.script.replace(/\n$/, "")}\nEOF`;
  }
}

/** Where an exported script keeps a service's pid file and log. */
export function exportRunDir(lab: string, node: string): string {
  return `/run/topolab/${lab}/${node}`;
}

const EXPORT_DHCLIENT_SCRIPT = "/run/topolab/dhclient-script";

/** The operations' commands in run order, each run of ovs-vsctl sub-commands joined into one transaction. */
export function opsToShell(ops: Op[]): string[] {
  const flat = ops.flatMap((op, i) => op.commands.map((c) => ({ op, i, c })));
  flat.sort((a, b) => a.c.stage - b.c.stage || a.i - b.i);
  const out: string[] = [];
  let lastOp = -1;
  let ovs: string[] | null = null;
  const flush = () => {
    if (ovs) out.push(line(["ovs-vsctl", ...ovs]));
    ovs = null;
  };
  for (const { op, i, c } of flat) {
    if (i !== lastOp) {
      flush();
      out.push(`# ${op.summary}`);
      lastOp = i;
    }
    if (c.tool === "ovs-vsctl") (ovs ??= []).push("--", ...c.args);
    else {
      flush();
      out.push(commandToShell(c));
    }
  }
  flush();
  return out;
}

export interface ScriptOptions {
  lab: string;
  title: string;
  /** whether OVS commands appear (the datapath detection is printed only then) */
  usesOvs: boolean;
  /** stop at the first failing command (creation); teardown goes on */
  strict: boolean;
  /** lines after the body (e.g. the machine-wide settings a lab needs, said plainly) */
  tail?: string[];
}

export function renderScript(ops: Op[], options: ScriptOptions): string {
  const head = [
    "#!/usr/bin/env bash",
    `# ${options.title}`,
    `# Lab "${options.lab}", exported by topolab. Run as root. Plain ip, tc, ovs-vsctl and sysctl (no topolab).`,
    options.strict ? "set -euo pipefail" : "set -uo pipefail",
  ];
  if (options.usesOvs) {
    head.push(
      "# Open vSwitch datapath: the kernel module when there is one, else the userspace datapath.",
      "OVS_DATAPATH=${OVS_DATAPATH:-$(if [ -d /sys/module/openvswitch ] || modprobe -q openvswitch 2>/dev/null; then echo system; else echo netdev; fi)}",
    );
  }
  const body = opsToShell(ops);
  const needsDhclient = ops.some((o) => o.commands.some((c) => c.tool === "start" && c.argv.includes(DHCLIENT_SCRIPT_TOKEN)));
  if (needsDhclient) {
    head.push(
      "# the DHCP clients' script: sets the leased address and default route, nothing else",
      `mkdir -p /run/topolab && cat > ${EXPORT_DHCLIENT_SCRIPT} <<'EOF'\n${DHCLIENT_SCRIPT.replace(/\n$/, "")}\nEOF`,
      `chmod +x ${EXPORT_DHCLIENT_SCRIPT}`,
      "# and its configuration: keep asking for a lease, a few seconds apart",
      `cat > ${dhclientConfPath(EXPORT_DHCLIENT_SCRIPT)} <<'EOF'\n${DHCLIENT_CONF.replace(/\n$/, "")}\nEOF`,
    );
  }
  return [...head, "", ...(body.length ? body : ["# nothing to do"]), ...(options.tail?.length ? ["", ...options.tail] : []), ""].join("\n");
}
