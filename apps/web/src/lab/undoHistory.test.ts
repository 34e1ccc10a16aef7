import { describe, expect, it } from "vitest";
import { historyKey, loadHistory, renameHistory, saveHistory, type History } from "./undoHistory";

/** an in-memory Storage with a quota, as a browser's sessionStorage behaves */
class MemoryStorage {
  map = new Map<string, string>();
  constructor(private readonly quota = Infinity) {}
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    if (v.length > this.quota) throw new DOMException("quota", "QuotaExceededError");
    this.map.set(k, v);
  }
  removeItem(k: string) {
    this.map.delete(k);
  }
}

const step = (n: number) => ({
  label: `Add h${n}`,
  undo: [{ type: "removeNode" as const, name: `h${n}` }],
  redo: [{ type: "addNode" as const, node: { name: `h${n}`, kind: "host" as const } }],
});

describe("undo history in session storage", () => {
  it("comes back after a reload, per lab", () => {
    const s = new MemoryStorage();
    const h: History = { undo: [step(1), step(2)], redo: [step(3)] };
    saveHistory(s, "wb-a", h);
    expect(loadHistory(s, "wb-a")).toEqual(h);
    expect(loadHistory(s, "wb-b")).toEqual({ undo: [], redo: [] });
  });

  it("ignores and drops what is not a valid history", () => {
    const s = new MemoryStorage();
    s.setItem(historyKey("wb-a"), JSON.stringify({ version: 1, undo: [{ label: "x", undo: [{ type: "dropTables" }], redo: [] }], redo: [] }));
    expect(loadHistory(s, "wb-a")).toEqual({ undo: [], redo: [] });
    expect(s.getItem(historyKey("wb-a"))).toBeNull();
    s.setItem(historyKey("wb-a"), "{not json");
    expect(loadHistory(s, "wb-a")).toEqual({ undo: [], redo: [] });
  });

  it("keeps the newest steps when storage is short", () => {
    const s = new MemoryStorage(600);
    const undo = Array.from({ length: 20 }, (_, i) => step(i));
    saveHistory(s, "wb-a", { undo, redo: [] });
    const back = loadHistory(s, "wb-a").undo;
    expect(back.length).toBeGreaterThan(0);
    expect(back.length).toBeLessThan(20);
    expect(back.at(-1)).toEqual(undo.at(-1));
  });

  it("follows a rename, and an empty history leaves nothing behind", () => {
    const s = new MemoryStorage();
    saveHistory(s, "wb-a", { undo: [step(1)], redo: [] });
    renameHistory(s, "wb-a", "wb-b");
    expect(loadHistory(s, "wb-b").undo).toHaveLength(1);
    expect(s.getItem(historyKey("wb-a"))).toBeNull();
  });
});
