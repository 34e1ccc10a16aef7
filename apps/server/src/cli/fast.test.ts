import { describe, expect, it } from "vitest";
import { quickCommand } from "./fast";

describe("quickCommand: which argument lists fast.ts answers without main.ts", () => {
  it("takes the plain forms of status and exec", () => {
    for (const argv of [
      ["status"],
      ["status", "demo"],
      ["status", "--json"],
      ["status", "demo", "--json"],
      ["status", "--json", "demo"],
      ["exec", "demo", "h1", "--", "ping", "-c1", "h2"],
      ["exec", "demo", "h1", "ip", "-br", "addr"],
      ["exec", "demo", "h1", "--", "--help"],
    ]) {
      expect(quickCommand(argv), argv.join(" ")).toBeTypeOf("function");
    }
  });

  it("leaves everything else to main.ts (help, other options, usage errors, other commands)", () => {
    for (const argv of [
      [],
      ["--help"],
      ["status", "--help"],
      ["status", "-h"],
      ["status", "a", "b"],
      ["status", "--json", "--json"],
      ["status", "--json=true"],
      ["status", ""],
      ["exec"],
      ["exec", "demo"],
      ["exec", "demo", "h1"],
      ["exec", "demo", "h1", "--"],
      ["exec", "--help"],
      ["exec", "demo", "--help"],
      ["exec", "-x", "h1", "--", "true"],
      ["up", "--topo", "single,3"],
      ["shell", "demo", "h1"],
      ["statusx"],
    ]) {
      expect(quickCommand(argv), argv.join(" ")).toBeNull();
    }
  });
});
