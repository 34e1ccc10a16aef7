// `topolab capture` as a person runs it: decoded lines of a ping made while it runs, a pcapng
// file tcpdump reads back, a wrong filter refused with tcpdump's words. Labs are named cp*.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { journalPath, JournalReader, pidsInNetns, run, sleep, StateStore } from "@topolab/engine";
import { inNode } from "@topolab/engine/testing";
import { cliSession } from "./testing";

const cli = cliSession();
const name = `cpcli${Math.random().toString(36).slice(2, 6)}`;
let dir: string;

beforeAll(async () => {
  await cli.start();
  cli.labs.add(name);
  expect((await cli.topolab("up", "--topo", "single,2", "--name", name)).code).toBe(0);
  dir = await mkdtemp(join(tmpdir(), "cp-cli-"));
});
afterAll(async () => {
  await cli.downAll();
  await cli.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Waits until a tcpdump runs in h1's namespace, then pings h2 twice from h1. */
async function pingWhenCapturing(): Promise<void> {
  const ns = `tl.${name}.h1`;
  for (let i = 0; i < 200 && ((await pidsInNetns([ns])).get(ns) ?? []).length === 0; i++) await sleep(50);
  await sleep(300); // tcpdump's "listening" comes just after it starts
  await inNode(name, "h1", ["ip", "neigh", "flush", "all"]);
  expect((await inNode(name, "h1", ["ping", "-c", "2", "-i", "0.2", "10.0.0.2"])).code).toBe(0);
}

describe("topolab capture", () => {
  it("prints one decoded line per packet, and stops after -c", async () => {
    const [r] = await Promise.all([cli.topolab("capture", name, "h1:eth0", "-f", "arp or icmp", "-c", "4"), pingWhenCapturing()]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{6} h1:eth0 ARP who-has 10\.0\.0\.2 tell 10\.0\.0\.1$/);
    expect(lines[2]).toMatch(/^\S+ h1:eth0 ICMP echo request id=\d+ seq=1$/);
    expect(r.stderr).toContain("4 packets captured");
    // the capture belongs to its lab in the command log: the lab's journal, which a server on
    // this state directory shows in the lab's log
    const { entries, problem } = await new JournalReader(journalPath(new StateStore(cli.stateDir()).labDir(name))).read();
    expect(problem).toBeUndefined();
    const mine = entries.filter((e) => e.op === "capture h1:eth0");
    expect(mine).toHaveLength(1);
    expect(mine[0]!.command).toBe(`nsenter --net=/run/netns/tl.${name}.h1 -- tcpdump -i eth0 -U --immediate-mode -n -B 8192 -s 262144 -w - -- 'arp or icmp'`);
    expect(mine[0]!.ok).toBe(true);
  });

  it("writes a pcapng file that tcpdump reads", async () => {
    const file = join(dir, "c.pcapng");
    const [r] = await Promise.all([cli.topolab("capture", name, "h1", "-f", "icmp", "-c", "4", "-w", file), pingWhenCapturing()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    const t = await run(["tcpdump", "-nn", "-r", file]);
    expect(t.code).toBe(0);
    expect(
      t.stdout
        .trim()
        .split("\n")
        .filter((l) => /ICMP echo (request|reply)/.test(l)),
    ).toHaveLength(4);
  });

  it("refuses a wrong filter or interface with exit 2 and the reason", async () => {
    const bad = await cli.topolab("capture", name, "h1:eth0", "-f", "tcp port 80 and");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("topolab: filter: tcpdump: can't parse filter expression: syntax error\n");
    const dash = await cli.topolab("capture", name, "h1:eth0", "-f", "-w /tmp/x");
    expect(dash.code).toBe(2);
    expect(dash.stderr).toMatch(/begins with "-"/);
    const nif = await cli.topolab("capture", name, "h1:eth5");
    expect(nif.code).toBe(2);
    expect(nif.stderr).toMatch(/no linked interface "eth5"/);
    const ns = `tl.${name}.h1`;
    expect((await pidsInNetns([ns])).get(ns)).toEqual([]);
  });
});
