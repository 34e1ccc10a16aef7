import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseNamespaceReads } from "./nsreads";

// recorded: actual.ts's READ_NAMESPACES_SCRIPT run by sh over a 2-host lab's namespaces and one that does not exist
const recorded = readFileSync(join(__dirname, "fixtures/nsreads.txt"), "utf8");
const asked = ["tl.pxr.h1", "tl.pxr.gone", "tl.pxr.h2"];

describe("parseNamespaceReads", () => {
  it("gives each namespace its exit code and its two JSON documents (addresses, routes), in the order asked", () => {
    const reads = parseNamespaceReads(recorded, asked);
    expect([...reads.keys()]).toEqual(asked);
    const h1 = reads.get("tl.pxr.h1")!;
    expect(h1.code).toBe(0);
    expect(h1.documents).toHaveLength(2);
    expect((h1.documents[0] as { ifname: string }[]).map((l) => l.ifname)).toEqual(["lo", "eth0"]);
    expect(h1.documents[1]).toEqual([]);
    expect(reads.get("tl.pxr.h2")!.code).toBe(0);
  });

  it("keeps a failed namespace's message as its text", () => {
    const gone = parseNamespaceReads(recorded, asked).get("tl.pxr.gone")!;
    expect(gone).toEqual({ code: 255, documents: [], text: 'Cannot open network namespace "tl.pxr.gone": No such file or directory' });
  });

  it("is an error when a namespace asked for has no answer (the runner died), naming it", () => {
    const cut = recorded.slice(0, recorded.indexOf("\x1ens tl.pxr.h2"));
    expect(() => parseNamespaceReads(cut, asked)).toThrow(/no answer for tl\.pxr\.h2/);
    const inside = recorded.slice(0, recorded.lastIndexOf("\x1eexit"));
    expect(() => parseNamespaceReads(inside, asked)).toThrow(/ends inside tl\.pxr\.h2's part/);
  });

  it("is an error when the output is out of order, outside a namespace's part, or not JSON after a success", () => {
    expect(() => parseNamespaceReads(recorded, ["tl.pxr.h2", "tl.pxr.gone", "tl.pxr.h1"])).toThrow(/expected tl\.pxr\.h2, got tl\.pxr\.h1/);
    expect(() => parseNamespaceReads(`stray\n${recorded}`, asked)).toThrow(/outside any namespace's part: "stray"/);
    expect(() => parseNamespaceReads("\x1ens a\nWarning: something\n\x1eexit 0\n", ["a"])).toThrow(/ip -n a succeeded but printed what is not JSON/);
  });
});
