import { describe, expect, it } from "vitest";
import { Flow, Scrollback, WatcherFlow } from "./flow";

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

describe("WatcherFlow", () => {
  it("sends while the watcher keeps up, skips output once it owes more than the high-water mark, and asks for a redraw below the low one", () => {
    const f = new WatcherFlow(100, 20);
    expect(f.offer(60)).toBe(true);
    expect(f.offer(60)).toBe(true); // 120 owed: sent, but the next is not
    expect(f.offer(10)).toBe(false);
    expect(f.offer(5)).toBe(false);
    expect(f.missed).toBe(15);
    expect(f.acked(60)).toBe(false); // 60 owed: still too far behind
    expect(f.offer(7)).toBe(false); // it stays skipped until it is redrawn
    expect(f.acked(50)).toBe(true); // 10 owed: redraw
    expect(f.missed).toBe(0);
    f.redrawn(30);
    expect(f.pending).toBe(40);
    expect(f.offer(10)).toBe(true);
    expect(f.acked(1000)).toBe(false); // in step: no redraw
    expect(f.pending).toBe(0);
  });

  it("never asks for a redraw when it never fell behind", () => {
    const f = new WatcherFlow(100, 20);
    for (let i = 0; i < 50; i++) {
      expect(f.offer(30)).toBe(true);
      expect(f.acked(30)).toBe(false);
    }
  });
});
