import { describe, expect, it } from "vitest";
import { validateLab } from "@topolab/topology";
import { checkNodes, checkViews } from "./exercises";

describe("the nodes a check names", () => {
  it("for every kind, whatever its other fields hold (a listen check's port is a number)", () => {
    const v = validateLab({
      name: "n",
      nodes: [
        { name: "h1", kind: "host", interfaces: { eth0: {} } },
        { name: "h2", kind: "host", interfaces: { eth0: {} } },
        { name: "s1", kind: "switch" },
      ],
      links: [{ endpoints: ["h1:eth0", "s1:eth1"] }, { endpoints: ["h2:eth0", "s1:eth2"] }],
      exercise: {
        title: "t",
        checks: [
          { kind: "reach", description: "d", from: "h1", to: "h2" },
          { kind: "reach", description: "d", from: "h1", to: "10.0.0.9" },
          { kind: "listen", description: "d", node: "h2", port: 22 },
          { kind: "http", description: "d", from: "h2", to: "h1", port: 8080 },
          { kind: "mac-table", description: "d", switch: "s1", host: "h1:eth0", port: "s1:eth1" },
          { kind: "sysctl", description: "d", node: "h1", key: "net.ipv4.ip_forward", value: 1, hint: "h" },
        ],
      },
    });
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    const names = new Set(["h1", "h2", "s1"]);
    expect(v.lab.exercise!.checks.map((c) => checkNodes(c, names))).toEqual([["h1", "h2"], ["h1"], ["h2"], ["h2", "h1"], ["s1", "h1"], ["h1"]]);
    expect(checkViews(v.lab)[5]).toEqual({ id: "c6", kind: "sysctl", description: "d", hint: "h", nodes: ["h1"] });
  });
});
