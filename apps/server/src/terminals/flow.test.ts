import { describe, expect, it } from "vitest";
import { Flow, Scrollback } from "./flow";

describe("Flow", () => {
  it("pauses above the high-water mark and resumes below the low one", () => {
    const f = new Flow(100, 20);
    expect(f.sent(60)).toBe(false);
    expect(f.sent(60)).toBe(true); // 120 owed: pause
    expect(f.sent(60)).toBe(false); // already paused
    expect(f.acked(100)).toBe(false); // 80 owed: still paused
    expect(f.acked(70)).toBe(true); // 10 owed: resume
    expect(f.acked(1000)).toBe(false);
    expect(f.pending).toBe(0);
  });

  it("starts from nothing owed when a browser attaches", () => {
    const f = new Flow(10, 5);
    f.sent(50);
    expect(f.reset()).toBe(true);
    expect(f.reset()).toBe(false);
  });
});

describe("Scrollback", () => {
  it("keeps the most recent output up to its bound", () => {
    const s = new Scrollback(10);
    s.push("abc");
    s.push("defgh");
    expect(s.text()).toBe("abcdefgh");
    s.push("ijklm");
    expect(s.text()).toBe("defghijklm");
    s.push("0123456789ABC");
    expect(s.text()).toBe("3456789ABC");
  });
});
