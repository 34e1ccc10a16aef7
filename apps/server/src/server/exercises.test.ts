import { describe, expect, it } from "vitest";
import { validateLab } from "@topolab/topology";
import { checkNodes, checkViews, OnceMore } from "./exercises";

describe("the nodes a check names", () => {
  it("for every kind, whatever its other fields hold (a listen check's port is a number)", () => {
    const v = validateLab({
      name: "n",
      nodes: [
        { name: "h1", kind: "host", interfaces: { eth0: {} } },
        { name: "h2", kind: "host", interfaces: { eth0: {} } },
        { name: "s1", kind: "switch" },
      ],
      links: [{ endpoints: ["h1:eth0", "s1:eth1"] }, { endpoints: ["h2:eth0", "s1:eth2"] }],
      exercise: {
        title: "t",
        checks: [
          { kind: "reach", description: "d", from: "h1", to: "h2" },
          { kind: "reach", description: "d", from: "h1", to: "10.0.0.9" },
          { kind: "listen", description: "d", node: "h2", port: 22 },
          { kind: "http", description: "d", from: "h2", to: "h1", port: 8080 },
          { kind: "mac-table", description: "d", switch: "s1", host: "h1:eth0", port: "s1:eth1" },
          { kind: "sysctl", description: "d", node: "h1", key: "net.ipv4.ip_forward", value: 1, hint: "h" },
        ],
      },
    });
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    const names = new Set(["h1", "h2", "s1"]);
    expect(v.lab.exercise!.checks.map((c) => checkNodes(c, names))).toEqual([["h1", "h2"], ["h1"], ["h2"], ["h2", "h1"], ["s1", "h1"], ["h1"]]);
    expect(checkViews(v.lab)[5]).toEqual({ id: "c6", kind: "sysctl", description: "d", hint: "h", nodes: ["h1"] });
  });
});

/** Every promise callback due now has run (they all do before an immediate). */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("OnceMore: the exercise's kick (the lab's meta read, then every check)", () => {
  /** Work held until the test lets it go: runs counted, at most how many at once. */
  const held = (fail = false) => {
    const release: (() => void)[] = [];
    const seen = { runs: 0, active: 0, most: 0 };
    const once = new OnceMore(async () => {
      seen.runs++;
      seen.most = Math.max(seen.most, ++seen.active);
      await new Promise<void>((resolve) => release.push(resolve));
      seen.active--;
      if (fail) throw new Error("the meta could not be read");
    });
    return { once, seen, next: () => release.shift()!() };
  };

  it("a kick while one is in flight runs once more after it, however many came meanwhile, never beside it", async () => {
    const { once, seen, next } = held();
    once.run();
    expect(seen.runs).toBe(1);
    once.run();
    once.run();
    once.run();
    await settled();
    expect(seen.runs).toBe(1);
    next();
    await settled();
    expect(seen.runs).toBe(2); // the kicks that came meanwhile, in one run
    next();
    await settled();
    expect(seen.runs).toBe(2);
    expect(seen.most).toBe(1);
    once.run(); // idle: at once
    expect(seen.runs).toBe(3);
    next();
    await settled();
    expect(seen.runs).toBe(3);
  });

  it("a run that fails keeps the kick that came meanwhile", async () => {
    const { once, seen, next } = held(true);
    once.run();
    once.run();
    next();
    await settled();
    expect(seen.runs).toBe(2);
    next();
    await settled();
    expect(seen.runs).toBe(2);
    expect(seen.active).toBe(0);
  });
});
