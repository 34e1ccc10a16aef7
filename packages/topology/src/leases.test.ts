import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LEASE_NAMES_SH, parseLeaseLine, withLeaseLines, withoutLeaseLines } from "./leases";

const doc = "# /etc/hosts of lab x\n127.0.0.1\tlocalhost\n10.50.50.2\tdhcp-r\n";

describe("lease lines in a hosts file", () => {
  it("are told from the document's lines", () => {
    expect(parseLeaseLine("10.50.50.57\tgreen\t# topolab-lease green eth0")).toEqual({ address: "10.50.50.57", node: "green", iface: "eth0" });
    expect(parseLeaseLine("10.50.50.2\tdhcp-r")).toBeNull();
    expect(parseLeaseLine("10.50.50.57\tred\t# topolab-lease green eth0")).toBeNull();
  });
  it("are left out of what the engine compares, and carried over when it writes, for nodes still there", () => {
    const file = `${doc}10.50.50.57\tgreen\t# topolab-lease green eth0\n10.50.50.58\tred\t# topolab-lease red eth0\n`;
    expect(withoutLeaseLines(file)).toBe(`${doc}`);
    expect(withoutLeaseLines(doc)).toBe(doc);
    const next = `${doc}10.9.9.9\tnew\n`;
    expect(withLeaseLines(next, file, (n) => n !== "red")).toBe(`${next}10.50.50.57\tgreen\t# topolab-lease green eth0\n`);
    expect(withLeaseLines(next, doc, () => true)).toBe(next);
  });
  it("are written by the client script's function into every hosts file of the lab, in place, and taken out", () => {
    const dir = mkdtempSync(join(tmpdir(), "topolab-leases-"));
    try {
      for (const n of ["red", "green"]) {
        mkdirSync(join(dir, `tl.x.${n}`));
        writeFileSync(join(dir, `tl.x.${n}`, "hosts"), doc);
      }
      mkdirSync(join(dir, "tl.xy.other"));
      writeFileSync(join(dir, "tl.xy.other", "hosts"), doc);
      const call = (node: string, iface: string, address: string) =>
        execFileSync("sh", ["-c", `${LEASE_NAMES_SH}\nlease_names "$@"`, "sh", ...(address ? [address] : [])], {
          env: {
            PATH: process.env["PATH"],
            TOPOLAB_NODE: node,
            TOPOLAB_HOSTS_PREFIX: join(dir, "tl.x."),
            TOPOLAB_HOSTS_LOCK: join(dir, "lock"),
            interface: iface,
          },
        });
      call("green", "eth0", "10.50.50.57");
      call("green", "eth0", "10.50.50.60"); // renewed with another address: one line, the new one
      call("red", "eth0", "10.50.50.58");
      const green = `10.50.50.60\tgreen\t# topolab-lease green eth0\n`;
      const red = `10.50.50.58\tred\t# topolab-lease red eth0\n`;
      expect(readFileSync(join(dir, "tl.x.red", "hosts"), "utf8")).toBe(doc + green + red);
      expect(readFileSync(join(dir, "tl.x.green", "hosts"), "utf8")).toBe(doc + green + red);
      expect(readFileSync(join(dir, "tl.xy.other", "hosts"), "utf8")).toBe(doc); // another lab's
      call("green", "eth0", "");
      expect(readFileSync(join(dir, "tl.x.red", "hosts"), "utf8")).toBe(doc + red);
      expect(withoutLeaseLines(readFileSync(join(dir, "tl.x.red", "hosts"), "utf8"))).toBe(doc);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
