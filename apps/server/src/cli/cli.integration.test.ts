// The topolab command line as a person uses it: the real bin script, a real state directory,
// the real kernel (as root).

import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "@topolab/engine";
import { leftoversAfterSettling, uniqueLabName } from "@topolab/engine/testing";
import { cliSession, repoRoot } from "./testing";

const bin = join(repoRoot, "apps/server/bin/topolab.js");
const cli = cliSession();
const topolab = cli.topolab;
const labs = cli.labs;
const state = {
  get dir() {
    return cli.stateDir();
  },
};

beforeAll(() => cli.start());
afterAll(() => cli.stop());

describe("topolab CLI", () => {
  it("says its version, as the server's package has it", async () => {
    const { version } = JSON.parse(await readFile(join(repoRoot, "apps/server/package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const r = await topolab(flag);
      expect(r).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: "" });
    }
  });

  it("brings up a Mininet topology, runs commands in nodes, reports status, exports, and takes it down", async () => {
    const name = uniqueLabName("cli");
    labs.add(name);
    const up = await topolab("up", "--topo", "single,3", "--name", name);
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(new RegExp(`lab ${name}: \\d+ created, 0 changed, 0 removed`));
    expect(up.stdout).toContain("hosts h1 h2 h3   ·   switches s1");
    const table = await topolab("status", name);
    expect(table.stdout).toMatch(/h3\s+host\s+up\s+eth0\s+10\.0\.0\.3\/8\s+s1:eth3/);

    const again = await topolab("up", "--topo", "single,3", "--name", name);
    expect(again.stdout).toMatch(/up to date, nothing to change/);

    const ping = await topolab("exec", name, "h1", "--", "ping", "-c1", "-W2", "10.0.0.3");
    expect(ping.code).toBe(0);
    expect(ping.stdout).toMatch(/1 received/);
    const byName = await topolab("exec", name, "h1", "--", "ping", "-c1", "-W2", "h3");
    expect(byName.stdout).toMatch(/from h3 \(10\.0\.0\.3\)/);
    const fails = await topolab("exec", name, "h1", "--", "ping", "-c1", "-W1", "10.0.0.99");
    expect(fails.code).toBe(1);
    const exitCode = await topolab("exec", name, "h2", "--", "sh", "-c", "exit 7");
    expect(exitCode.code).toBe(7);

    const status = JSON.parse((await topolab("status", name, "--json")).stdout) as { state: string; nodes: { name: string }[] };
    expect(status.state).toBe("up");
    expect(status.nodes.map((n) => n.name).sort()).toEqual(["h1", "h2", "h3", "s1"]);
    const list = JSON.parse((await topolab("status", "--json")).stdout) as { name: string }[];
    expect(list.map((l) => l.name)).toContain(name);

    const script = await topolab("export", name, "--format", "sh");
    expect(script.stdout).toMatch(/^#!\/usr\/bin\/env bash/);
    expect(script.stdout).toContain(`ip netns add tl.${name}.h1`);

    const down = await topolab("down", name);
    expect(down.code).toBe(0);
    labs.delete(name);
    expect(await leftoversAfterSettling(name)).toEqual([]);
    const gone = await topolab("status", name);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/there is no lab named/);
  });

  it("opens a shell whose prompt and hostname name the node", async () => {
    const name = uniqueLabName("sh");
    labs.add(name);
    expect((await topolab("up", "--topo", "minimal", "--name", name)).code).toBe(0);
    // `script` gives the shell a terminal, as a person's would be
    const r = await run(["script", "-qec", `${process.execPath} ${bin} shell ${name} h2`, "/dev/null"], {
      env: { ...process.env, TOPOLAB_STATE_DIR: state.dir },
      input: "hostname\nping -c1 -W2 h1 | tail -2\nexit\n",
      timeoutMs: 20_000,
    });
    // oxlint-disable-next-line no-control-regex -- terminal escape sequences are what is removed
    const text = r.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
    expect(text).toMatch(/root@h2:~# /);
    expect(text).toMatch(/^h2\r?$/m);
    expect(text).toMatch(/1 received/);
  });

  it("applies only what changed in a lab file", async () => {
    const name = uniqueLabName("fi");
    labs.add(name);
    const file = join(state.dir, "lab.yaml");
    const nodes = (n: number) =>
      Array.from({ length: n }, (_, i) => `  - { name: h${i + 1}, kind: host, interfaces: { eth0: { addresses: [10.7.0.${i + 1}/24] } } }`).join("\n");
    const links = (n: number) => Array.from({ length: n }, (_, i) => `  - endpoints: [h${i + 1}:eth0, s1:eth${i + 1}]`).join("\n");
    const doc = (n: number) => `# a test lab\nname: ${name}\nnodes:\n  - { name: s1, kind: switch, type: bridge }\n${nodes(n)}\nlinks:\n${links(n)}\n`;
    await writeFile(file, doc(2));
    expect((await topolab("up", file)).code).toBe(0);
    await writeFile(file, doc(3));
    const edit = await topolab("up", file);
    // a namespace, a veth, its two interfaces, loopback, an address, a bridge port, a hosts file;
    // and the other hosts' hosts files change (they learn h3's name)
    expect(edit.stdout).toMatch(new RegExp(`lab ${name}: 8 created, 2 changed, 0 removed`));
    const ping = await topolab("exec", name, "h3", "--", "ping", "-c1", "-W2", "h1");
    expect(ping.code).toBe(0);
  });

  it("explains every problem of a bad file with its line, and exits 2 without touching the kernel", async () => {
    const file = join(state.dir, "bad.yaml");
    await writeFile(
      file,
      [
        "name: badlab",
        "nodes:",
        "  - { name: h1, kind: host, interfaces: { eth0: { addresses: [10.0.0.300/24] } } }",
        "  - { name: h1, kind: host }",
        "  - { name: s1, kind: switch }",
        "links:",
        "  - { endpoints: [h1:eth0, s1], vlan: 5000 }",
        "  - { endpoints: [h9, s1] }",
        "",
      ].join("\n"),
    );
    const r = await topolab("up", file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("bad.yaml:3: nodes[0].interfaces.eth0.addresses[0]:");
    expect(r.stderr).toContain('bad.yaml:4: nodes[1].name: "h1" is already the name of nodes[0]');
    expect(r.stderr).toContain("bad.yaml:7: links[0].vlan: 5000 is outside 1..4094");
    expect(r.stderr).toMatch(/bad\.yaml:8: links\[1\]\.endpoints\[0\]: no node is named "h9"/);
    expect(await leftoversAfterSettling("badlab")).toEqual([]);
  });
});
