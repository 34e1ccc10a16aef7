// Fuzzing the way in (issue 10): random values, generated labs with hostile names and keys,
// the templates mutated at random, and their text broken at random go through parseLabText and
// validateLab. None may throw: a document is either a lab or a short list of problems. A lab
// that is accepted reads back the same from its own YAML.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { labToYaml, parseLabText } from "./labfile";
import { MAX_ISSUES, validateLab, type Validated } from "./validate";

const templatesDir = join(import.meta.dirname, "../../../templates");
const templateTexts = readdirSync(templatesDir, { recursive: true })
  .map(String)
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => readFileSync(join(templatesDir, f), "utf8"));

const HOSTILE = [
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "prototype",
  "",
  " ",
  "-x",
  "a:b",
  "eth0",
  "eth1",
  "h1",
  "s1",
  "lo",
  "all",
  "x".repeat(300),
  "é",
  "\u0000",
  "../etc",
  "${x}",
];
const hostileString = fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 20 }));
const NAMES = ["h1", "h2", "r1", "s1", "gw", "constructor", "__proto__", "toString"];

/** A value of any shape, with keys a person's data should never use. */
const anyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(null, true, false, 0, -1, 1.5, Number.MAX_SAFE_INTEGER, 4095, 65536),
    hostileString,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(hostileString, tie("value"), { maxKeys: 4 }).map((o) => JSON.parse(JSON.stringify(o)) as unknown),
  ),
})).value;

/** An object with own keys as JSON.parse would make them (so "__proto__" is a key, not a prototype). */
const ownKeys = (entries: [string, unknown][]) =>
  JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v ?? null)}`).join(",")}}`) as Record<string, unknown>;

const address = fc.oneof(
  fc.constantFrom("10.0.0.1/24", "10.0.0.2/24", "192.168.1.254/24", "fd00::1/64", "10.0.0.0/24", "10.0.0.255/24", "300.1.1.1/8", "x"),
  hostileString,
);
const ifName = fc.oneof(fc.constantFrom("eth0", "eth1", "eth2"), fc.constantFrom(...HOSTILE));
const interfaces = fc
  .array(fc.tuple(ifName, fc.record({ addresses: fc.array(address, { maxLength: 2 }) }, { requiredKeys: [] })), { maxLength: 3 })
  .map(ownKeys);
const node = fc.record(
  {
    name: fc.oneof(fc.constantFrom(...NAMES), hostileString),
    kind: fc.oneof(fc.constantFrom("host", "router", "switch", "nat"), hostileString),
    interfaces,
    routes: fc.array(
      fc.record({ to: fc.constantFrom("default", "10.1.0.0/16", "x"), via: fc.constantFrom("10.0.0.1", "fd00::1", "y"), dev: ifName }, { requiredKeys: [] }),
      { maxLength: 2 },
    ),
    services: fc.array(
      fc.oneof(
        fc.record(
          {
            type: fc.constant("process"),
            name: fc.oneof(fc.constant("web"), hostileString),
            command: fc.array(hostileString, { maxLength: 2 }),
            env: fc.array(fc.tuple(hostileString, hostileString), { maxLength: 2 }).map(ownKeys),
          },
          { requiredKeys: ["type"] },
        ),
        fc.record(
          { type: fc.constant("dhcp-server"), interface: ifName, range: fc.tuple(fc.constantFrom("10.0.0.10", "x"), fc.constantFrom("10.0.0.20", "10.0.0.5")) },
          { requiredKeys: ["type"] },
        ),
      ),
      { maxLength: 2 },
    ),
    type: fc.constantFrom("ovs", "bridge", "x"),
    stp: fc.boolean(),
    defaultRoute: fc.boolean(),
    extra: anyValue,
  },
  { requiredKeys: ["name", "kind"] },
);
const endpoint = fc.oneof(
  fc.tuple(fc.constantFrom(...NAMES), fc.option(ifName, { nil: undefined })).map(([n, i]) => (i === undefined ? n : `${n}:${i}`)),
  fc.record({ node: fc.constantFrom(...NAMES), interface: ifName }, { requiredKeys: ["node"] }),
  anyValue,
);
const link = fc.record(
  {
    endpoints: fc.oneof(fc.tuple(endpoint, endpoint), anyValue),
    vlan: fc.constantFrom(10, 0, 5000, 1.5),
    trunk: fc.array(fc.integer({ min: -1, max: 4096 }), { maxLength: 3 }),
    bandwidth: fc.constantFrom(10, "10mbit", "x", -1),
    delay: fc.constantFrom("10ms", "x"),
    loss: fc.constantFrom(1, 200, -1),
    internal: fc.boolean(),
  },
  { requiredKeys: ["endpoints"] },
);
const lab = fc.record(
  {
    version: fc.constantFrom(1, 2),
    name: fc.oneof(fc.constant("fuzz"), hostileString),
    description: hostileString,
    addressPlan: fc.constantFrom("10.0.0.0/24", "x", "fd00::/64"),
    nodes: fc.array(node, { maxLength: 6 }),
    links: fc.array(link, { maxLength: 6 }),
    exercise: anyValue,
  },
  { requiredKeys: ["nodes"] },
);

/** A value reached by walking `path` into `doc` and replaced (or deleted) there. */
function mutate(doc: unknown, steps: { at: number; op: "set" | "delete" | "key"; value: unknown; key: string }[]): unknown {
  const root = structuredClone(doc);
  for (const step of steps) {
    let cur: unknown = root;
    // walk down a few levels, choosing children by `at`
    for (let depth = 0; depth < 4 && typeof cur === "object" && cur !== null; depth++) {
      const keys = Object.keys(cur);
      if (keys.length === 0) break;
      const k = keys[(step.at + depth * 7) % keys.length]!;
      const child = (cur as Record<string, unknown>)[k];
      if (typeof child !== "object" || child === null || depth === 3 || (step.at >> depth) % 3 === 0) {
        const obj = cur as Record<string, unknown>;
        if (step.op === "delete") {
          if (Array.isArray(obj)) obj.splice(Number(k), 1);
          else delete obj[k];
        } else if (step.op === "key" && !Array.isArray(obj)) {
          Object.defineProperty(obj, step.key, { value: step.value, enumerable: true, writable: true, configurable: true });
        } else obj[k] = step.value;
        break;
      }
      cur = child;
    }
  }
  return root;
}

function neverThrows(r: Validated | ReturnType<typeof parseLabText>): void {
  if (r.ok) return;
  expect(r.issues.length).toBeGreaterThan(0);
  expect(r.issues.length).toBeLessThanOrEqual(MAX_ISSUES + 1);
  for (const i of r.issues) {
    expect(typeof i.message).toBe("string");
    expect(i.message.length).toBeLessThan(400);
  }
}

/** An accepted lab reads back the same from its own YAML. */
function roundTrips(r: Validated): void {
  if (!r.ok) return;
  const again = parseLabText(labToYaml(r.lab));
  if (!again.ok) throw new Error(`a valid lab does not read back: ${JSON.stringify(again.issues)}\n${labToYaml(r.lab)}`);
  expect(again.lab).toEqual(r.lab);
}

const RUNS = 300;
// YAML parsing is slow (about 1 ms a template on this machine, more when busy): fewer runs, more time
const TEXT_RUNS = 150;
const SLOW = 60_000;

describe("fuzz: nothing thrown, only problems", () => {
  it(
    "any value at all",
    () => {
      fc.assert(
        fc.property(anyValue, (v) => neverThrows(validateLab(v))),
        { numRuns: RUNS },
      );
    },
    SLOW,
  );

  it(
    "generated labs with hostile names, keys and values",
    () => {
      fc.assert(
        fc.property(lab, (doc) => {
          const r = validateLab(doc);
          neverThrows(r);
          roundTrips(r);
        }),
        { numRuns: RUNS },
      );
    },
    SLOW,
  );

  it(
    "the templates, mutated",
    () => {
      expect(templateTexts.length).toBeGreaterThan(3);
      const docs = templateTexts.map((t) => parseYaml(t) as unknown);
      for (const d of docs) {
        const r = validateLab(d);
        expect(r.ok).toBe(true);
        roundTrips(r); // a node's sysctls were once lost on the way back
      }
      const step = fc.record({
        at: fc.nat(1000),
        op: fc.constantFrom("set", "delete", "key"),
        value: anyValue,
        key: fc.constantFrom(...HOSTILE),
      }) as fc.Arbitrary<{ at: number; op: "set" | "delete" | "key"; value: unknown; key: string }>;
      fc.assert(
        fc.property(fc.nat(docs.length - 1), fc.array(step, { minLength: 1, maxLength: 4 }), (i, steps) => {
          const r = validateLab(mutate(docs[i], steps));
          neverThrows(r);
          roundTrips(r);
        }),
        { numRuns: RUNS },
      );
    },
    SLOW,
  );

  it(
    "the templates' text, broken at random",
    () => {
      const edit = fc.record({
        at: fc.nat(),
        cut: fc.nat(40),
        insert: fc.oneof(
          fc.string({ maxLength: 8 }),
          fc.constantFrom("&a ", "*a", "<<: *a\n", "[", "{", "\t", "\n  - ", ": ", "__proto__: 1\n", "!!js/function x", "%YAML 1.1\n", "---\n", "? "),
        ),
      });
      fc.assert(
        fc.property(fc.nat(templateTexts.length - 1), fc.array(edit, { minLength: 1, maxLength: 5 }), (i, edits) => {
          let text = templateTexts[i]!;
          for (const e of edits) {
            const at = e.at % (text.length + 1);
            text = text.slice(0, at) + e.insert + text.slice(at + e.cut);
          }
          neverThrows(parseLabText(text));
        }),
        { numRuns: TEXT_RUNS },
      );
    },
    SLOW,
  );
});
