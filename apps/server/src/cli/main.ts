// The topolab command line: up, down, status, exec, shell, export, validate, clean, caps.
//
// Knows: the commands, their options and exit codes, and how errors read on a terminal.
// Leaves to others: all the work (engine) and the rules (topology).

import { Command, CommanderError } from "commander";
import { ApplyError, ConflictError, Engine, LockError, NotFoundError, shellSpec, ensureOvsRunning, forgetCapabilities } from "@topolab/engine";
import { capabilityIssues, formatIssue, labJsonSchema, labToJson, labToYaml, LabValidationError } from "@topolab/topology";
import { nodeLine, pingFull, pingMatrix, planListing, summaryLine } from "./format";
import { FileProblems, loadLab, UsageError } from "./load";
import { progressLine } from "./progress";
import { attach, execCommand, statusCommand } from "./quick";
import { registerServe } from "./serve";
import { VERSION } from "../version";
import { registerLive } from "./live";
import { registerExercise } from "./exercise";
import { registerCapture } from "./capture";
import { registerTrace } from "./trace";

const out = (text: string) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
const err = (text: string) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);

function engine(verbose: boolean): Engine {
  return new Engine({
    ...(verbose ? { log: (e) => err(`${e.ok ? "  ok " : " ERR "} ${e.command}${e.error ? `\n      ${e.error}` : ""}`) } : {}),
  });
}

export function program(): Command {
  const p = new Command("topolab")
    .description("A network lab of namespaces, veth pairs and Open vSwitch, from a lab file or a drawing")
    .version(VERSION, "-V, --version", "print topolab's version")
    .enablePositionalOptions()
    .showHelpAfterError()
    .configureOutput({ writeOut: out, writeErr: err });

  p.command("up")
    .description("bring a lab up, or apply the changes made to its file (idempotent)")
    .argument("[file]", "lab file (YAML or JSON)")
    .option("--topo <spec>", "a Mininet topology instead of a file: minimal, single,N, linear,N, tree,DEPTH,FANOUT")
    .option("--name <lab>", "lab name (overrides the file's)")
    .option("--dry-run", "print the commands it would run, and run none")
    .option("-v, --verbose", "print every kernel command as it runs")
    .option("--json", "print the result as JSON")
    .action(async (file: string | undefined, o: { topo?: string; name?: string; dryRun?: boolean; verbose?: boolean; json?: boolean }) => {
      const e = engine(!!o.verbose);
      // the capabilities probe (an ovs-vsctl, 6 to 14 ms) runs while the lab is read and checked;
      // its answer is kept for the engine, a failure is probed again there
      void e.capabilities().catch(() => null);
      const { lab, source } = await loadLab(file, o);
      await ensureOvsIfNeeded(
        e,
        lab.nodes.some((n) => n.kind === "switch" && n.type === "ovs"),
      );
      if (o.dryRun) {
        const plan = await e.dryRun(lab);
        out(o.json ? JSON.stringify(plan, null, 2) : planListing(plan.ops));
        return;
      }
      const started = performance.now();
      // a line counting what is made so far, on a terminal (a 1,000-node lab takes seconds)
      const progress = !o.verbose && !o.json && process.stderr.isTTY ? progressLine(process.stderr, "up", lab.name) : null;
      const result = await (progress ? new Engine({ log: progress.log }) : e).up(lab, { source, origin: true }).finally(() => progress?.done());
      const seconds = (performance.now() - started) / 1000;
      if (o.json) {
        out(JSON.stringify({ lab: result.lab, summary: result.summary, seconds, ops: result.ops.map((x) => x.summary) }, null, 2));
        return;
      }
      out(summaryLine(lab.name, result.summary, seconds));
      if (!result.unchanged) {
        out(nodeLine(lab));
        const host = lab.nodes.find((n) => n.kind !== "switch");
        if (host) out(`try: topolab shell ${lab.name} ${host.name}   ·   topolab status ${lab.name}`);
      }
    });

  p.command("down")
    .description("remove every kernel object of a lab")
    .argument("<lab>")
    .option("--keep", "keep the lab's document in the state directory")
    .option("-v, --verbose", "print every kernel command as it runs")
    .action(async (lab: string, o: { keep?: boolean; verbose?: boolean }) => {
      const started = performance.now();
      const progress = !o.verbose && process.stderr.isTTY ? progressLine(process.stderr, "down", lab) : null;
      const r = await (progress ? new Engine({ log: progress.log }) : engine(!!o.verbose))
        .down(lab, o.keep ? { keep: true } : {})
        .finally(() => progress?.done());
      if (r.leftAlone)
        err(`topolab: ${r.leftAlone}; its kernel objects were left alone, only this state directory's document was ${o.keep ? "marked stopped" : "removed"}`);
      out(`lab ${lab}: removed (${((performance.now() - started) / 1000).toFixed(2)} s)`);
    });

  p.command("status")
    .description("list labs, or one lab's nodes, interfaces and addresses as the kernel has them")
    .argument("[lab]")
    .option("--json", "print JSON")
    .action(async (lab: string | undefined, o: { json?: boolean }) => {
      await statusCommand(lab, o);
    });

  p.command("exec")
    .description("run a command inside a node; prints its output and exits with its code")
    .argument("<lab>")
    .argument("<node>")
    .argument("<command...>", "the command and its arguments (put -- before it)")
    .passThroughOptions()
    .action(async (lab: string, node: string, command: string[]) => {
      process.exitCode = await execCommand(lab, node, command);
    });

  p.command("shell")
    .description("open an interactive shell inside a node (the prompt names the node)")
    .argument("<lab>")
    .argument("<node>")
    .action(async (lab: string, node: string) => {
      const e = engine(false);
      const ns = await e.nodeNamespace(lab, node);
      const spec = await shellSpec(e.state.dir, lab, node, ns);
      process.exitCode = await attach(spec.argv, { ...process.env, ...spec.env }, spec.cwd);
    });

  p.command("pingall")
    .description("Mininet's pingall: every host pings every other; prints the reachability matrix and the loss")
    .argument("<lab>")
    .option("--timeout <seconds>", "how long each ping waits", "1")
    .option("--json", "print JSON (each pair with fping's lines for it)")
    .option("--full", "one line per pair with its replies, round trips and loss (Mininet's pingallfull)")
    .action(async (lab: string, o: { timeout: string; json?: boolean; full?: boolean }) => {
      const timeoutSeconds = Number(o.timeout);
      if (!(timeoutSeconds > 0 && timeoutSeconds <= 10)) throw new UsageError("--timeout is a number of seconds from 1 to 10");
      const r = await engine(false).pingAll(lab, { timeoutSeconds });
      if (o.json) {
        out(JSON.stringify(r, null, 2));
      } else {
        out(o.full ? pingFull(r) : pingMatrix(r));
      }
      if (r.received < r.sent) process.exitCode = 1;
    });

  p.command("logs")
    .description("print the output of a node's services (dnsmasq, dhclient, your programs)")
    .argument("<lab>")
    .argument("<node>")
    .argument("[service]", "one service (default: all of the node's)")
    .option("-n, --lines <n>", "only the last N lines of each")
    .option("-f, --follow", "keep printing what they write")
    .action(async (lab: string, node: string, service: string | undefined, o: { lines?: string; follow?: boolean }) => {
      const e = engine(false);
      if (!(await e.state.readLab(lab))) throw new NotFoundError(`there is no lab named ${lab}`);
      const all = (await e.services.list(lab)).filter((x) => x.node === node);
      const chosen = service ? all.filter((x) => x.name === service) : all;
      if (chosen.length === 0) {
        throw new NotFoundError(
          service
            ? `${node} has no service named ${service}${all.length ? ` (it has ${all.map((x) => x.name).join(", ")})` : ""}`
            : `${node} has no services in lab ${lab}`,
        );
      }
      const n = o.lines !== undefined ? Number(o.lines) : undefined;
      for (const svc of chosen) {
        const text = await e.services.log(lab, node, svc.name).catch(() => "");
        const lines = text.split("\n");
        if (lines.at(-1) === "") lines.pop();
        if (chosen.length > 1) out(`==> ${node}/${svc.name} (${svc.status.state}) <==`);
        const shown = n !== undefined ? lines.slice(-n) : lines;
        if (shown.length) out(shown.join("\n"));
      }
      if (o.follow) {
        process.exitCode = await attach(["tail", "-n", "0", "-F", ...chosen.map((x) => `${e.services.runDir(lab, node)}/${x.name}.log`)]);
      }
    });

  p.command("export")
    .description("print a lab as a bash script of plain ip/ovs-vsctl commands (sh), its teardown (sh-down), or its file")
    .argument("<lab>")
    .option("--format <format>", "sh, sh-down, yaml or json", "sh")
    .action(async (lab: string, o: { format: string }) => {
      const e = engine(false);
      if (o.format === "sh" || o.format === "sh-down") out(await e.exportScript(lab, o.format));
      else if (o.format === "yaml" || o.format === "json") {
        const doc = await e.state.readLab(lab);
        if (!doc) throw new NotFoundError(`there is no lab named ${lab}`);
        out(o.format === "yaml" ? labToYaml(doc) : labToJson(doc));
      } else throw new UsageError(`--format must be sh, sh-down, yaml or json, not ${o.format}`);
    });

  p.command("validate")
    .description("check a lab file and print every problem, without touching the kernel")
    .argument("<file>")
    .option("--name <lab>", "lab name (overrides the file's)")
    .action(async (file: string, o: { name?: string }) => {
      const { lab } = await loadLab(file, o);
      const caps = await new Engine().capabilities();
      const issues = capabilityIssues(lab, caps);
      if (issues.length) throw new LabValidationError(issues);
      out(`${file}: lab ${lab.name} is valid (${lab.nodes.length} nodes, ${lab.links.length} links)`);
    });

  p.command("clean")
    .description("remove every namespace, interface, OVS bridge and file topolab made on this machine, of every lab")
    .action(async () => {
      const r = await engine(false).clean();
      const n = r.namespaces.length + r.interfaces.length + r.ovsBridges.length + r.ovsPorts.length;
      out(
        n === 0 && r.files.length === 0
          ? "nothing of topolab's was left on this machine"
          : [
              `removed ${r.namespaces.length} namespaces, ${r.interfaces.length} interfaces, ${r.ovsBridges.length} OVS bridges, ` +
                `${r.ovsPorts.length} OVS ports, ${r.files.length} /etc/netns directories, stopped ${r.processes.length} processes`,
              ...[...r.namespaces, ...r.interfaces, ...r.ovsBridges, ...r.ovsPorts].map((x) => `  ${x}`),
            ].join("\n"),
      );
    });

  p.command("schema")
    .description("print the lab file's JSON Schema (for editors: docs/lab.schema.json)")
    .action(() => {
      out(JSON.stringify(labJsonSchema(), null, 2));
    });

  p.command("caps")
    .description("what this machine can build: Open vSwitch and its datapath, netem, tbf")
    .option("--json", "print JSON")
    .action(async (o: { json?: boolean }) => {
      const c = await new Engine().capabilities();
      if (o.json) {
        out(JSON.stringify(c, null, 2));
        return;
      }
      out(
        [
          `Open vSwitch: ${c.ovs.available ? `yes (${c.ovs.version ?? "?"}), ${c.ovs.datapath === "system" ? "kernel datapath" : "userspace datapath (netdev)"}${c.ovs.datapath === "netdev" ? `, userspace TSO ${c.ovs.userspaceTso ? "on" : "off: TCP gets checksum offload turned off per veth"}` : ""}` : `no: ${c.ovs.reason}`}`,
          `netem (delay, jitter, loss): ${c.netem ? "yes" : "no: labs that ask for delay or loss are refused"}`,
          `tbf (bandwidth): ${c.tbf ? "yes" : "no"}`,
          `Linux bridges: ${
            c.bridgeNetfilter
              ? "bridged IPv4 passes this machine's firewall (net.bridge.bridge-nf-call-iptables=1, br_netfilter): a FORWARD rule or DROP policy there (Docker sets one) drops lab traffic between hosts on a Linux bridge (OVS switches are not affected); topolab leaves this machine-wide setting alone"
              : "bridged traffic does not pass this machine's firewall"
          }`,
        ].join("\n"),
      );
    });
  registerExercise(p);
  registerCapture(p);
  registerLive(p);
  registerTrace(p);
  registerServe(p);
  return p;
}

async function ensureOvsIfNeeded(e: Engine, needed: boolean): Promise<void> {
  if (!needed || (await e.capabilities()).ovs.available) return;
  const said = await ensureOvsRunning();
  if (said === "started Open vSwitch") {
    err("topolab: started Open vSwitch");
    forgetCapabilities();
  }
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  // `topolab status | head -1`: a closed pipe is the reader's choice, not an error
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
  });
  const p = program().exitOverride();
  try {
    await p.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    return exitCodeFor(e);
  }
}

/** Says on stderr what went wrong, as a person reads it; the exit code that goes with it. */
export function exitCodeFor(e: unknown): number {
  if (e instanceof CommanderError) return e.exitCode;
  if (e instanceof LabValidationError) {
    err(`topolab: the lab is not valid:\n${e.issues.map((i) => `  ${formatIssue(i)}`).join("\n")}`);
    return 2;
  }
  if (e instanceof FileProblems) {
    err(`topolab: the lab file is not valid:\n${e.lines.map((l) => `  ${l}`).join("\n")}`);
    return 2;
  }
  if (e instanceof UsageError) {
    err(`topolab: ${e.message}`);
    return 2;
  }
  if (e instanceof ApplyError || e instanceof ConflictError || e instanceof NotFoundError || e instanceof LockError) {
    err(`topolab: ${e.message}`);
    return 1;
  }
  err(`topolab: ${(e as Error).stack ?? String(e)}`);
  return 1;
}
