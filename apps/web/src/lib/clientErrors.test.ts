import { describe, expect, it } from "vitest";
import { labOfPath, ReportThrottle, toReport } from "./clientErrors";

describe("toReport", () => {
  it("carries the message with its kind of error, the stack, the panel, the lab and the page", () => {
    const r = toReport("boundary", new TypeError("l is not a function"), { panel: "command log", path: "/labs/wb%20x" });
    expect(r).toMatchObject({ kind: "boundary", message: "TypeError: l is not a function", panel: "command log", lab: "wb x", page: "/labs/wb%20x" });
    expect(r.stack).toContain("l is not a function");
  });
  it("reports things thrown that are not errors, within the server's limits", () => {
    const r = toReport("rejection", "x".repeat(5000), { path: "/" });
    expect(r.message).toHaveLength(2000);
    expect(r.lab).toBeUndefined();
    expect(toReport("error", undefined, { path: "/" }).message).toBe("undefined");
  });
});

describe("labOfPath", () => {
  it("names the lab of a lab page only", () => {
    expect(labOfPath("/labs/abc")).toBe("abc");
    expect(labOfPath("/labs/abc/")).toBe("abc");
    expect(labOfPath("/")).toBeUndefined();
    expect(labOfPath("/labs/%E0")).toBe("%E0");
  });
});

describe("ReportThrottle", () => {
  it("sends a message once and at most N a minute", () => {
    const t = new ReportThrottle(2);
    const r = (m: string) => toReport("error", new Error(m), { path: "/" });
    expect(t.allow(r("a"), 0)).toBe(true);
    expect(t.allow(r("a"), 1)).toBe(false);
    expect(t.allow(r("b"), 2)).toBe(true);
    expect(t.allow(r("c"), 3)).toBe(false);
    expect(t.allow(r("c"), 61_000)).toBe(true);
  });
});
