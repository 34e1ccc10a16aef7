// Every browser on a lab hears every accepted edit (lab:document), even when the lab is read
// (REST GET, lab:open) while the edit is between its save and its broadcast: a watcher of a
// student's lab polls nothing, it only listens. Found by the instructor's watch walk (issue 15):
// a read that came in that window numbered the new document as if it had been sent, and the
// broadcast was then skipped as "nothing new".

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leftoversAfterSettling } from "@topolab/engine/testing";
import { startTestServer, type TestServer } from "../testing";

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
}, 60_000);
afterAll(() => t.close(), 120_000);

describe("lab:document", () => {
  it("reaches a listening browser for every edit, however often the lab is read meanwhile", async () => {
    const editor = await t.connect();
    const watcher = await t.connect();
    const lab = `clbc${Math.random().toString(36).slice(2, 8)}`;
    await editor.ok("lab:create", { name: lab, source: { type: "file", text: "nodes:\n  - {name: s1, kind: switch}\n  - {name: h1, kind: host}\n" } });
    await watcher.ok("lab:open", { lab, watch: true });
    try {
      for (let i = 2; i <= 6; i++) {
        const node = `h${i}`;
        // a node with a link: kernel work, so the edit takes a while between its save and its broadcast
        const edit = editor.ok("lab:edit", {
          lab,
          changes: [
            { type: "addNode", node: { name: node, kind: "host" } },
            { type: "addLink", link: { endpoints: [`${node}:eth0`, `s1:eth${i}`] } },
          ],
        });
        // the lab read again and again meanwhile, as a page polling it would
        let reads = 0;
        for (;;) {
          const r = await t.rest("GET", `/api/labs/${lab}`);
          expect(r.status, r.text).toBe(200);
          reads++;
          if ((r.body as { document: { nodes: { name: string }[] } }).document.nodes.some((n) => n.name === node)) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await edit;
        const doc = await watcher.next("lab:document", (p) => p.document.nodes.some((n) => n.name === node), 10_000);
        expect(doc.lab, `after ${reads} reads`).toBe(lab);
      }
    } finally {
      await editor.ok("lab:delete", { lab });
    }
    expect(await leftoversAfterSettling(lab)).toEqual([]);
  }, 120_000);
});
