import { describe, expect, it } from "vitest";
import { validateLab } from "@topolab/topology";
import { draftOf, exerciseFromDraft, KIND_FIELDS, newCheck, placeOf, CHECK_KINDS } from "./form";

const lab = {
  name: "f",
  nodes: [
    { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } },
    { name: "s1", kind: "switch" },
  ],
  links: [{ endpoints: ["h1:eth0", "s1:eth1"] }],
  exercise: {
    title: "T",
    task: "do **it**",
    checks: [
      { kind: "reach", description: "d", from: "h1", to: "10.0.0.9", within: "5s", hint: "h" },
      { kind: "command", description: "c", node: "h1", command: ["ip", "-br", "link"], exit: 0, match: "eth0" },
      { kind: "neighbour", description: "n", node: "h1", address: "10.0.0.9", ping: true },
      { kind: "sysctl", description: "s", node: "h1", key: "net.ipv4.ip_forward", value: "1" },
    ],
  },
};

describe("exercise editor model", () => {
  it("round-trips a valid exercise through the forms unchanged", () => {
    const v = validateLab(lab);
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    const back = validateLab({ ...lab, exercise: exerciseFromDraft(draftOf(v.lab.exercise)) });
    expect(back.ok && back.lab.exercise).toEqual(v.lab.exercise);
  });

  it("has fields for every kind, and a new check of each kind that names its node validates once filled", () => {
    expect(Object.keys(KIND_FIELDS).sort()).toEqual([...CHECK_KINDS].sort());
    for (const kind of CHECK_KINDS) {
      const c = newCheck(kind, 0);
      expect(c.values["id"]).toBe("c1");
      expect(KIND_FIELDS[kind].some((f) => f.type === "node")).toBe(true);
    }
  });

  it("leaves empty fields out and turns numbers and flags into their types", () => {
    const out = exerciseFromDraft({
      title: " T ",
      task: "",
      checks: [
        { kind: "listen", values: { id: "a", description: "x", node: "h1", port: "8080", protocol: "", expect: "" } },
        { kind: "neighbour", values: { description: "y", node: "h1", address: "10.0.0.2", ping: "" } },
      ],
    });
    expect(out).toEqual({
      title: "T",
      checks: [
        { kind: "listen", id: "a", description: "x", node: "h1", port: 8080 },
        { kind: "neighbour", description: "y", node: "h1", address: "10.0.0.2" },
      ],
    });
  });

  it("places the server's messages on their check and field", () => {
    expect(placeOf("exercise.checks[3].from")).toEqual({ check: 3, field: "from" });
    expect(placeOf("exercise.title")).toEqual({ check: null, field: "title" });
    expect(placeOf("nodes[0].name")).toBe(null);
  });
});
