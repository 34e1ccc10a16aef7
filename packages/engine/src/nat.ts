// NAT gateways' footprint on the machine itself: IPv4 forwarding in the root namespace, and
// finding every NAT rule topolab made (for `clean`).
//
// Knows: that a NAT gateway needs net.ipv4.ip_forward=1 in the root namespace, that this is
// the machine's own setting, so topolab writes down what it was before turning it on and puts
// it back when no running lab needs it; and how topolab's rules are marked (nftables tables
// named topolab.<lab>.<node>, iptables rules with a "topolab:<lab>:nat:<node>" comment).
// Leaves to others: creating a lab's rules (they are planned resources, see topology).

import { readFile, rm, writeFile } from "node:fs/promises";
import { run } from "./exec";

const IP_FORWARD = "/proc/sys/net/ipv4/ip_forward";

/** Turns root IPv4 forwarding on when needed, and back to what it was when no longer needed. */
export async function syncHostForwarding(stateDir: string, needed: boolean): Promise<void> {
  const record = `${stateDir}/host-forwarding.json`;
  const saved = await readFile(record, "utf8").then(
    (t) => JSON.parse(t) as { was: string },
    () => null,
  );
  const now = (await readFile(IP_FORWARD, "utf8")).trim();
  if (needed) {
    if (now !== "1") {
      if (!saved) await writeFile(record, JSON.stringify({ was: now, changedAt: new Date().toISOString() }) + "\n");
      await writeFile(IP_FORWARD, "1\n");
    }
  } else if (saved) {
    if (saved.was !== now) await writeFile(IP_FORWARD, `${saved.was}\n`);
    await rm(record, { force: true });
  }
}

/** Splits an iptables-save line into arguments (double quotes group words). */
export function iptablesWords(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]!);
  return out;
}

/** Removes every NAT rule topolab made, of every lab; returns what it removed. */
export async function cleanNat(backend: "nft" | "iptables"): Promise<string[]> {
  const removed: string[] = [];
  if (backend === "nft") {
    const r = await run(["nft", "-j", "list", "tables", "ip"]);
    if (r.code !== 0) return removed;
    const tables = (JSON.parse(r.stdout) as { nftables: { table?: { name: string } }[] }).nftables
      .map((x) => x.table?.name)
      .filter((n): n is string => !!n && n.startsWith("topolab."));
    for (const t of tables) {
      await run(["nft", "delete", "table", "ip", t]);
      removed.push(`nftables table ip ${t}`);
    }
    return removed;
  }
  const r = await run(["iptables-save"]);
  if (r.code !== 0) return removed;
  let table = "filter";
  for (const line of r.stdout.split("\n")) {
    if (line.startsWith("*")) table = line.slice(1).trim();
    if (!line.startsWith("-A ") || !/--comment "?topolab:/.test(line)) continue;
    const words = iptablesWords(line);
    await run(["iptables", "-t", table, "-D", ...words.slice(1)]);
    removed.push(`iptables -t ${table} ${line}`);
  }
  return removed;
}
