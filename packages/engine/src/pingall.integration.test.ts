// Ping all on the real kernel: three hosts on an OVS switch. Every pair carries fping's own
// line for it with a round trip, and the pair pinged again with a real `ping -c 3 -W 1` in the
// source's namespace agrees; then h3 made to ignore echoes by hand (its namespace's
// net.ipv4.icmp_echo_ignore_all, as a student could) shows 100 % loss both ways of looking, and
// the commands are in the lab's command log. The lab is removed and proved gone.

import { describe, expect, it } from "vitest";
import { nsName, parseLab } from "@topolab/topology";
import type { CommandLogEntry } from "./executor";
import { run } from "./exec";
import { uniqueLabName } from "./testing";
import { engineSession } from "./testing-session";

// "tpc…": this file's lab names (pingcell's prefix)
const name = uniqueLabName("pc");
const log: (CommandLogEntry & { lab: string })[] = [];

const lab = () =>
  parseLab({
    name,
    nodes: [
      { name: "s1", kind: "switch" },
      { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.72.0.1/24"] } } },
      { name: "h2", kind: "host", interfaces: { eth0: { addresses: ["10.72.0.2/24"] } } },
      { name: "h3", kind: "host", interfaces: { eth0: { addresses: ["10.72.0.3/24"] } } },
    ],
    links: [{ endpoints: ["h1:eth0", "s1:eth1"] }, { endpoints: ["h2:eth0", "s1:eth2"] }, { endpoints: ["h3:eth0", "s1:eth3"] }],
  });

const session = engineSession({ log: (e) => log.push(e), lab });

describe("ping all's pairs on the real kernel", () => {
  it("every pair carries fping's line with its round trip, and a real ping of the pair agrees", async () => {
    const r = await session.engine.pingAll(name, { timeoutSeconds: 1 });
    expect(r.pairs).toHaveLength(6);
    for (const p of r.pairs) {
      expect(p.ok).toBe(true);
      expect(p.output.received).toBe(1);
      expect(p.output.rtt!.min).toBeGreaterThan(0);
      expect(p.output.lines.map((l) => l.text)).toContainEqual(
        expect.stringMatching(new RegExp(`^${p.address.replaceAll(".", "\\.")} is alive \\([\\d.]+ ms\\)$`)),
      );
    }
    const pair = r.pairs.find((p) => p.from === "h1" && p.to === "h2")!;
    expect(pair.address).toBe("10.72.0.2");
    const again = await session.engine.pingPair(name, "h1", "h2");
    expect(again).toMatchObject({ from: "h1", to: "h2", address: "10.72.0.2", code: 0, stats: { sent: 3, received: 3, lossPercent: 0 } });
    expect(again.argv).toEqual(["ip", "netns", "exec", nsName(name, "h1"), "ping", "-c", "3", "-W", "1", "10.72.0.2"]);
    expect(again.output).toMatch(/^PING 10\.72\.0\.2 \(10\.72\.0\.2\)/);
    expect(again.output.match(/^64 bytes from 10\.72\.0\.2: icmp_seq=\d ttl=64 time=[\d.]+ ms$/gm)).toHaveLength(3);
    expect(log.some((e) => e.lab === name && e.op === "ping:h1>h2" && e.ok && e.command.endsWith("ping -c 3 -W 1 10.72.0.2"))).toBe(true);
  }, 60_000);

  it("a host made to ignore echoes by hand shows 100 % loss, in ping all and pinged again", async () => {
    const ns = nsName(name, "h3");
    const set = await run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1"]);
    expect(set.code).toBe(0);
    try {
      const r = await session.engine.pingAll(name, { timeoutSeconds: 1 });
      const lost = r.pairs.find((p) => p.from === "h1" && p.to === "h3")!;
      expect(lost.ok).toBe(false);
      expect(lost.output).toMatchObject({ received: 0, lossPercent: 100, rtt: null });
      expect(lost.output.sent).toBe(lost.output.sentAtMost);
      expect(lost.output.rounds).toBeGreaterThanOrEqual(2);
      expect(lost.output.lines.filter((l) => l.text === "10.72.0.3 is unreachable").length).toBe(lost.output.rounds);
      // h3 still reaches the others: only its answers are gone
      expect(r.pairs.filter((p) => p.from === "h3").every((p) => p.ok)).toBe(true);
      const again = await session.engine.pingPair(name, "h1", "h3");
      expect(again).toMatchObject({ code: 1, stats: { sent: 3, received: 0, lossPercent: 100, rtt: null } });
      expect(again.output).toContain("3 packets transmitted, 0 received, 100% packet loss");
      expect(log.some((e) => e.op === "ping:h1>h3" && !e.ok && e.error?.includes("100% packet loss"))).toBe(true);
    } finally {
      await run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=0"]);
    }
  }, 90_000);

  it("refuses a pair that is not there, naming the field", async () => {
    await expect(session.engine.pingPair(name, "h1", "s1")).rejects.toMatchObject({ field: "to" });
    await expect(session.engine.pingPair(name, "nobody", "h2")).rejects.toMatchObject({ field: "from" });
  });
});
