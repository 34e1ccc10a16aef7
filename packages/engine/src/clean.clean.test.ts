// `topolab clean` on the real kernel: it removes every object topolab made, of every lab, and
// nothing else. It runs alone (vitest project "clean", after the others), because it removes
// other labs too; when a developer's own labs are on the machine it refuses to run rather
// than destroy them.

import { afterAll, beforeAll, expect, it } from "vitest";
import { aliasLab, parseLab, parseNsName, OVS_LAB_KEY } from "@topolab/topology";
import { Engine } from "./engine";
import { readSnapshot } from "./actual";
import { run, must } from "./exec";
import { ensureOvsRunning } from "./ovs";
import { leftoversAfterSettling, tempStateDir, uniqueLabName, inNode } from "./testing";
import { alive } from "./processes";

const foreign = `notours${process.pid}`;
let state: { dir: string; remove: () => Promise<void> };

async function topolabObjects(): Promise<string[]> {
  const s = await readSnapshot({ ovs: true });
  return [
    ...s.namespaces.filter((n) => parseNsName(n)),
    ...s.rootLinks.filter((l) => aliasLab(l.ifalias)).map((l) => l.ifname),
    ...(s.ovs?.bridges.filter((b) => b.externalIds[OVS_LAB_KEY]).map((b) => b.name) ?? []),
  ];
}

beforeAll(async () => {
  await ensureOvsRunning();
  state = await tempStateDir();
});

afterAll(async () => {
  await run(["ip", "netns", "del", foreign]);
  await run(["ip", "link", "del", `${foreign}a`]);
  await run(["ovs-vsctl", "--if-exists", "del-br", `${foreign}b`]);
  await state.remove();
});

it("removes every lab's namespaces, interfaces, OVS bridges, files and processes, and nothing else", async (ctx) => {
  const before = await topolabObjects();
  if (before.length) {
    ctx.skip(`topolab objects of other labs are on this machine (${before.slice(0, 3).join(", ")}…); clean would remove them`);
  }
  const engine = new Engine({ stateDir: state.dir });
  const a = parseLab({
    name: uniqueLabName("ca"),
    nodes: [
      { name: "s1", kind: "switch" },
      { name: "s2", kind: "switch", type: "bridge" },
      { name: "h1", kind: "host" },
      { name: "h2", kind: "router" },
    ],
    links: [{ endpoints: ["h1", "s1"] }, { endpoints: ["h2", "s2"] }, { endpoints: ["s1", "s2"] }, { endpoints: ["h1", "h2"] }],
  });
  const b = parseLab({
    name: uniqueLabName("cb"),
    nodes: [
      { name: "s1", kind: "switch" },
      { name: "x", kind: "host" },
    ],
    links: [{ endpoints: ["x", "s1"], internal: true }],
  });
  await engine.up(a);
  await engine.up(b);
  // a process inside a lab namespace keeps the namespace alive unless it is stopped
  const sleeper = inNode(a.name, "h1", ["sleep", "300"], 400_000);
  // someone else's objects, with names close to ours
  await must(["ip", "netns", "add", foreign]);
  await must(["ip", "link", "add", `${foreign}a`, "type", "veth", "peer", "name", `${foreign}z`]);
  await must(["ovs-vsctl", "add-br", `${foreign}b`, "--", "set", "Bridge", `${foreign}b`, "datapath_type=netdev"]);

  const result = await engine.clean();
  expect(result.namespaces.sort()).toEqual([`tl.${a.name}.h1`, `tl.${a.name}.h2`, `tl.${b.name}.x`].sort());
  expect(result.ovsBridges).toHaveLength(2);
  expect(result.processes.length).toBeGreaterThanOrEqual(1);
  expect((await sleeper).code).not.toBe(0);
  expect(await leftoversAfterSettling(a.name)).toEqual([]);
  expect(await leftoversAfterSettling(b.name)).toEqual([]);
  expect(await topolabObjects()).toEqual([]);
  for (const p of result.processes) expect(alive(p)).toBe(false);

  const s = await readSnapshot({ ovs: true });
  expect(s.namespaces).toContain(foreign);
  expect(s.rootLinks.map((l) => l.ifname)).toEqual(expect.arrayContaining([`${foreign}a`, `${foreign}z`]));
  expect(s.ovs?.bridges.map((x) => x.name)).toContain(`${foreign}b`);
  // the documents stay, marked not running
  expect((await engine.state.readMeta(a.name))?.running).toBe(false);

  // a second clean finds nothing
  const again = await engine.clean();
  expect([...again.namespaces, ...again.interfaces, ...again.ovsBridges]).toEqual([]);
});
