import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type PairOutput,
  addRound,
  fpingArgv,
  neighbourLimits,
  PAIR_LINE_CHARS,
  PAIR_LINES_MAX,
  parseArpCacheEntries,
  pingAll,
  pingPair,
  PingPairError,
  pingTargets,
} from "./pingall";
import { parseFpingReport } from "./parse/fping";

// recorded with fping 5.1 (Debian 12) inside a lab's host namespace, `fping -r 1 -t 1000 -i 1 …`
const fixture = (name: string) => readFileSync(join(__dirname, "fixtures", "fping", name), "utf8");

describe("fping's report as pingall reads it (parseFpingReport)", () => {
  const alive = (stdout: string, addresses: string[]) => new Map([...parseFpingReport(stdout, "", addresses)].map(([a, t]) => [a, t.alive]));
  it("alive and unreachable targets; the error on stderr is not needed to know", () => {
    expect(alive(fixture("alive-unreachable.stdout.txt"), ["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.222", "192.168.5.5"])).toEqual(
      new Map([
        ["10.0.0.2", true],
        ["10.0.0.3", true],
        ["10.0.0.4", true],
        ["10.0.0.222", false],
        ["192.168.5.5", false],
      ]),
    );
    expect(fixture("alive-unreachable.stderr.txt")).toContain("192.168.5.5: error while sending ping");
  });

  it("a target fping did not report is an error naming it", () => {
    expect(() => alive("10.0.0.2 is alive\n", ["10.0.0.2", "10.0.0.99"])).toThrow("no result for 10.0.0.99");
    expect(() => alive("", ["10.0.0.2"])).toThrow("no result for 10.0.0.2");
  });
});

describe("pingAll", () => {
  it("targets: the first IPv4 address, not loopback, not IPv6", () => {
    expect(
      pingTargets([
        { name: "a", addresses: ["127.0.0.1/8", "fd00::1/64", "10.0.0.1/24", "10.0.1.1/24"] },
        { name: "b", addresses: ["fd00::2/64"] },
      ]),
    ).toEqual(new Map([["a", "10.0.0.1"]]));
  });

  it("one fping per source, inside its namespace, with all its targets; pairs in source order", async () => {
    const calls: string[][] = [];
    const room: number[] = [];
    const result = await pingAll(
      "demo",
      [
        { name: "h1", addresses: ["10.0.0.1/8"] },
        { name: "h2", addresses: ["10.0.0.2/8"] },
        { name: "h3", addresses: ["10.0.0.3/8"] },
        { name: "r", addresses: [] },
      ],
      { timeoutSeconds: 2 },
      async (argv) => {
        calls.push(argv);
        const addrs = argv.slice(argv.indexOf("1", argv.indexOf("-i")) + 1);
        // h3 does not answer anyone
        return { code: 1, stdout: addrs.map((a) => `${a} is ${a === "10.0.0.3" ? "unreachable" : "alive"}`).join("\n") + "\n", stderr: "" };
      },
      async (entries) => void room.push(entries),
    );
    expect(room).toEqual([12]); // 4 sources × 3 targets
    // a first round of 4, then the 3 sources that lost h3 try it again, with two retries
    expect(calls).toHaveLength(7);
    expect(calls[0]).toEqual(["ip", "netns", "exec", "tl.demo.h1", ...fpingArgv(["10.0.0.2", "10.0.0.3"], 2)]);
    expect(calls.slice(4).map((c) => [c[3], c.slice(c.indexOf("-r"), c.indexOf("-r") + 2).join(" "), c.slice(-1)[0]])).toEqual([
      ["tl.demo.h1", "-r 2", "10.0.0.3"],
      ["tl.demo.h2", "-r 2", "10.0.0.3"],
      ["tl.demo.r", "-r 2", "10.0.0.3"],
    ]);
    expect(calls[0]).toContain("2000");
    expect(result.pairs.map((p) => `${p.from}>${p.to}:${p.ok ? 1 : 0}`)).toEqual([
      "h1>h2:1",
      "h1>h3:0",
      "h2>h1:1",
      "h2>h3:0",
      "h3>h1:1",
      "h3>h2:1",
      "r>h1:1",
      "r>h2:1",
      "r>h3:0",
    ]);
    expect(result).toMatchObject({ lab: "demo", sent: 9, received: 6, dropped: 33, unaddressed: ["r"] });
  });

  it("a pair lost in the first round and answered in the second is reachable", async () => {
    let round = 0;
    const result = await pingAll(
      "demo",
      [
        { name: "h1", addresses: ["10.0.0.1/8"] },
        { name: "h2", addresses: ["10.0.0.2/8"] },
      ],
      {},
      async (argv) => ({ code: round++ < 2 ? 1 : 0, stdout: `${argv.slice(-1)[0]} is ${round <= 2 ? "unreachable" : "alive"}\n`, stderr: "" }),
      async () => {},
    );
    expect(round).toBe(4);
    expect(result).toMatchObject({ sent: 2, received: 2, dropped: 0 });
  });

  it("each pair carries what fping said over the rounds: lines, echoes, replies, round trips", async () => {
    let round = 0;
    const result = await pingAll(
      "demo",
      [
        { name: "h1", addresses: ["10.0.0.1/8"] },
        { name: "h2", addresses: ["10.0.0.2/8"] },
        { name: "h3", addresses: ["10.0.0.3/8"] },
      ],
      { timeoutSeconds: 1 },
      async (argv) => {
        round++;
        const addrs = argv.slice(argv.indexOf("-i") + 2);
        const src = argv[3];
        // h1 reaches h2 at once; nobody reaches h3, and h1 gets a send error for it; h3 reaches all
        const stdout = addrs.map((a) => (a === "10.0.0.3" && src !== "tl.demo.h3" ? `${a} is unreachable` : `${a} is alive (0.${round}00 ms)`)).join("\n");
        const stderr = src === "tl.demo.h1" && addrs.includes("10.0.0.3") ? "10.0.0.3: error while sending ping: No route to host\n" : "";
        return { code: 1, stdout: `${stdout}\n`, stderr };
      },
      async () => {},
    );
    const of = (from: string, to: string) => result.pairs.find((p) => p.from === from && p.to === to)!.output;
    // answered in round 1 with one retry allowed: 1 reply, 1 or 2 echoes
    expect(of("h1", "h2")).toMatchObject({ rounds: 1, sent: null, sentAtMost: 2, received: 1, lossPercent: null, rtt: { min: 0.1, avg: 0.1, max: 0.1 } });
    expect(of("h1", "h2").lines).toEqual([{ round: 1, command: "fping -e -r 1 -t 1000 -i 1 10.0.0.2", text: "10.0.0.2 is alive (0.100 ms)" }]);
    // no reply in round 1 (2 echoes) nor round 2 (3 echoes): 5 sent, none back, 100 % loss
    const lost = of("h1", "h3");
    expect(lost).toMatchObject({ rounds: 2, sent: 5, sentAtMost: 5, received: 0, lossPercent: 100, rtt: null });
    expect(lost.lines.map((l) => `${l.round} ${l.text}`)).toEqual([
      "1 10.0.0.3 is unreachable",
      "1 10.0.0.3: error while sending ping: No route to host",
      "2 10.0.0.3 is unreachable",
      "2 10.0.0.3: error while sending ping: No route to host",
    ]);
    expect(lost.lines[2]!.command).toBe("fping -e -r 2 -t 1000 -i 5 10.0.0.3");
  });

  it("keeps a pair's lines bounded in number and length", () => {
    const out: PairOutput = { rounds: 0, sent: 0, sentAtMost: 0, received: 0, lossPercent: null, rtt: null, lines: [] };
    for (let r = 1; r <= 4; r++)
      addRound(out, r, 3, 1000, { address: "10.0.0.9", alive: false, rttMs: null, summary: null, lines: ["x".repeat(500), "b", "c"] });
    expect(out.lines).toHaveLength(PAIR_LINES_MAX);
    expect(out.lines[0]!.text).toHaveLength(PAIR_LINE_CHARS);
    expect(out).toMatchObject({ rounds: 4, sent: 16, received: 0, lossPercent: 100 });
  });

  it("fping failing (exit 4, or not installed) is an error saying so, never a matrix of X", async () => {
    await expect(
      pingAll(
        "demo",
        [
          { name: "h1", addresses: ["10.0.0.1/8"] },
          { name: "h2", addresses: ["10.0.0.2/8"] },
        ],
        {},
        async () => ({
          code: 127,
          stdout: "",
          stderr: "topolab needs the program fping, which is not installed",
        }),
        async () => {},
      ),
    ).rejects.toThrow(/pingall from h1: .*fping.* failed \(exit 127\): topolab needs the program fping/);
  });
});

describe("pingPair", () => {
  const nodes = [
    { name: "h1", addresses: ["10.0.0.1/8"] },
    { name: "h2", addresses: ["fd00::2/64", "10.0.0.2/8"] },
    { name: "r", addresses: [] },
  ];
  it("runs ping -c 3 -W 1 in the source's namespace to the target's IPv4 address, output verbatim", async () => {
    const calls: string[][] = [];
    const stdout = fixture("../../parse/fixtures/fping/ping-ok.txt");
    const r = await pingPair("demo", nodes, "h1", "h2", async (argv) => (calls.push(argv), { code: 0, stdout, stderr: "" }));
    expect(calls).toEqual([["ip", "netns", "exec", "tl.demo.h1", "ping", "-c", "3", "-W", "1", "10.0.0.2"]]);
    expect(r).toMatchObject({ address: "10.0.0.2", code: 0, output: stdout, stats: { sent: 3, received: 3, lossPercent: 0 } });
  });
  it("ping that could not send (exit 2) is a result with its words; a missing node, itself or no address are errors naming the field", async () => {
    const r = await pingPair("demo", nodes, "h2", "h1", async () => ({ code: 2, stdout: "", stderr: "ping: connect: Network is unreachable\n" }));
    expect(r).toMatchObject({ code: 2, stats: null, output: "ping: connect: Network is unreachable\n" });
    const never = async (): Promise<never> => {
      throw new Error("must not run");
    };
    await expect(pingPair("demo", nodes, "h9", "h1", never)).rejects.toMatchObject({
      field: "from",
      message: "lab demo has no running host or router named h9",
    });
    await expect(pingPair("demo", nodes, "h1", "h1", never)).rejects.toMatchObject({ field: "to" });
    await expect(pingPair("demo", nodes, "h1", "r", never)).rejects.toThrow(PingPairError);
    await expect(pingPair("demo", nodes, "h1", "h2", async () => ({ code: 1, stdout: "garbage", stderr: "" }))).rejects.toThrow("no statistics");
  });
});

describe("room in the ARP table", () => {
  it("reads the entries of /proc/net/stat/arp_cache (hex)", () => {
    // recorded on this machine while 100-host labs ran: 0x290 entries (and 0x2b35 times full)
    expect(parseArpCacheEntries(fixture("arp_cache.txt"))).toBe(0x290);
    expect(() => parseArpCacheEntries("entries\n")).toThrow("cannot read the ARP table's size");
  });

  it("raises gc_thresh3 to a power of two that fits what is there and what is needed; never lowers", () => {
    expect(neighbourLimits({ gcThresh2: 512, gcThresh3: 1024 }, 965, 9900)).toEqual({ gcThresh2: 8192, gcThresh3: 16384 });
    expect(neighbourLimits({ gcThresh2: 512, gcThresh3: 1024 }, 10, 12)).toBeNull();
    expect(neighbourLimits({ gcThresh2: 20000, gcThresh3: 16384 * 4 }, 965, 9900)).toBeNull();
    expect(neighbourLimits({ gcThresh2: 512, gcThresh3: 1024 }, 0, 1_000_000)).toEqual({ gcThresh2: 131072, gcThresh3: 262144 });
  });
});
