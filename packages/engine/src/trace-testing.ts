// Test support (not part of the product): the lab the trace tests use, both in the unit tests
// (the traceroute fixtures were recorded in it, under 10.1.0.0/16) and on the real kernel (under
// a /16 of the test file's own): h1 and h3 on two OVS switches (s1 — s2), a router r1 between
// them and a Linux bridge b1 with h2.

import { parseLab, type Lab } from "@topolab/topology";

/** The trace lab named `name`, its addresses under `net` ("10.1": h1 10.1.10.2, r1 10.1.10.1 and 10.1.20.1, h2 10.1.20.2). */
export function traceLab(name: string, net: string): Lab {
  return parseLab({
    name,
    nodes: [
      { name: "h1", kind: "host", interfaces: { eth0: { addresses: [`${net}.10.2/24`] } }, routes: [{ to: "default", via: `${net}.10.1` }] },
      { name: "h3", kind: "host", interfaces: { eth0: { addresses: [`${net}.10.3/24`] } } },
      { name: "s1", kind: "switch" },
      { name: "s2", kind: "switch" },
      { name: "r1", kind: "router", interfaces: { eth0: { addresses: [`${net}.10.1/24`] }, eth1: { addresses: [`${net}.20.1/24`] } } },
      { name: "b1", kind: "switch", type: "bridge" },
      { name: "h2", kind: "host", interfaces: { eth0: { addresses: [`${net}.20.2/24`] } }, routes: [{ to: `${net}.10.0/24`, via: `${net}.20.1` }] },
    ],
    links: [
      { endpoints: ["h1:eth0", "s1:eth1"] },
      { endpoints: ["s1:eth2", "s2:eth2"] },
      { endpoints: ["h3:eth0", "s2:eth1"] },
      { endpoints: ["r1:eth0", "s2:eth3"] },
      { endpoints: ["r1:eth1", "b1:eth1"] },
      { endpoints: ["h2:eth0", "b1:eth2"] },
    ],
  });
}
