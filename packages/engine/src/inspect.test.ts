// readOvsPorts' ovs-vsctl runs, without root: the first names only the asked bridges, and the
// second, built from the first's recorded output, only those bridges' ports and interfaces; a
// later read of the same bridges asks for those rows in its first run. readOvsPorts itself, with
// the runs' recorded output for its exec: two runs, then one while the ports stay the same, two
// again when they change.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunResult } from "./exec";
import { ovsBridgePortsArgv, ovsPortRowsArgv, readOvsPorts } from "./inspect";
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

  it("a later read of the same bridges asks for the known rows in the same run", () => {
    const q = parseOvsBridgePorts(fx("ovs-bridge-ports.txt"));
    expect(ovsBridgePortsArgv(["hyfxbr0", "hyfxbr1"], q)).toEqual([...ovsBridgePortsArgv(["hyfxbr0", "hyfxbr1"]), ...ovsPortRowsArgv(q).slice(3)]);
  });
});

describe("readOvsPorts", () => {
  /** An exec that answers each command with its recorded output and keeps the commands. */
  function recorded(answers: (argv: string[]) => string) {
    const ran: string[][] = [];
    const exec = (argv: string[]): Promise<RunResult> => {
      ran.push(argv);
      return Promise.resolve({ code: 0, stdout: answers(argv), stderr: "" } as RunResult);
    };
    return { ran, exec };
  }
  const listsRows = (argv: string[]) => argv.includes("Port");

  it("two runs on a first read, then one while the bridges keep their ports; each time the same ports", async () => {
    // bridge names of this test's own: the reads it remembers are no other test's
    const bridges = ["hyfxbr0", "hyfxbr1"];
    const { ran, exec } = recorded((argv) =>
      !argv.includes("Bridge") ? fx("ovs-port-rows.json") : listsRows(argv) ? fx("ovs-bridge-ports-known.txt") : fx("ovs-bridge-ports.txt"),
    );
    const a = await readOvsPorts(bridges, exec);
    expect(ran.map((argv) => argv.includes("Bridge") + " " + listsRows(argv))).toEqual(["true false", "false true"]);
    const b = await readOvsPorts(bridges, exec);
    expect(ran).toHaveLength(3);
    expect(listsRows(ran[2]!) && ran[2]!.includes("Bridge")).toBe(true);
    expect(b).toEqual(a);
    expect(a.map((p) => p.name).sort()).toEqual(["hyfx-p1", "hyfx-p3", "hyfx-tr", "hyfxbr0", "hyfxbr1"]);
  });

  it("two runs again when a bridge's ports changed since the last read", async () => {
    const bridges = ["hyfxbr0", "hyfxbr1", "x"]; // another set of bridges: a first read of its own
    const rows = fx("ovs-port-rows.json");
    const first = fx("ovs-bridge-ports.txt");
    // the second read finds hyfx-p3 gone from hyfxbr1: its uuid no longer among the bridge's ports
    const p3 = (JSON.parse(rows.split("\n")[0]!) as { data: [[string, string], string][] }).data.find((r) => r[1] === "hyfx-p3")![0][1];
    const [bridgeTable, ...names] = first.split("\n");
    const gone = [bridgeTable!.replace(`["uuid","${p3}"]`, "").replace("[,", "[").replace(",]", "]"), ...names.filter((n) => n !== "hyfx-p3")].join("\n");
    expect(gone).not.toContain(p3);
    let reads = 0;
    const { ran, exec } = recorded((argv) => {
      if (!argv.includes("Bridge")) return rows;
      reads++;
      return reads === 1 ? first : `${gone}${rows}`;
    });
    await readOvsPorts(bridges, exec);
    const b = await readOvsPorts(bridges, exec);
    expect(ran).toHaveLength(4);
    expect(ran[3]!.includes("Bridge")).toBe(false);
    expect(ran[3]!).not.toContain(p3);
    expect(b.map((p) => p.name)).not.toContain("hyfx-p3");
  });
});
