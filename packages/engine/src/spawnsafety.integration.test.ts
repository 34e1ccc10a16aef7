// Issue 10, case 3, on the real kernel: nothing a lab supplies can crash the process. A
// service whose `env` sets PATH=/nonexistent used to make the spawn of `ip` fail with an
// unhandled "error" event, which ended this very process (the test runner) half way through
// `up`. Now topolab's tools run by absolute path with topolab's environment: the service's
// environment reaches its own program only; a service that cannot start fails `up`, which rolls
// back to nothing, and this process goes on.

import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parseLab } from "@topolab/topology";
import { ApplyError } from "./engine";
import { findTool, run, tool, ToolMissingError, TRUSTED_DIRS } from "./exec";

import { alive } from "./processes";
import { leftovers, leftoversAfterSettling, pings } from "./testing";

import { engineSession } from "./testing-session";

const session = engineSession();
/** every lab of this file, to prove at the end that none left anything */
const everMade: string[] = [];
const own = (name: string) => {
  session.labs.add(name);
  everMade.push(name);
};

const labName = (what: string) => `ow-${what}-${Math.random().toString(36).slice(2, 6)}`;

function labWith(name: string, service: Record<string, unknown>) {
  return parseLab({
    name,
    nodes: [
      { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.77.0.1/24"] } } },
      { name: "h2", kind: "host", interfaces: { eth0: { addresses: ["10.77.0.2/24"] } }, services: [{ type: "process", name: "svc", ...service }] },
      { name: "s1", kind: "switch", type: "ovs" },
    ],
    links: [{ endpoints: ["h1:eth0", "s1"] }, { endpoints: ["h2:eth0", "s1"] }],
  });
}

describe("a service that cannot start", () => {
  it("PATH=/nonexistent: up fails with the shell's words, rolls back to nothing, and this process lives on", async () => {
    const name = labName("path");
    own(name);
    const failure = await session.engine.up(labWith(name, { command: ["sleep", "1000"], env: { PATH: "/nonexistent" } })).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplyError);
    expect((failure as ApplyError).message).toMatch(/svc on h2 exited at once \(code 127\).*sleep.*not found/);
    expect((failure as ApplyError).message).toMatch(/nothing of it was left behind/);
    expect((failure as ApplyError).rolledBack).toBe(true);
    expect(await leftoversAfterSettling(name)).toEqual([]);
    expect(await session.engine.state.readMeta(name)).toBeNull();
    expect(alive(process.pid)).toBe(true);
  });

  it("a command that does not exist, mid-up: rolled back like any other failure", async () => {
    const name = labName("nocmd");
    own(name);
    const failure = await session.engine.up(labWith(name, { command: ["/nonexistent/program", "--flag"] })).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplyError);
    expect((failure as ApplyError).message).toMatch(/\/nonexistent\/program/);
    expect(await leftoversAfterSettling(name)).toEqual([]);
  });

  it("an edit that adds a failing service returns the running lab to its last document", async () => {
    const name = labName("edit");
    own(name);
    const good = parseLab({ ...labWith(name, { command: ["sleep", "1000"] }) });
    await session.engine.up(good);
    const bad = labWith(name, { command: ["sleep", "1000"], env: { PATH: "/nonexistent" } });
    const failure = await session.engine.up(bad).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplyError);
    expect((failure as ApplyError).message).toMatch(/back as it was before this change/);
    expect((await session.engine.dryRun(good)).ops).toEqual([]);
    expect(await pings(name, "h1", "10.77.0.2", { wait: 10 })).toBe(true);
    const [svc] = await session.engine.services.list(name);
    expect(svc!.status.state).toBe("running");
  });
});

describe("a service's environment", () => {
  it("reaches its own program only: PATH, LD_PRELOAD and IFS in it change nothing of how topolab runs ip and ovs-vsctl", async () => {
    const name = labName("env");
    own(name);
    const env = { PATH: "/nonexistent", LD_PRELOAD: "/nonexistent/evil.so", IFS: "/", GREETING: "hello world" };
    const r = await session.engine.up(labWith(name, { command: ["/bin/sleep", "1000"], env }));
    expect(r.unchanged).toBe(false);
    expect(await pings(name, "h1", "10.77.0.2", { wait: 10 })).toBe(true);
    const [svc] = await session.engine.services.list(name);
    expect(svc!.status.state).toBe("running");
    const pid = (svc!.status as { pid: number }).pid;
    // the wrapper shell and the program both run with the service's environment, and only that
    const programPid = Number((await readFile(`/proc/${pid}/task/${pid}/children`, "utf8")).trim().split(" ")[0] || pid);
    const environ = (await readFile(`/proc/${programPid}/environ`, "utf8")).split("\u0000");
    expect(environ).toEqual(expect.arrayContaining(["PATH=/nonexistent", "GREETING=hello world", `TOPOLAB_LAB=${name}`, "TOPOLAB_NODE=h2"]));
    expect(environ.some((e) => e.startsWith("TOPOLAB_TOKEN="))).toBe(false);
    // a second up is quiet: what runs is what the document asks for
    expect((await session.engine.up(labWith(name, { command: ["/bin/sleep", "1000"], env }))).unchanged).toBe(true);
  });
});

describe("topolab's own tools", () => {
  it("are found by absolute path in the trusted directories, whatever this process's PATH says", async () => {
    const saved = process.env["PATH"];
    process.env["PATH"] = "/nonexistent";
    try {
      expect(TRUSTED_DIRS.some((d) => tool("ip") === `${d}/ip`)).toBe(true);
      const r = await run(["ip", "-j", "link", "show", "lo"]);
      expect(r.code).toBe(0);
      expect((JSON.parse(r.stdout) as { ifname: string }[])[0]?.ifname).toBe("lo");
    } finally {
      process.env["PATH"] = saved;
    }
  });

  it("a missing tool is an ordinary failure that names it, never a crash", async () => {
    expect(findTool("topolab-no-such-tool")).toBeNull();
    expect(() => tool("topolab-no-such-tool")).toThrow(ToolMissingError);
    expect(() => tool("topolab-no-such-tool")).toThrow(
      /topolab needs the program topolab-no-such-tool, which is not installed \(looked in \/usr\/sbin, \/usr\/bin, \/sbin, \/bin\)/,
    );
    const r = await run(["topolab-no-such-tool", "x"]);
    expect(r).toMatchObject({ code: 127, stderr: expect.stringMatching(/topolab-no-such-tool, which is not installed/) });
    const abs = await run(["/nonexistent/tool"]);
    expect(abs).toMatchObject({ code: 127, stderr: expect.stringMatching(/\/nonexistent\/tool: cannot start: .*ENOENT/) });
    const nul = await run(["ip", "link", "show", "a\u0000b"]);
    expect(nul.code).toBe(127);
    expect(alive(process.pid)).toBe(true);
  });

  it("leaves nothing behind after all of the above", async () => {
    expect(everMade.length).toBeGreaterThan(0);
    for (const name of everMade) expect(await leftovers(name)).toEqual([]);
  });
});
