// Fuzzing the protocol (issue 10): random payloads for every client event go through its
// schema, and the changes that pass go through applyChanges and validateLab, as the server
// runs them. Nothing may throw; what is refused comes back as issues.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseLab, validateLab, type Lab } from "@topolab/topology";
import { applyChanges, ChangeSchema } from "./changes";
import { clientEvents, type ClientEventName } from "./events";

const base: Lab = parseLab({
  name: "vzfuzz",
  nodes: [
    { name: "s1", kind: "switch" },
    { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } },
    { name: "h2", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.2/24"] } } },
    { name: "gw", kind: "nat", interfaces: { eth0: { addresses: ["10.0.0.254/24"] } } },
  ],
  links: [{ endpoints: ["h1:eth0", "s1"] }, { endpoints: ["h2:eth0", "s1"] }, { endpoints: ["gw:eth0", "s1"] }],
});

const HOSTILE = ["__proto__", "constructor", "toString", "hasOwnProperty", "h1", "h2", "s1", "gw", "eth0", "h1:eth0", "h1:eth0|s1:eth1", "", "x".repeat(100)];
const str = fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 12 }));
const ownKeys = (entries: [string, unknown][]) =>
  JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v ?? null)}`).join(",")}}`) as Record<string, unknown>;
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(null, true, false, 0, 1, -1, 2.5, 4094, 1e9),
    str,
    fc.array(tie("v"), { maxLength: 3 }),
    fc.array(fc.tuple(str, tie("v")), { maxLength: 3 }).map(ownKeys),
  ),
})).v;

/** Changes shaped like the real ones, with hostile names and any values. */
const change = fc.oneof(
  fc.record({
    type: fc.constant("addNode"),
    node: fc.record(
      {
        name: str,
        kind: fc.constantFrom("host", "router", "switch", "nat", "x"),
        interfaces: fc.array(fc.tuple(str, fc.record({ addresses: fc.array(str, { maxLength: 2 }) })), { maxLength: 2 }).map(ownKeys),
      },
      { requiredKeys: ["name", "kind"] },
    ),
  }),
  fc.record({
    type: fc.constant("updateNode"),
    name: str,
    set: fc
      .array(
        fc.tuple(fc.constantFrom("name", "kind", "interfaces", "routes", "label", "services", "stp", "type", "position", "defaultRoute", "__proto__"), value),
        { maxLength: 3 },
      )
      .map(ownKeys),
  }),
  fc.record({ type: fc.constant("removeNode"), name: str }),
  fc.record({ type: fc.constant("addLink"), link: fc.record({ endpoints: fc.tuple(str, str), vlan: value }, { requiredKeys: ["endpoints"] }) }),
  fc.record({
    type: fc.constant("updateLink"),
    link: str,
    set: fc.array(fc.tuple(fc.constantFrom("vlan", "trunk", "endpoints", "loss", "delay"), value), { maxLength: 2 }).map(ownKeys),
  }),
  fc.record({ type: fc.constant("removeLink"), link: str }),
  fc.record({
    type: fc.constant("moveNodes"),
    positions: fc.array(fc.tuple(str, fc.oneof(value, fc.record({ x: fc.double(), y: fc.double() }))), { maxLength: 3 }).map(ownKeys),
  }),
  fc.record({ type: fc.constant("updateLab"), set: fc.record({ description: value, addressPlan: value }, { requiredKeys: [] }) }),
  fc.record({
    type: fc.constant("replace"),
    document: fc
      .array(fc.tuple(fc.constantFrom("name", "nodes", "links", "description", "__proto__", "constructor", "x"), value), { maxLength: 4 })
      .map(ownKeys),
  }),
  value,
);

describe("fuzz: protocol payloads", () => {
  it("every client event's schema answers any payload without throwing", () => {
    const names = Object.keys(clientEvents) as ClientEventName[];
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.oneof(
          value,
          fc.record(
            {
              lab: str,
              node: str,
              id: str,
              cols: value,
              rows: value,
              data: value,
              changes: fc.array(change, { maxLength: 3 }),
              source: value,
              to: str,
              chars: value,
            },
            { requiredKeys: [] },
          ),
        ),
        (event, payload) => {
          const r = clientEvents[event].args.safeParse(payload);
          expect(typeof r.success).toBe("boolean");
        },
      ),
      { numRuns: 500 },
    );
  });

  it("changes that pass the schema apply or are refused with issues; the result validates or says why", () => {
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 4 }), (raw) => {
        const parsed = raw.map((c) => ChangeSchema.safeParse(c));
        const changes = parsed.filter((p) => p.success).map((p) => p.data);
        const before = JSON.stringify(base);
        const r = applyChanges(base, changes);
        expect(JSON.stringify(base)).toBe(before); // the lab itself is never touched
        if (!r.ok) {
          expect(r.issues.length).toBeGreaterThan(0);
          return;
        }
        const v = validateLab(r.document);
        if (!v.ok) expect(v.issues.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });
});
