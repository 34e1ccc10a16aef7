// A service's environment at validation: what execve cannot pass (NUL), names a shell would
// not take, a PATH that searches relative directories, and topolab's own TOPOLAB_ names are
// refused with the field and the reason; the lab of issue 10 (PATH=/nonexistent) is judged here
// too. That its environment never reaches topolab's tools is proven on the kernel
// (packages/engine/src/spawnsafety.integration.test.ts).

import { describe, expect, it } from "vitest";
import { envProblem, validateLab } from "./validate";

function labWith(env: Record<string, unknown>, command: string[] = ["sleep", "1000"]) {
  return {
    name: "ow-env",
    nodes: [{ name: "h1", kind: "host", services: [{ type: "process", name: "svc", command, env }] }],
    links: [],
  };
}

function issues(env: Record<string, unknown>) {
  const v = validateLab(labWith(env));
  return v.ok ? [] : v.issues.map((i) => `${i.path}: ${i.message}`);
}

describe("service environment", () => {
  it("refuses a NUL in a value, naming the variable", () => {
    expect(issues({ GREETING: "a\u0000b" })).toEqual([expect.stringMatching(/^nodes\[0\]\.services\[0\]\.env\.GREETING: .*NUL/)]);
  });

  it("refuses a NUL or an invalid name as a key", () => {
    expect(issues({ "A\u0000B": "x" })).toHaveLength(1);
    expect(issues({ "A\u0000B": "x" })[0]).toMatch(/NUL/);
    for (const key of ["1ABC", "A-B", "A=B", "", "A B", "PATH\n"]) {
      const found = issues({ [key]: "x" });
      expect(found, key).toHaveLength(1);
      expect(found[0]).toMatch(/not an environment variable name/);
    }
  });

  it("refuses a PATH with an empty or relative entry", () => {
    expect(issues({ PATH: "/usr/bin::/bin" })[0]).toMatch(/PATH: has an empty entry/);
    expect(issues({ PATH: "bin:/usr/bin" })[0]).toMatch(/relative entry "bin"/);
    expect(issues({ PATH: "" })[0]).toMatch(/empty entry/);
  });

  it("refuses topolab's own TOPOLAB_ names", () => {
    expect(issues({ TOPOLAB_EXIT_FILE: "/etc/passwd" })[0]).toMatch(/TOPOLAB_EXIT_FILE.*topolab's own/);
  });

  it("the PATH service of issue 10: PATH=/nonexistent is a well-formed PATH, so validation passes it (no file system here); up fails it cleanly", () => {
    // a directory that does not exist on this machine may exist where the lab runs: the check
    // that it finds the program is the service's start (an ordinary, rolled-back failure)
    expect(issues({ PATH: "/nonexistent" })).toEqual([]);
    expect(envProblem("PATH", "/nonexistent")).toBeNull();
  });

  it("accepts ordinary variables", () => {
    expect(issues({ LANG: "C.UTF-8", PORT: "8080", _X1: "", PATH: "/opt/bin:/usr/bin" })).toEqual([]);
  });
});
