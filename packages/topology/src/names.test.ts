import { describe, expect, it } from "vitest";
import {
  aliasLab,
  hash53,
  ifNameProblem,
  labNameProblem,
  labTagCandidates,
  MAX_IFNAME,
  nodeNameProblem,
  nsName,
  ownerAlias,
  parseNsName,
  rootIfName,
} from "./names";

const bytes = (s: string) => new TextEncoder().encode(s).length;

describe("ifNameProblem", () => {
  it.each(["eth0", "eth0.100", "e", "_x", "a-b", "A_b.c-d", "veth15charsxxxx", "lo"])("accepts %j", (name) => {
    expect(ifNameProblem(name)).toBeNull();
  });

  it("refuses non-text and empty names", () => {
    expect(ifNameProblem(5)).toBe("must be a text");
    expect(ifNameProblem(undefined)).toBe("must be a text");
    expect(ifNameProblem("")).toBe("is empty");
  });

  it("counts bytes, not characters: at most 15", () => {
    expect("abcdefghijklmno".length).toBe(15);
    expect(ifNameProblem("abcdefghijklmno")).toBeNull();
    expect(ifNameProblem("abcdefghijklmnop")).toBe('"abcdefghijklmnop" is 16 bytes; interface names are at most 15');
    // eight characters, sixteen bytes
    expect(ifNameProblem("éééééééé")).toBe('"éééééééé" is 16 bytes; interface names are at most 15');
  });

  it("refuses white space", () => {
    expect(ifNameProblem("eth 0")).toBe('"eth 0" contains white space, which the kernel refuses in interface names');
    expect(ifNameProblem("eth\t0")).toBe('"eth\t0" contains white space, which the kernel refuses in interface names');
    expect(ifNameProblem("eth0\n")).toBe('"eth0\n" contains white space, which the kernel refuses in interface names');
  });

  it('refuses "/" and ":"', () => {
    expect(ifNameProblem("eth/0")).toBe('"eth/0" contains "/", which the kernel refuses in interface names');
    expect(ifNameProblem("eth0:1")).toBe('"eth0:1" contains ":", which the kernel refuses in interface names');
  });

  it('refuses a leading "-" (it would read as an option)', () => {
    expect(ifNameProblem("-eth0")).toBe('"-eth0" starts with "-", which commands would read as an option');
    expect(ifNameProblem("eth-0")).toBeNull();
  });

  it('refuses ".", ".." and the sysctl directories "all" and "default"', () => {
    expect(ifNameProblem(".")).toBe('"." is not a valid interface name');
    expect(ifNameProblem("..")).toBe('".." is not a valid interface name');
    expect(ifNameProblem("all")).toBe('"all" is reserved (it names a sysctl directory under /proc/sys/net/*/conf)');
    expect(ifNameProblem("default")).toBe('"default" is reserved (it names a sysctl directory under /proc/sys/net/*/conf)');
    expect(ifNameProblem("all0")).toBeNull();
  });

  it("refuses other characters with the allowed set", () => {
    const msg = (n: string) => `"${n}" may hold only letters, digits, ".", "-" and "_", and must start with a letter, digit or "_"`;
    expect(ifNameProblem("eth0@x")).toBe(msg("eth0@x"));
    expect(ifNameProblem(".eth0")).toBe(msg(".eth0"));
    expect(ifNameProblem("eth$0")).toBe(msg("eth$0"));
    expect(ifNameProblem("étha")).toBe(msg("étha"));
  });
});

describe("labNameProblem / nodeNameProblem", () => {
  it("accepts the usual names", () => {
    for (const n of ["demo", "lab-1", "a", "0lab", "my_lab", "x".repeat(32)]) expect(labNameProblem(n)).toBeNull();
    for (const n of ["h1", "H1", "dhcp-r", "Router_A", "0", "x".repeat(32)]) expect(nodeNameProblem(n)).toBeNull();
  });

  it("lab names are lower case only", () => {
    const msg = (n: string) => `"${n}" may hold only lower-case letters, digits, "-" and "_", and must start with a letter or digit`;
    expect(labNameProblem("Demo")).toBe(msg("Demo"));
    expect(labNameProblem("-demo")).toBe(msg("-demo"));
    expect(labNameProblem("_demo")).toBe(msg("_demo"));
    expect(labNameProblem("de.mo")).toBe(msg("de.mo"));
    expect(labNameProblem("de mo")).toBe(msg("de mo"));
  });

  it("node names refuse dots, spaces and leading punctuation", () => {
    const msg = (n: string) => `"${n}" may hold only letters, digits, "-" and "_", and must start with a letter or digit`;
    expect(nodeNameProblem("h.1")).toBe(msg("h.1"));
    expect(nodeNameProblem("a b")).toBe(msg("a b"));
    expect(nodeNameProblem("-h1")).toBe(msg("-h1"));
    expect(nodeNameProblem("h1:eth0")).toBe(msg("h1:eth0"));
  });

  it("length and type", () => {
    expect(labNameProblem("x".repeat(33))).toBe(`"${"x".repeat(33)}" is 33 characters; a lab name has at most 32`);
    expect(nodeNameProblem("x".repeat(33))).toBe(`"${"x".repeat(33)}" is 33 characters; a node name has at most 32`);
    expect(labNameProblem("")).toBe("is empty");
    expect(nodeNameProblem("")).toBe("is empty");
    expect(labNameProblem(null)).toBe("must be a text");
    expect(nodeNameProblem(3)).toBe("must be a text");
  });
});

describe("namespace names", () => {
  it("nsName is tl.<lab>.<node>", () => {
    expect(nsName("demo", "h1")).toBe("tl.demo.h1");
    expect(nsName("my-lab", "dhcp-r")).toBe("tl.my-lab.dhcp-r");
  });

  it("parseNsName undoes nsName", () => {
    for (const [lab, node] of [
      ["demo", "h1"],
      ["my-lab_2", "Router_A-1"],
      ["a", "B"],
      ["x".repeat(32), "y".repeat(32)],
    ] as const) {
      expect(parseNsName(nsName(lab, node))).toEqual({ lab, node });
    }
  });

  it("parseNsName refuses what is not topolab's", () => {
    expect(parseNsName("demo.h1")).toBeNull();
    expect(parseNsName("tl.demo")).toBeNull();
    expect(parseNsName("tl.Demo.h1")).toBeNull();
    expect(parseNsName("tl.demo.h1.x")).toBeNull();
    expect(parseNsName("tl..h1")).toBeNull();
    expect(parseNsName("tl.demo.")).toBeNull();
    expect(parseNsName("netns1")).toBeNull();
  });
});

describe("rootIfName", () => {
  it("is readable when it fits", () => {
    expect(rootIfName("demo", "s1", "eth1")).toBe("demo-s1-eth1");
    expect(rootIfName("demo", "s1")).toBe("demo-s1");
    // exactly 15 bytes still fits
    expect(rootIfName("demo", "sw12", "eth10")).toBe("demo-sw12-eth10");
  });

  it("falls back to tag_ and a hash, always 15 bytes at most", () => {
    const long = rootIfName("demo", "sw123", "eth10");
    expect(long).toMatch(/^demo_[0-9a-z]{10}$/);
    expect(long).toBe(rootIfName("demo", "sw123", "eth10"));
    expect(rootIfName("a", "switch-long-name", "eth0")).toMatch(/^a_[0-9a-z]{13}$/);
    expect(rootIfName("abcde", "switch-long-name", "eth0")).toMatch(/^abcde_[0-9a-z]{9}$/);
  });

  it("hashed names differ by parts, and never look like a readable name", () => {
    const seen = new Set<string>();
    for (const tag of ["a", "demo", "abcde"]) {
      for (const node of ["s1", "switch-long-name", "x".repeat(32), "dhcp-r"]) {
        for (const ifname of ["eth0", "eth1", "eth0.100", "x".repeat(15)]) {
          const name = rootIfName(tag, node, ifname);
          expect(bytes(name)).toBeLessThanOrEqual(MAX_IFNAME);
          expect(ifNameProblem(name)).toBeNull();
          expect(name.startsWith(`${tag}-`) || name.startsWith(`${tag}_`)).toBe(true);
          if (name.startsWith(`${tag}_`)) expect(name.length).toBe(MAX_IFNAME);
          expect(seen.has(name)).toBe(false);
          seen.add(name);
        }
      }
    }
    // parts are hashed apart: "a-b"+"c" and "a"+"b-c" do not hash alike
    expect(rootIfName("demo", "abcdef-gh", "ij")).not.toBe(rootIfName("demo", "abcdef", "gh-ij"));
  });
});

describe("labTagCandidates", () => {
  it("starts with the lab's name when it is a tag already", () => {
    expect(labTagCandidates("demo", 3)[0]).toBe("demo");
    expect(labTagCandidates("lab1", 1)).toEqual(["lab1"]);
    expect(labTagCandidates("x", 2)[0]).toBe("x");
  });

  it("otherwise uses the first letters and hash characters", () => {
    const tags = labTagCandidates("my-big-lab", 5);
    expect(tags).toEqual(["myb70", "mybqy", "myb13", "myb6z", "mybwp"]);
    expect(labTagCandidates("tutorial", 10).every((t) => t.startsWith("tut"))).toBe(true);
    expect(labTagCandidates("zz_top", 10).every((t) => t.startsWith("zzt"))).toBe(true);
  });

  it.each(["demo", "my-big-lab", "a_b-c", "abc", "abcdef", "x", "0", "tutorial", "z".repeat(32), "--__"])(
    "%j: 50 distinct tags of 1..5 letters and digits, never - or _, the same every time",
    (lab) => {
      const tags = labTagCandidates(lab);
      expect(tags).toHaveLength(50);
      expect(new Set(tags).size).toBe(50);
      for (const t of tags) {
        expect(t).toMatch(/^[a-z0-9]{1,5}$/);
        expect(t).not.toMatch(/[-_]/);
      }
      expect(labTagCandidates(lab)).toEqual(tags);
    },
  );

  it("count is honoured", () => {
    expect(labTagCandidates("demo", 1)).toEqual(["demo"]);
    expect(labTagCandidates("demo", 7)).toHaveLength(7);
  });

  it("hash53 is deterministic and seeded", () => {
    expect(hash53("demo")).toBe(hash53("demo"));
    expect(hash53("demo", 1)).not.toBe(hash53("demo", 0));
    expect(hash53("demo")).not.toBe(hash53("demp"));
    expect(Number.isSafeInteger(hash53("anything"))).toBe(true);
  });
});

describe("owner aliases", () => {
  it("ownerAlias and aliasLab round trip", () => {
    const alias = ownerAlias("demo", "link:h1:eth0|s1:eth1");
    expect(alias).toBe("topolab:demo:link:h1:eth0|s1:eth1");
    expect(aliasLab(alias)).toEqual({ lab: "demo", what: "link:h1:eth0|s1:eth1" });
  });

  it("an alias carries the owner of the state directory that made it, and old ones still read", () => {
    const alias = ownerAlias("demo", "link:h1:eth0|s1:eth1", "k3x9q2mz7a");
    expect(alias).toBe("topolab:demo@k3x9q2mz7a:link:h1:eth0|s1:eth1");
    expect(aliasLab(alias)).toStrictEqual({ lab: "demo", what: "link:h1:eth0|s1:eth1", owner: "k3x9q2mz7a" });
    // an old-format mark: a lab, no owner
    expect(aliasLab("topolab:demo:node:s1")).toStrictEqual({ lab: "demo", what: "node:s1" });
    // the longest alias fits the kernel's 255 bytes
    const long = ownerAlias("a".repeat(32), `link:${"n".repeat(32)}:${"i".repeat(15)}|${"m".repeat(32)}:${"j".repeat(15)}`, "z".repeat(16));
    expect(long.length).toBeLessThanOrEqual(255);
    expect(aliasLab(long)?.owner).toBe("z".repeat(16));
  });

  it("aliasLab refuses an owner part that is not an owner id", () => {
    expect(aliasLab("topolab:demo@:x")).toBeNull();
    expect(aliasLab("topolab:demo@AB CD:x")).toBeNull();
    expect(aliasLab("topolab:demo@abc:x")).toBeNull();
    expect(aliasLab("topolab:@k3x9q2mz7a:x")).toBeNull();
  });

  it("aliasLab refuses foreign aliases", () => {
    expect(aliasLab(undefined)).toBeNull();
    expect(aliasLab("")).toBeNull();
    expect(aliasLab("uplink to core")).toBeNull();
    expect(aliasLab("topolab:demo")).toBeNull();
    expect(aliasLab("topolab:Bad Lab:x")).toBeNull();
  });
});
