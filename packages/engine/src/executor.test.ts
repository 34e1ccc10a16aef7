import { describe, expect, it } from "vitest";
import { ownedPath } from "./executor";

describe("the files the executor may write", () => {
  it("its namespaces' /etc/netns files, and the IPv6 switch of one root-side interface", () => {
    expect(ownedPath("/etc/netns/tl.demo.h1/hosts")).toBe(true);
    expect(ownedPath("/proc/sys/net/ipv6/conf/demo-s1-eth1/disable_ipv6")).toBe(true);
    expect(ownedPath("/proc/sys/net/ipv6/conf/a.b/disable_ipv6")).toBe(true);
  });

  it("never a machine-wide sysctl, another sysctl of an interface, or a path that climbs out", () => {
    for (const p of [
      "/proc/sys/net/ipv6/conf/all/disable_ipv6",
      "/proc/sys/net/ipv6/conf/default/disable_ipv6",
      "/proc/sys/net/ipv6/conf/lo/disable_ipv6",
      "/proc/sys/net/ipv6/conf/../disable_ipv6",
      "/proc/sys/net/ipv6/conf/demo-s1-eth1/forwarding",
      "/proc/sys/net/ipv4/ip_forward",
      "/proc/sys/net/ipv6/conf/name-longer-than-15/disable_ipv6",
      "/proc/sys/net/ipv6/conf/a/b/disable_ipv6",
      "/etc/netns/tl.demo.h1/../../passwd",
      "/etc/hosts",
    ])
      expect(ownedPath(p), p).toBe(false);
  });
});
