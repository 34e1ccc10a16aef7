// Link loss read back from the kernel: the nftables netdev tables (tl_loss_<dev>) inside the
// lab's nodes, as the planner's "loss" resources.
//
// Knows: which nodes can hold a loss rule (the host ends of links with loss, in the document
// now or before) and how to read them (`nft -j list ruleset netdev` in the namespace). A node
// whose namespace is gone holds none; any other failed read is an error, never "no rules".
// Leaves to others: parsing (parse/nft.ts), writing the rules (topology/commands.ts).

import { access } from "node:fs/promises";
import { isHostLike, keys, nsName, type Lab, type Resource } from "@topolab/topology";
import { run } from "./exec";
import { parseLossRules } from "./parse/index";
import { NETNS_DIR } from "./processes";

/** Host-like nodes at the ends of links with loss, in any of the documents. */
export function lossNodes(docs: (Lab | null)[]): string[] {
  const out = new Set<string>();
  for (const d of docs) {
    if (!d) continue;
    const byName = new Map(d.nodes.map((n) => [n.name, n]));
    for (const l of d.links) {
      if (l.loss === undefined) continue;
      for (const e of l.endpoints) if (byName.get(e.node) && isHostLike(byName.get(e.node)!)) out.add(e.node);
    }
  }
  return [...out];
}

export async function readLoss(lab: string, nodes: string[]): Promise<Resource[]> {
  const out: Resource[] = [];
  await Promise.all(
    nodes.map(async (node) => {
      const ns = nsName(lab, node);
      const r = await run(["ip", "netns", "exec", ns, "nft", "-j", "list", "ruleset", "netdev"], { timeoutMs: 15_000 });
      if (r.code !== 0) {
        const gone = await access(`${NETNS_DIR}/${ns}`).then(
          () => false,
          () => true,
        );
        if (gone) return;
        throw new Error(`reading the loss rules of ${node} (nft -j list ruleset netdev in ${ns}) failed: ${(r.stderr || r.stdout).trim()}`);
      }
      for (const rule of parseLossRules(r.stdout)) {
        if (!rule.table.startsWith("tl_loss_")) continue;
        out.push({ kind: "loss", key: keys.loss(ns, rule.dev), deps: [keys.iface(ns, rule.dev)], ns, dev: rule.dev, percent: rule.percent });
      }
    }),
  );
  return out;
}
