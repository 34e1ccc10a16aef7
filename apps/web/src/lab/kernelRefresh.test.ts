import { describe, expect, it } from "vitest";
import { parseLabText } from "@topolab/topology";
import { waitsForLease } from "./kernelRefresh";
import type { NodeStatus } from "./labStore";

const r = parseLabText(`
version: 1
name: wb-lease
nodes:
  - { name: red, kind: host, interfaces: { eth0: { dhcp: true } } }
  - { name: srv, kind: host, interfaces: { eth0: { addresses: [10.0.0.2/24] } } }
  - { name: s1, kind: switch }
links:
  - { endpoints: [red:eth0, s1:eth1] }
  - { endpoints: [srv:eth0, s1:eth2] }
`);
if (!r.ok) throw new Error(JSON.stringify(r.issues));
const lab = r.lab;
const status = (addresses: string[]) =>
  ({ name: "red", state: "up", problems: [], interfaces: [{ name: "eth0", state: "up", addresses }] }) as unknown as NodeStatus;

describe("waitsForLease", () => {
  it("is true while a DHCP interface has no IPv4 address in the kernel", () => {
    expect(waitsForLease(lab, "red", status([]))).toBe(true);
    expect(waitsForLease(lab, "red", status(["fe80::1/64"]))).toBe(true);
    expect(waitsForLease(lab, "red", status(["10.50.50.12/24"]))).toBe(false);
  });
  it("is false for nodes without DHCP, unknown nodes, or no status yet", () => {
    expect(waitsForLease(lab, "srv", status([]))).toBe(false);
    expect(waitsForLease(lab, "s1", status([]))).toBe(false);
    expect(waitsForLease(lab, "nope", status([]))).toBe(false);
    expect(waitsForLease(lab, "red", undefined)).toBe(false);
    expect(waitsForLease(null, null, undefined)).toBe(false);
  });
});
