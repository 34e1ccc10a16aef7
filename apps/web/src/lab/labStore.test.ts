// The lab's store before its document has come: a change is refused (it would be made blind,
// and could not be undone), and nothing is sent.

import { afterEach, describe, expect, it } from "vitest";
import { LabStore } from "./labStore";
import { saveHistory } from "./undoHistory";

describe("a lab store without its document yet", () => {
  it("refuses a change, saying the lab is loading, and keeps nothing to undo", async () => {
    const store = new LabStore("demo");
    const r = await store.edit([{ type: "addNode", node: { name: "h1", kind: "host" } as never }], { label: "Add h1", quiet: true });
    expect(r).toEqual({ ok: false, error: { code: "busy", message: "lab demo is still loading: try again in a moment" } });
    expect(store.state.get().canUndo).toBe(false);
    expect(store.state.get().pending.size).toBe(0);
  });

  afterEach(() => {
    delete (globalThis as { sessionStorage?: unknown }).sessionStorage;
  });

  it("keeps an undo step brought back from the session when Undo is pressed before the document has come", async () => {
    const kept = new Map<string, string>();
    const storage = {
      getItem: (k: string) => kept.get(k) ?? null,
      setItem: (k: string, v: string) => void kept.set(k, v),
      removeItem: (k: string) => void kept.delete(k),
    };
    (globalThis as { sessionStorage?: unknown }).sessionStorage = storage;
    saveHistory(storage, "demo", {
      undo: [{ label: "Add h1", undo: [{ type: "removeNode", name: "h1" }], redo: [{ type: "addNode", node: { name: "h1", kind: "host" } as never }] }],
      redo: [],
    });
    const store = new LabStore("demo");
    expect(store.state.get().canUndo).toBe(true);
    await store.undo();
    expect(store.state.get().canUndo).toBe(true);
    expect(store.state.get().canRedo).toBe(false);
    const saved = JSON.parse(kept.get([...kept.keys()][0]!)!) as { undo: unknown[] };
    expect(saved.undo).toHaveLength(1);
  });
});
