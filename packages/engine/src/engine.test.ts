import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { vanishedNamespace } from "./engine";

// Recorded (iproute2 6.1), by hand: `ip netns exec tl.hrv.gone true` with no such namespace, and
// `ip -n tl.hrv.r1 link` (tc -n and ip netns exec say the same) on a name whose namespace was
// unmounted but not yet removed (in a private mount namespace: an empty file under /run/netns).
const [gone, unmounted] = readFileSync(new URL("./fixtures/vanished-namespace.stderr.txt", import.meta.url), "utf8").split("\n") as [string, string];

describe("vanishedNamespace: the status read is tried again only when a namespace of the lab went away", () => {
  it("names the namespace iproute2 could not open or enter", () => {
    expect(vanishedNamespace("hrv", gone)).toBe("tl.hrv.gone");
    expect(vanishedNamespace("hrv", unmounted)).toBe("tl.hrv.r1");
  });

  it("finds it inside the readers' own wording (a sysctl read, a loss rules read)", () => {
    expect(vanishedNamespace("hrv", `cannot read the sysctls net.ipv4.ip_forward of tl.hrv.gone: ${gone}`)).toBe("tl.hrv.gone");
    expect(vanishedNamespace("hrv", `reading the loss rules of r1 (nft -j list ruleset netdev in tl.hrv.r1) failed: ${unmounted}`)).toBe("tl.hrv.r1");
  });

  it("is null for a namespace of another lab, or not topolab's", () => {
    expect(vanishedNamespace("other", gone)).toBeNull();
    expect(vanishedNamespace("hrv", 'Cannot open network namespace "blue": No such file or directory')).toBeNull();
  });

  it("is null for any other failure, of the same namespace too", () => {
    expect(vanishedNamespace("hrv", 'Cannot open network namespace "tl.hrv.r1": Permission denied')).toBeNull();
    expect(vanishedNamespace("hrv", 'setting the network namespace "tl.hrv.r1" failed: Operation not permitted')).toBeNull();
    expect(vanishedNamespace("hrv", "reading namespace tl.hrv.r1 failed (ip -n tl.hrv.r1 -batch): exit 1")).toBeNull();
    expect(vanishedNamespace("hrv", "ip -j -d addr show failed: Cannot allocate memory")).toBeNull();
  });
});
