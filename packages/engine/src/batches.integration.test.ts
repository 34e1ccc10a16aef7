// Integration test on the real kernel (as root): the batches of many namespaces run through
// xargs (executor.ts's runNamespaceBatches), and a failure in one of them is named as exactly
// as when each namespace has its own `ip` process. Its namespaces are its own (tl.bu….hN),
// removed after, and checked gone.

import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { Command, Op } from "@topolab/topology";
import { execute, OperationError, type CommandLogEntry } from "./executor";
import { must, run } from "./exec";
import { uniqueLabName } from "./testing";

const made: string[] = [];

afterEach(async () => {
  if (made.length) await run(["ip", "-force", "-batch", "-"], { input: made.map((n) => `netns del ${n}`).join("\n") + "\n" });
  for (const n of made) expect(existsSync(`/run/netns/${n}`), n).toBe(false);
  made.length = 0;
});

async function namespaces(count: number): Promise<string[]> {
  const lab = uniqueLabName("bu");
  const names = Array.from({ length: count }, (_, i) => `tl.${lab}.h${i + 1}`);
  made.push(...names);
  await must(["ip", "-batch", "-"], { input: names.map((n) => `netns add ${n}`).join("\n") + "\n" });
  return names;
}

const op = (summary: string, commands: Command[]): Op => ({ action: "create", kind: "iface", key: summary, summary, commands });
const ip = (ns: string, ...args: string[]): Command => ({ tool: "ip", ns, args, stage: 5 });

async function mtu(ns: string): Promise<number> {
  const r = await must(["ip", "-n", ns, "-j", "link", "show", "dev", "lo"]);
  return (JSON.parse(r.stdout) as { mtu: number }[])[0]!.mtu;
}

describe("many namespaces' batches through xargs", () => {
  it("runs every namespace's batch, and names the failed line of the one that fails", async () => {
    const ns = await namespaces(9);
    const log: CommandLogEntry[] = [];
    const ops = ns.map((n, i) =>
      op(`configure ${n}`, [
        ip(n, "link", "set", "dev", "lo", "mtu", String(1400 + i)),
        ...(i === 5 ? [ip(n, "addr", "add", "10.9.0.1/24", "dev", "nosuchdev")] : []),
      ]),
    );
    const error = await execute(ops, { log: (e) => log.push(e) }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OperationError);
    expect((error as OperationError).op.summary).toBe(`configure ${ns[5]}`);
    expect((error as OperationError).command).toBe(`ip -n ${ns[5]} addr add 10.9.0.1/24 dev nosuchdev`);
    expect((error as OperationError).kernelMessage).toMatch(/Cannot find device "nosuchdev"/);
    // -force: the other lines and every other namespace ran
    for (const [i, n] of ns.entries()) expect(await mtu(n)).toBe(1400 + i);
    expect(log.filter((e) => !e.ok).map((e) => e.command)).toEqual([`ip -n ${ns[5]} addr add 10.9.0.1/24 dev nosuchdev`]);
    expect(log).toHaveLength(10);
  });

  it("a namespace that is gone fails its batch, and a batch xargs never ran is not said to have run", async () => {
    const ns = await namespaces(8);
    const gone = ns[1]!;
    await must(["ip", "netns", "del", gone]);
    const log: CommandLogEntry[] = [];
    const error = await execute(
      ns.map((n) => op(`configure ${n}`, [ip(n, "link", "set", "dev", "lo", "up")])),
      { log: (e) => log.push(e) },
    ).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OperationError);
    expect((error as OperationError).op.summary).toBe(`configure ${gone}`);
    expect((error as OperationError).kernelMessage).toMatch(/Cannot open network namespace/);
    // a command logged ok really ran
    for (const e of log.filter((x) => x.ok)) {
      const n = /-n (\S+)/.exec(e.command)![1]!;
      const r = await must(["ip", "-n", n, "-j", "link", "show", "dev", "lo"]);
      expect((JSON.parse(r.stdout) as { flags: string[] }[])[0]!.flags, n).toContain("UP");
    }
    expect(log.filter((e) => !e.ok).map((e) => e.command)).toEqual([`ip -n ${gone} link set dev lo up`]);
  });

  it("a batch whose namespace is gone is success for commands that may find it missing", async () => {
    const ns = await namespaces(6);
    await must(["ip", "netns", "del", ns[0]!]);
    await execute(ns.map((n) => op(`configure ${n}`, [{ ...ip(n, "link", "set", "dev", "lo", "up"), missingOk: true }])));
    // the batches after the missing namespace ran too (xargs stops there; they are run again)
    for (const n of ns.slice(1)) {
      const r = await must(["ip", "-n", n, "-j", "link", "show", "dev", "lo"]);
      expect((JSON.parse(r.stdout) as { flags: string[] }[])[0]!.flags, n).toContain("UP");
    }
  });
});
