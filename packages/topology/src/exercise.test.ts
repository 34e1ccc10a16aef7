import { describe, expect, it } from "vitest";
import { parseWithin, validateExercise } from "./exercise";
import { parseLabText, labToYaml } from "./labfile";
import { validateLab } from "./validate";

const lab = {
  name: "ex",
  nodes: [
    { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.1/24"] } } },
    { name: "h2", kind: "host", interfaces: { eth0: { addresses: ["10.0.0.2/24"] } } },
    { name: "s1", kind: "switch" },
  ],
  links: [{ endpoints: ["h1:eth0", "s1:eth1"] }, { endpoints: ["h2:eth0", "s1:eth2"] }],
};

function withChecks(checks: unknown[], extra: Record<string, unknown> = {}) {
  return validateLab({ ...lab, exercise: { title: "t", task: "do it", checks, ...extra } });
}

function issues(checks: unknown[]) {
  const r = withChecks(checks);
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
}

describe("exercise", () => {
  it("accepts every kind of check and gives each an id and its wait in ms", () => {
    const r = withChecks([
      { kind: "reach", description: "h1 reaches h2", from: "h1", to: "h2", within: "10s" },
      { kind: "reach", description: "tcp", from: "h1", to: "10.0.0.2", protocol: "tcp", port: 80, expect: "failure" },
      { kind: "address", description: "a", node: "h1", interface: "eth0", subnet: "10.0.0.77/24" },
      { kind: "route", description: "r", node: "h1", to: "10.0.0.2", dev: "eth0" },
      { kind: "lease", description: "l", node: "h1", interface: "eth0", server: "10.0.0.9" },
      { kind: "listen", description: "l", node: "h2", port: 80 },
      { kind: "http", description: "h", from: "h1", to: "h2", port: 8080, path: "/x", status: 204 },
      { kind: "neighbour", description: "n", node: "h1", address: "10.0.0.2", mac: "02:AA:00:00:00:01", ping: true },
      { id: "mac", kind: "mac-table", description: "m", switch: "s1", host: "h1:eth0", port: "s1:eth1" },
      { kind: "sysctl", description: "s", node: "h1", key: "net.ipv4.ip_forward", value: 1 },
      { kind: "command", description: "c", node: "h1", command: ["ip", "link"], match: "eth0" },
    ]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const checks = r.lab.exercise!.checks;
    expect(checks.map((c) => c.id)).toEqual(["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "mac", "c10", "c11"]);
    expect(checks[0]!.withinMs).toBe(10_000);
    expect(checks[1]!.withinMs).toBe(0);
    expect(checks[2]).toMatchObject({ subnet: "10.0.0.0/24" });
    expect(checks[7]).toMatchObject({ mac: "02:aa:00:00:00:01" });
  });

  it("names the place and the reason of each problem, all at once", () => {
    expect(
      issues([
        { kind: "reach", description: "x", from: "nobody", to: "h2" },
        { kind: "reach", description: "x", from: "s1", to: "not a name!" },
        { kind: "reach", description: "x", from: "h1", to: "h2", protocol: "tcp" },
        { kind: "address", description: "x", node: "h1", interface: "eth9" },
        { kind: "route", description: "x", node: "h1", to: "10.0.0.0/24" },
        { kind: "sysctl", description: "x", node: "h1", key: "ip_forward", value: 1 },
        { kind: "command", description: "x", node: "h1", command: ["true"], match: "(" },
        { kind: "mac-table", description: "x", switch: "h1", host: "h2", port: "s2:eth1" },
        { kind: "teleport", description: "x" },
        { kind: "reach", from: "h1", to: "h2", extra: 1 },
        { kind: "listen", description: "x", node: "h1", port: 80, within: "forever" },
        { id: "same", kind: "listen", description: "x", node: "h1", port: 80 },
        { id: "same", kind: "listen", description: "x", node: "h1", port: 81 },
      ]),
    ).toEqual([
      'exercise.checks[0].from: no node is named "nobody" (nodes: h1, h2, s1)',
      "exercise.checks[1].from: s1 is a switch: checks run inside a host or a router",
      'exercise.checks[1].to: "not a name!" is neither an IP address nor a node name',
      "exercise.checks[2].port: is required with protocol: tcp",
      "exercise.checks[3].interface: h1 has no interface eth9 (it has: eth0)",
      "exercise.checks[3]: needs an address or a subnet to look for",
      'exercise.checks[4].to: "10.0.0.0/24" is not an IP address (ip route get asks about one address)',
      "exercise.checks[4]: needs via (a gateway) or dev (an interface) to expect",
      "exercise.checks[5].key: must be a sysctl key such as net.ipv4.ip_forward",
      expect.stringMatching(/^exercise\.checks\[6\]\.match: is not a regular expression: /),
      "exercise.checks[7].switch: h1 is not a switch",
      'exercise.checks[7].host: "h2" must be "node:interface"',
      'exercise.checks[7].port: must be a port of h1 ("h1:ethN")',
      "exercise.checks[8].kind: must be one of reach, address, route, lease, listen, http, neighbour, mac-table, sysctl, command",
      "exercise.checks[9].description: is required",
      "exercise.checks[9].extra: is not a known field",
      'exercise.checks[10].within: "forever" is not a duration such as "10s", "500ms" or "1m"',
      'exercise.checks[12].id: "same" is already the id of checks[11]',
    ]);
  });

  it("refuses a malformed exercise with the field's path", () => {
    const r = validateLab({ ...lab, exercise: { task: 3, checks: "none" } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path).sort()).toEqual(["exercise.checks", "exercise.task", "exercise.title"]);
  });

  it("keeps a lab without an exercise as it was", () => {
    const r = validateLab(lab);
    expect(r.ok && r.lab.exercise).toBe(undefined);
  });

  it("parses retry windows and refuses long ones", () => {
    expect(parseWithin("500ms")).toBe(500);
    expect(parseWithin("1.5s")).toBe(1500);
    expect(parseWithin("2m")).toBe(120_000);
    expect(parseWithin("6m")).toMatch(/longer than the 5 minutes/);
  });

  it("round-trips through a lab file, with the windows as written", () => {
    const r = withChecks([{ kind: "reach", description: "h1 reaches h2", from: "h1", to: "h2", within: "10s", hint: "ping" }]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const text = labToYaml(r.lab);
    expect(text).toContain("within: 10s");
    expect(text).not.toContain("withinMs");
    const again = parseLabText(text);
    expect(again.ok && again.lab.exercise).toEqual(r.lab.exercise);
  });

  it("validates checks against the lab's nodes only when those are valid", () => {
    expect(validateExercise({ title: "t", checks: [{ kind: "listen", description: "d", node: "h1", port: 1 }] }, []).issues).toEqual([
      { path: "exercise.checks[0].node", message: 'no node is named "h1" (nodes: )' },
    ]);
  });
});
