import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseNamespaceBatches } from "./executor";

// Recorded: `xargs -0 -n 5 /usr/sbin/ip` running `-n NS -force -batch FILE` for tl.bufx.h1
// (line 2 names a missing device), tl.bufx.gone (no such namespace: ip exits 255, xargs
// stops) and tl.bufx.h2 (never run).
const recorded = readFileSync(new URL("./fixtures/xargs-ip-batches.stderr.txt", import.meta.url), "utf8");
const dir = /Command failed (\/tmp\/topolab-batch-[^/]+)\//.exec(recorded)![1]!;
const names = ["tl.bufx.h1", "tl.bufx.gone", "tl.bufx.h2"];
const byFile = new Map(names.map((n, i) => [`${dir}/${n}`, i]));
const byNs = new Map(names.map((n, i) => [n, i]));

describe("parseNamespaceBatches: what xargs and ip said, per namespace's batch", () => {
  it("places a failed line by the file ip names, with the kernel's message", () => {
    const r = parseNamespaceBatches(recorded, byFile, byNs, 3);
    expect([...r.failed[0]!]).toEqual([[1, 'Cannot find device "nosuchdev"']]);
  });

  it("takes a namespace that cannot be entered as not run, and every batch after xargs stopped as never started", () => {
    const r = parseNamespaceBatches(recorded, byFile, byNs, 3);
    expect(r.whole.get(1)).toBe('Cannot open network namespace "tl.bufx.gone": No such file or directory');
    expect(r.whole.has(0)).toBe(false);
    expect(r.notRun).toEqual([2]);
    expect(r.stopped).toBe("xargs: /usr/sbin/ip: exited with status 255; aborting");
    expect(r.unplaced).toEqual([]);
  });

  it("says nothing failed when nothing was printed", () => {
    const r = parseNamespaceBatches("", byFile, byNs, 3);
    expect(r.failed.every((f) => f.size === 0)).toBe(true);
    expect(r.whole.size).toBe(0);
    expect(r.notRun).toEqual([]);
    expect(r.stopped).toBeNull();
  });

  it("keeps output that names no batch apart; a program killed stops the batches after the last one heard of", () => {
    const r = parseNamespaceBatches(
      `RTNETLINK answers: File exists\nCommand failed ${dir}/tl.bufx.h1:1\nsomething odd\n/usr/bin/xargs: /usr/sbin/ip: terminated by signal 9\n`,
      byFile,
      byNs,
      3,
    );
    expect([...r.failed[0]!]).toEqual([[0, "RTNETLINK answers: File exists"]]);
    expect(r.notRun).toEqual([1, 2]);
    expect(r.stopped).toBe("/usr/bin/xargs: /usr/sbin/ip: terminated by signal 9");
    expect(r.unplaced).toEqual(["something odd"]);
    expect(parseNamespaceBatches("warning: odd\n", byFile, byNs, 3).unplaced).toEqual(["warning: odd"]);
  });
});
