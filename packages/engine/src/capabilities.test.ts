import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bridgeNetfilter } from "./capabilities";

describe("br_netfilter, read from its sysctl", () => {
  const dir = mkdtempSync(join(tmpdir(), "topolab-caps-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string) => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };

  it("1: bridged IPv4 passes the firewall; 0: it does not", async () => {
    expect(await bridgeNetfilter(file("on", "1\n"))).toBe(true);
    expect(await bridgeNetfilter(file("off", "0\n"))).toBe(false);
  });

  it("no such file (br_netfilter not loaded): nothing is passed", async () => {
    expect(await bridgeNetfilter(join(dir, "absent"))).toBe(false);
  });

  it("anything else is an error naming the file, not a guess", async () => {
    await expect(bridgeNetfilter(file("odd", "yes\n"))).rejects.toThrow(/odd: expected 0 or 1/);
    await expect(bridgeNetfilter(dir)).rejects.toThrow();
  });
});
