// readOvsPorts' ovs-vsctl runs, without root: the first names only the asked bridges, and the
// second, built from the first's recorded output, only those bridges' ports and interfaces.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ovsBridgePortsArgv, ovsPortRowsArgv } from "./inspect";
import { parseOvsBridgePorts } from "./parse/index";

const fx = (name: string) => readFileSync(join(import.meta.dirname, "parse", "fixtures", name), "utf8");

describe("readOvsPorts' commands", () => {
  it("the first lists the asked bridges and their interfaces, nothing of the machine's other bridges", () => {
    expect(ovsBridgePortsArgv(["hyfxbr0", "hyfxbr1"]).join(" ")).toBe(
      "ovs-vsctl --timeout=30 --format=json -- --columns=_uuid,name,ports list Bridge hyfxbr0 hyfxbr1 -- list-ifaces hyfxbr0 -- list-ifaces hyfxbr1",
    );
  });

  it("the second lists only the ports and interfaces the first named (the recorded run's)", () => {
    const q = parseOvsBridgePorts(fx("ovs-bridge-ports.txt"));
    expect(ovsPortRowsArgv(q).join(" ")).toBe(
      `ovs-vsctl --timeout=30 --format=json -- --if-exists --columns=_uuid,name,tag,trunks,vlan_mode,interfaces list Port ${q.ports.join(" ")} ` +
        "-- --if-exists --columns=_uuid,name,ofport,type,mac_in_use,statistics,link_state list Interface hyfxbr0 hyfxbr1 hyfx-p1 hyfx-tr hyfx-p3",
    );
    expect(q.ports).toHaveLength(5);
  });
});
