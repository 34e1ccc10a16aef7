// Reconcile at server start mends a stale OVS port (on the real kernel, as root): a lab saved as
// running whose veth was made again behind its OVS port (as a crash or a hand edit leaves it)
// forwards nothing; reconcile finds the port stale, makes it again in two transactions, and
// the hosts reach each other. Lab names start with "da".

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aliasLab, parseLab } from "@topolab/topology";
import { Engine, ensureOvsRunning, readRootLinks, run } from "@topolab/engine";
import { leftoversAfterSettling, pings, tempStateDir } from "@topolab/engine/testing";
import { KeyedQueue } from "./limits";
import { reconcile } from "./reconcile";

let state: { dir: string; remove: () => Promise<void> };
let engine: Engine;
const name = `dars${Math.random().toString(36).slice(2, 6)}`;

beforeAll(async () => {
  expect(process.getuid?.()).toBe(0);
  await ensureOvsRunning();
  state = await tempStateDir();
  engine = new Engine({ stateDir: state.dir });
});

afterAll(async () => {
  if (await engine.state.readMeta(name)) await engine.down(name);
  expect(await leftoversAfterSettling(name)).toEqual([]);
  await state.remove();
});

async function must(argv: string[]): Promise<void> {
  const r = await run(argv);
  if (r.code !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr.trim()}`);
}

describe("reconcile at start", () => {
  it("makes a stale OVS port again, and the lab forwards", async () => {
    await engine.up(
      parseLab({
        name,
        nodes: [
          { name: "s1", kind: "switch", type: "ovs" },
          { name: "h1", kind: "host", interfaces: { eth0: { addresses: ["10.72.0.1/24"] } } },
          { name: "h2", kind: "host", interfaces: { eth0: { addresses: ["10.72.0.2/24"] } } },
        ],
        links: [{ endpoints: ["h1:eth0", "s1:p1"] }, { endpoints: ["h2:eth0", "s1:p2"] }],
      }),
    );
    expect(await pings(name, "h1", "10.72.0.2")).toBe(true);
    const end = (await readRootLinks()).find((l) => aliasLab(l.ifalias)?.lab === name && aliasLab(l.ifalias)?.what === "link:h2:eth0|s1:p2")!;
    const ns = `tl.${name}.h2`;
    const [inside] = JSON.parse((await run(["ip", "-n", ns, "-j", "link", "show", "eth0"])).stdout) as { ifalias: string; address: string }[];
    await must(["ip", "link", "del", "dev", end.ifname]);
    await must(["ip", "link", "add", "name", end.ifname, "type", "veth", "peer", "name", "eth0", "netns", ns]);
    await must(["ip", "link", "set", "dev", end.ifname, "alias", end.ifalias!, "mtu", String(end.mtu), "up"]);
    await must(["ip", "-n", ns, "link", "set", "dev", "eth0", "alias", inside!.ifalias, "address", inside!.address, "mtu", "1500", "up"]);
    await must(["ip", "-n", ns, "addr", "add", "10.72.0.2/24", "dev", "eth0"]);
    expect(await pings(name, "h1", "10.72.0.2", { wait: 2 })).toBe(false);

    const report = await reconcile(engine, new KeyedQueue(), (lab) => lab === name);
    expect(report).toMatchObject({ repaired: [name], failed: [] });
    expect(await pings(name, "h1", "10.72.0.2", { wait: 5 })).toBe(true);
    const [status] = await engine.status(name);
    expect(status!.nodes.flatMap((n) => n.problems)).toEqual([]);
  });
});
