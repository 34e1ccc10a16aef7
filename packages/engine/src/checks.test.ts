// The judging of exercise checks, on output recorded from the real tools (checks-fixtures/,
// taken from the ex-vlan exercise lab on this kind of machine). No root, no kernel.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Check } from "@topolab/topology";
import { judge, listeningPorts, ofportNames, parseFdbShow, probesFor, ProbeError, type ProbeContext, type ProbeResult } from "./checks";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "checks-fixtures", name), "utf8");
const ok = (stdout: string): ProbeResult => ({ type: "run", code: 0, stdout, stderr: "" });
const failed = (code: number, stderr: string, stdout = ""): ProbeResult => ({ type: "run", code, stdout, stderr });
const base = { id: "c1", description: "d", withinMs: 0 };
const check = <T extends Check["kind"]>(c: Omit<Extract<Check, { kind: T }>, "id" | "description" | "withinMs"> & { kind: T }): Check =>
  ({ ...base, ...c }) as unknown as Check;

const ctx: ProbeContext = {
  ns: (n) => `tl.lab.${n}`,
  bridge: (n) => `tag-${n}`,
  switchType: (n) => (n === "lb" ? "bridge" : "ovs"),
  switchPort: (n, i) => `tag-${n}-${i}`,
  leaseFile: (n, i) => `/run/${n}/${i}.leases`,
};

describe("probes", () => {
  it("run inside the node, by argument vector, with the user's values as separate arguments", () => {
    expect(probesFor(check({ kind: "reach", from: "h1", to: "h2; rm -rf /" }), ctx)).toEqual([
      { type: "run", ns: "tl.lab.h1", argv: ["ping", "-c", "1", "-i", "0.2", "-w", "2", "-n", "h2; rm -rf /"], timeoutMs: 5000 },
    ]);
    expect(probesFor(check({ kind: "reach", from: "h1", to: "h2", expect: "failure" }), ctx)[0]).toMatchObject({
      argv: ["ping", "-c", "1", "-i", "0.2", "-w", "3", "-n", "h2"],
    });
    const tcp = probesFor(check({ kind: "reach", from: "h1", to: "10.0.0.2", protocol: "tcp", port: 22 }), ctx)[0]!;
    expect(tcp.type === "run" && tcp.argv.slice(0, 2)).toEqual(["python3", "-c"]);
    expect(tcp.type === "run" && tcp.argv.slice(3)).toEqual(["10.0.0.2", "22", "2"]);
    expect(probesFor(check({ kind: "lease", node: "red", interface: "eth0" }), ctx)[0]).toEqual({ type: "file", path: "/run/red/eth0.leases" });
    const mac = probesFor(check({ kind: "mac-table", switch: "s1", host: "h1:eth0" }), ctx);
    expect(mac.map((p) => (p.type === "run" ? [p.ns, p.argv[0], p.argv.at(-1)] : null))).toEqual([
      ["tl.lab.h1", "ip", "eth0"],
      [null, "ovs-appctl", "tag-s1"],
      [null, "ovs-vsctl", "Interface"],
    ]);
    expect(probesFor(check({ kind: "mac-table", switch: "lb", host: "h1:eth0" }), ctx)[1]).toMatchObject({
      ns: null,
      argv: ["bridge", "-j", "fdb", "show", "br", "tag-lb"],
    });
  });
});

describe("judge", () => {
  it("reach: a reply passes, silence fails, and `expect: failure` turns both round", () => {
    const reply = ok("64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.081 ms\n");
    const silence = failed(1, "", "1 packets transmitted, 0 received, 100% packet loss");
    expect(judge(check({ kind: "reach", from: "h1", to: "h2" }), [reply])).toEqual({ status: "pass", seen: "h1 reaches h2 (0.081 ms)" });
    expect(judge(check({ kind: "reach", from: "h1", to: "h2" }), [silence])).toEqual({ status: "fail", seen: "h1 does not reach h2: no reply" });
    expect(judge(check({ kind: "reach", from: "h1", to: "h2", expect: "failure" }), [silence]).status).toBe("pass");
    expect(judge(check({ kind: "reach", from: "h1", to: "h2", expect: "failure" }), [reply])).toEqual({ status: "fail", seen: "h1 reaches h2, and must not" });
    expect(judge(check({ kind: "reach", from: "h1", to: "nope" }), [failed(2, "ping: nope: Temporary failure in name resolution")]).seen).toBe(
      "h1 does not reach nope: the name nope does not resolve",
    );
    expect(judge(check({ kind: "reach", from: "h1", to: "10.9.9.9" }), [failed(2, "ping: connect: Network is unreachable")]).seen).toBe(
      "h1 does not reach 10.9.9.9: destination unreachable",
    );
  });

  it("a probe that cannot start is an error of the check, not the student's failure", () => {
    expect(() => judge(check({ kind: "reach", from: "h1", to: "h2" }), [failed(127, "spawn ping ENOENT")])).toThrow(ProbeError);
  });

  it("address: exact, by subnet, and what was found when it is not there", () => {
    const addr = [ok(fixture("ip-addr-red.json"))];
    expect(judge(check({ kind: "address", node: "red", interface: "eth0", subnet: "10.50.50.0/24" }), addr)).toEqual({
      status: "pass",
      seen: "red:eth0 has 10.50.50.98/24",
    });
    expect(judge(check({ kind: "address", node: "red", interface: "eth0", address: "10.50.50.98" }), addr).status).toBe("pass");
    expect(judge(check({ kind: "address", node: "red", interface: "eth0", address: "10.50.50.98/16" }), addr).status).toBe("fail");
    expect(judge(check({ kind: "address", node: "red", interface: "eth0", subnet: "10.50.60.0/24" }), addr)).toEqual({
      status: "fail",
      seen: "expected an address in 10.50.60.0/24 on red:eth0, found 10.50.50.98/24",
    });
    expect(judge(check({ kind: "address", node: "red", interface: "eth1", subnet: "10.0.0.0/8" }), [failed(1, 'Device "eth1" does not exist.')]).seen).toBe(
      'red:eth1 is not there: Device "eth1" does not exist.',
    );
  });

  it("lease: from the dhclient lease file, on the interface, from the right server", () => {
    const results = [{ type: "file", text: fixture("dhclient.leases") } as ProbeResult, ok(fixture("ip-addr-red.json"))];
    expect(judge(check({ kind: "lease", node: "red", interface: "eth0", server: "10.50.50.2" }), results)).toEqual({
      status: "pass",
      seen: "red:eth0 leased 10.50.50.98 from 10.50.50.2",
    });
    expect(judge(check({ kind: "lease", node: "red", interface: "eth0", server: "10.50.50.3" }), results).seen).toBe(
      "expected a lease from 10.50.50.3 on red:eth0, found one from 10.50.50.2",
    );
    expect(judge(check({ kind: "lease", node: "red", interface: "eth0", subnet: "10.50.60.0/24" }), results).status).toBe("fail");
    expect(judge(check({ kind: "lease", node: "red", interface: "eth0" }), [{ type: "file", text: null }, ok("[]")]).seen).toBe("red:eth0 holds no DHCP lease");
    expect(judge(check({ kind: "lease", node: "red", interface: "eth0" }), [results[0]!, ok('[{"addr_info":[]}]')]).seen).toMatch(/not on the interface/);
  });

  it("route: the gateway and device `ip route get` answers", () => {
    const r = [ok(fixture("ip-route-get-default.json"))];
    expect(judge(check({ kind: "route", node: "red", to: "198.51.100.7", via: "10.50.50.2" }), r)).toEqual({
      status: "pass",
      seen: "red reaches 198.51.100.7 via 10.50.50.2 dev eth0",
    });
    expect(judge(check({ kind: "route", node: "red", to: "198.51.100.7", via: "10.50.50.1" }), r).seen).toBe(
      "expected red's route to 198.51.100.7 via 10.50.50.1, found via 10.50.50.2 dev eth0",
    );
    expect(judge(check({ kind: "route", node: "red", to: "10.50.50.2", dev: "eth0" }), [ok(fixture("ip-route-get-onlink.json"))]).status).toBe("pass");
    expect(
      judge(check({ kind: "route", node: "red", to: "198.51.100.7", via: "10.50.50.2" }), [failed(2, "RTNETLINK answers: Network is unreachable")]).seen,
    ).toBe("red has no route to 198.51.100.7: RTNETLINK answers: Network is unreachable");
  });

  it("listen: ports from ss, TCP and UDP, with the interface-bound form", () => {
    expect([...listeningPorts(fixture("ss-lt.txt"))]).toEqual([8080]);
    expect([...listeningPorts(fixture("ss-lu.txt"))]).toEqual([67]);
    expect(judge(check({ kind: "listen", node: "h", port: 8080 }), [ok(fixture("ss-lt.txt"))]).status).toBe("pass");
    expect(judge(check({ kind: "listen", node: "h", port: 8080, expect: "failure" }), [ok(fixture("ss-lt.txt"))]).seen).toBe(
      "h listens on TCP port 8080, and must not",
    );
    expect(judge(check({ kind: "listen", node: "h", port: 80 }), [ok("")]).seen).toBe("nothing in h listens on TCP port 80");
  });

  it("neighbour: the MAC it holds, after the optional ping", () => {
    const n = ok(fixture("ip-neigh.json"));
    expect(judge(check({ kind: "neighbour", node: "red", address: "10.50.50.2", mac: "02:00:00:00:01:02" }), [n])).toEqual({
      status: "pass",
      seen: "red knows 10.50.50.2 at 02:00:00:00:01:02 (delay)",
    });
    expect(judge(check({ kind: "neighbour", node: "red", address: "10.50.50.2", mac: "02:00:00:00:02:02", ping: true }), [ok(""), n]).seen).toBe(
      "expected 10.50.50.2 at 02:00:00:00:02:02 in red's neighbours, found 02:00:00:00:01:02",
    );
    expect(judge(check({ kind: "neighbour", node: "red", address: "10.50.50.3" }), [ok('[{"dst":"10.50.50.3","dev":"eth0","state":["FAILED"]}]')]).status).toBe(
      "fail",
    );
  });

  it("mac-table: OVS's fdb/show mapped to port names, Linux bridge's fdb", () => {
    expect(parseFdbShow(fixture("ovs-fdb-show.txt"))).toEqual([
      { port: 3, vlan: 100, mac: "02:00:00:00:01:02", age: 1 },
      { port: 2, vlan: 100, mac: "02:00:00:00:01:00", age: 0 },
      { port: 1, vlan: 100, mac: "02:00:00:00:02:00", age: 0 },
      { port: 4, vlan: 200, mac: "02:00:00:00:02:02", age: 0 },
    ]);
    const names = ofportNames(fixture("ovs-interface-ofport.json"));
    expect(names.get(2)).toBe("exvur-ovs1-eth1");
    const results = [ok(fixture("ip-addr-red.json")), ok(fixture("ovs-fdb-show.txt")), ok(fixture("ovs-interface-ofport.json"))];
    const c = check({ kind: "mac-table", switch: "ovs1", host: "red:eth0", port: "ovs1:eth1" });
    expect(judge(c, results, { portName: "exvur-ovs1-eth1" })).toEqual({ status: "pass", seen: "ovs1 learned red:eth0's MAC 02:00:00:00:01:00 on ovs1:eth1" });
    expect(judge(c, results, { portName: "exvur-ovs1-eth2" }).seen).toBe("ovs1 learned 02:00:00:00:01:00 on exvur-ovs1-eth1, expected ovs1:eth1");
    const lb = [ok(fixture("ip-addr-red.json")), ok('[{"mac":"02:00:00:00:01:00","ifname":"tag-lb-eth1","master":"tag-lb","state":""}]')];
    expect(judge(check({ kind: "mac-table", switch: "lb", host: "red:eth0" }), lb).status).toBe("pass");
    expect(judge(check({ kind: "mac-table", switch: "lb", host: "red:eth0" }), [lb[0]!, ok("[]")]).seen).toBe(
      "lb has not learned red:eth0's MAC 02:00:00:00:01:00",
    );
  });

  it("sysctl, http and command", () => {
    expect(judge(check({ kind: "sysctl", node: "r", key: "net.ipv4.ip_forward", value: 1 }), [ok("0\n")]).seen).toBe(
      "expected net.ipv4.ip_forward = 1 in r, found 0",
    );
    expect(judge(check({ kind: "http", from: "c", to: "10.0.0.1" }), [ok("200\n")])).toEqual({ status: "pass", seen: "http://10.0.0.1:80/ answers 200" });
    expect(judge(check({ kind: "http", from: "c", to: "10.0.0.1", status: 204 }), [ok("200\n")]).seen).toBe("expected 204 from http://10.0.0.1:80/, got 200");
    expect(
      judge(check({ kind: "http", from: "c", to: "10.0.0.1", expect: "failure" }), [failed(1, "", "ConnectionRefusedError: [Errno 111] Connection refused")])
        .status,
    ).toBe("pass");
    expect(judge(check({ kind: "command", node: "h", command: ["ip", "link"], match: "eth\\d" }), [ok("2: eth0: <UP>")]).status).toBe("pass");
    expect(judge(check({ kind: "command", node: "h", command: ["false"] }), [failed(1, "")]).seen).toBe("false exited with 1, expected 0");
    expect(
      judge(check({ kind: "command", node: "h", command: ["sleep", "99"] }), [{ type: "run", code: 143, stdout: "", stderr: "", timedOut: true }]).seen,
    ).toBe("sleep 99 did not finish in 10 s");
  });
});
