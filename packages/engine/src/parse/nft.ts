// `nft -j list ruleset` parsed for link loss: netdev tables whose ingress chains drop
// `numgen random mod M < N` of the packets.
//
// Knows: nft's JSON (table/chain/rule items, match with numgen on the left); nft 1.0.6 leaves
// the hooked device out of a chain's JSON, so the device is read from topolab's table name
// (tl_loss_<dev>, topology's lossTableName), else from the chain's "dev", else its name.
// Leaves to others: running nft, writing the rules (topology/commands.ts).

import { lossTableDev } from "@topolab/topology";
import { ParseError } from "./common";

export interface LossRule {
  table: string;
  chain: string;
  /** the device whose ingress drops packets */
  dev: string;
  /** percent */
  percent: number;
}

export function parseLossRules(text: string): LossRule[] {
  let doc: { nftables?: Record<string, Record<string, unknown>>[] };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (e) {
    throw new ParseError("nft -j list ruleset", text.trim() ? `not JSON (${(e as Error).message})` : "no output at all");
  }
  if (!Array.isArray(doc.nftables)) throw new ParseError("nft -j list ruleset", "no nftables list");
  const devs = new Map<string, string>();
  for (const item of doc.nftables) {
    const c = item["chain"];
    if (c && c["family"] === "netdev" && c["hook"] === "ingress") {
      const dev = lossTableDev(String(c["table"])) ?? (typeof c["dev"] === "string" ? c["dev"] : String(c["name"]));
      devs.set(`${String(c["table"])}/${String(c["name"])}`, dev);
    }
  }
  const out: LossRule[] = [];
  for (const item of doc.nftables) {
    const r = item["rule"];
    if (!r || r["family"] !== "netdev") continue;
    const key = `${String(r["table"])}/${String(r["chain"])}`;
    const dev = devs.get(key);
    if (dev === undefined) continue;
    const expr = (r["expr"] ?? []) as Record<string, unknown>[];
    const drops = expr.some((e) => "drop" in e);
    for (const e of expr) {
      const m = e["match"] as { op?: string; left?: { numgen?: { mode?: string; mod?: number } }; right?: unknown } | undefined;
      if (!drops || !m?.left?.numgen || m.left.numgen.mode !== "random" || m.op !== "<" || typeof m.right !== "number") continue;
      const mod = m.left.numgen.mod ?? 100;
      out.push({ table: String(r["table"]), chain: String(r["chain"]), dev, percent: (m.right / mod) * 100 });
    }
  }
  return out;
}
