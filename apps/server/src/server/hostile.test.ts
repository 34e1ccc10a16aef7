// The server's defences that need no kernel: failed authentication counted per address, the
// configured caps, and the checker that reads big labs in a worker thread and refuses what is
// too large (issue 10, case 5). The same inputs against a real server: hostile.integration.test.ts.

import { describe, expect, it } from "vitest";
import { labToYaml, parseLab } from "@topolab/topology";
import { LIMITS } from "@topolab/protocol";
import { LabChecker } from "./checker";
import { resolveConfig } from "./config";
import { RequestError } from "./errors";
import { AuthFailures, clientAddress } from "./security";

describe("failed authentication per address", () => {
  it("lets `burst` different wrong tokens through, then makes the address wait, and drains", () => {
    let now = 0;
    const f = new AuthFailures(3, 6, () => now); // 3 in a burst, 6 a minute: one per 10 s
    for (let i = 0; i < 3; i++) {
      expect(f.retryAfter("10.0.0.1")).toBe(0);
      f.failed("10.0.0.1", `guess-${i}`);
    }
    expect(f.retryAfter("10.0.0.1")).toBe(10);
    expect(f.retryAfter("10.0.0.2")).toBe(0); // another address is not affected
    now += 5_000;
    expect(f.retryAfter("10.0.0.1")).toBe(5);
    now += 5_000;
    expect(f.retryAfter("10.0.0.1")).toBe(0);
  });

  it("counts the same wrong token once (a browser with the cookie of the server's last run)", () => {
    const f = new AuthFailures(3, 6, () => 0);
    for (let i = 0; i < 50; i++) f.failed("10.0.0.1", "stale-cookie");
    expect(f.retryAfter("10.0.0.1")).toBe(0);
  });

  it("takes ::ffff:127.0.0.1 and 127.0.0.1 for one address", () => {
    expect(clientAddress("::ffff:127.0.0.1")).toBe("127.0.0.1");
    expect(clientAddress(undefined)).toBe("?");
  });
});

describe("caps from options and the environment", () => {
  it("has defaults, takes TOPOLAB_MAX_*, and refuses what is not a whole number from 1", () => {
    expect(resolveConfig({}, {}).limits).toEqual({ maxNodes: 2500, maxLinks: 5000, maxLabs: 100 });
    expect(resolveConfig({}, { TOPOLAB_MAX_NODES: "10", TOPOLAB_MAX_LINKS: "20", TOPOLAB_MAX_LABS: "3" }).limits).toEqual({
      maxNodes: 10,
      maxLinks: 20,
      maxLabs: 3,
    });
    expect(resolveConfig({ maxLabs: 7 }, { TOPOLAB_MAX_LABS: "3" }).limits.maxLabs).toBe(7);
    expect(() => resolveConfig({}, { TOPOLAB_MAX_NODES: "many" })).toThrow(/TOPOLAB_MAX_NODES must be a whole number from 1/);
    expect(() => resolveConfig({}, { TOPOLAB_MAX_LABS: "0" })).toThrow(/TOPOLAB_MAX_LABS/);
  });
});

function star(n: number) {
  return {
    name: "vz-big",
    nodes: [
      { name: "s1", kind: "switch" },
      ...Array.from({ length: n }, (_, i) => ({
        name: `h${i}`,
        kind: "host",
        interfaces: { eth0: { addresses: [`10.0.${1 + Math.floor(i / 200)}.${1 + (i % 200)}/16`] } },
      })),
    ],
    links: Array.from({ length: n }, (_, i) => ({ endpoints: [`h${i}:eth0`, `s1:eth${i + 1}`] })),
  };
}

// a worker is made and YAML parsed: seconds on a busy 2-core machine
const SLOW = 60_000;

describe("the checker", () => {
  it(
    "validates and parses big labs in its worker with the same answers as in place",
    async () => {
      const doc = star(600);
      const yaml = labToYaml(parseLab(doc));
      expect(yaml.length).toBeGreaterThan(16 * 1024); // big enough for the worker
      const inWorker = new LabChecker({ log: (l) => expect.fail(l) });
      const inPlace = new LabChecker({ worker: false });
      try {
        const [a, b] = [await inWorker.validate(doc), await inPlace.validate(doc)];
        expect(a).toEqual(b);
        expect(a.ok).toBe(true);
        const [c, d] = [await inWorker.parseText(yaml), await inPlace.parseText(yaml)];
        expect(c).toEqual(d);
        // problems too, and the configured caps
        const broken = { ...doc, links: [...doc.links, { endpoints: ["h1:eth0", "nowhere"] }] };
        const bad = await inWorker.validate(broken);
        expect(bad).toEqual(await inPlace.validate(broken));
        expect(bad.ok).toBe(false);
        const capped = new LabChecker({ limits: { maxNodes: 100 } });
        expect(await capped.validate(doc)).toEqual({ ok: false, issues: [{ path: "nodes", message: "the lab has 601 nodes; a lab may have at most 100" }] });
        await capped.close();
      } finally {
        await inWorker.close();
      }
    },
    SLOW,
  );

  it("refuses a file or a document above LIMITS.maxLabText bytes with 413, before reading it", async () => {
    const c = new LabChecker({ worker: false });
    const text = `name: x\nnodes: []\ndescription: "${"é".repeat(300 * 1024)}"\n`; // 300 Ki characters, 600 KiB
    const e = await c.parseText(text).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RequestError);
    expect(e).toMatchObject({
      code: "limit",
      status: 413,
      message: expect.stringMatching(/^the lab file is 614,4\d\d bytes; the server takes at most 524,288 \(512 KiB\)$/),
    });
    const doc = { name: "x", nodes: [{ name: "h1", kind: "host", label: "x".repeat(LIMITS.maxLabText) }] };
    await expect(c.validate(doc)).rejects.toMatchObject({ code: "limit", status: 413 });
  });

  it(
    "answers a check still running when it is closed",
    async () => {
      const c = new LabChecker();
      const yaml = labToYaml(parseLab(star(600)));
      expect((await c.parseText(yaml)).ok).toBe(true); // the worker is up
      const pending = c.parseText(yaml).then(
        () => null,
        (e: unknown) => e,
      );
      await new Promise((r) => setTimeout(r, 20));
      await c.close();
      expect(await pending).toMatchObject({ message: "the server is shutting down" });
    },
    SLOW,
  );

  it(
    "gives up a check that takes too long, answers with a message, and keeps checking",
    async () => {
      const c = new LabChecker({ timeoutMs: 1 });
      const yaml = labToYaml(parseLab(star(600)));
      await expect(c.parseText(yaml)).rejects.toMatchObject({ code: "limit", message: expect.stringContaining("was given up") });
      await c.close();
      const d = new LabChecker();
      expect((await d.parseText(yaml)).ok).toBe(true);
      await d.close();
    },
    SLOW,
  );
});
