// The lab's store before its document has come: a change is refused (it would be made blind,
// and could not be undone), and nothing is sent.

import { describe, expect, it } from "vitest";
import { LabStore } from "./labStore";

describe("a lab store without its document yet", () => {
  it("refuses a change, saying the lab is loading, and keeps nothing to undo", async () => {
    const store = new LabStore("demo");
    const r = await store.edit([{ type: "addNode", node: { name: "h1", kind: "host" } as never }], { label: "Add h1", quiet: true });
    expect(r).toEqual({ ok: false, error: { code: "busy", message: "lab demo is still loading: try again in a moment" } });
    expect(store.state.get().canUndo).toBe(false);
    expect(store.state.get().pending.size).toBe(0);
  });
});
