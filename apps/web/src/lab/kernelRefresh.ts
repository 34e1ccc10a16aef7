// The kernel's view of the selected node kept fresh: read again when a node is selected, and
// every 2 s while one of its DHCP interfaces has no lease yet (the server sends the status
// after an edit, and a lease usually comes a moment later: the inspector showed "–" where a
// student looked for it).
//
// Knows: when a fresh read is worth it. Leaves to others: the read (labStore.refreshStatus),
// showing it (Inspector).

import { useEffect } from "react";
import type { Lab } from "@topolab/topology";
import { useStore } from "../lib/emitter";
import type { LabStore, NodeStatus } from "./labStore";

const EVERY_MS = 2000;
const MAX_READS = 30;

/** Whether the node takes an address by DHCP on an interface the kernel shows without IPv4. */
export function waitsForLease(lab: Lab | null, name: string | null, status: NodeStatus | undefined): boolean {
  const node = name ? lab?.nodes.find((n) => n.name === name) : undefined;
  if (!node || node.kind === "switch" || !status) return false;
  return Object.entries(node.interfaces).some(([iface, cfg]) => {
    if (!("dhcp" in cfg) || !cfg.dhcp) return false;
    const seen = status.interfaces.find((i) => i.name === iface);
    return !seen?.addresses.some((a) => /^\d+\.\d+\.\d+\.\d+\//.test(a));
  });
}

export function useKernelRefresh(store: LabStore, name: string | null): void {
  const running = useStore(store.state, (s) => s.running);
  const waiting = useStore(store.state, (s) => waitsForLease(s.doc, name, name ? s.status.get(name) : undefined));
  useEffect(() => {
    if (name && running) void store.refreshStatus();
  }, [store, name, running]);
  useEffect(() => {
    if (!name || !running || !waiting) return;
    let reads = 0;
    const timer = setInterval(() => {
      if (++reads > MAX_READS) clearInterval(timer);
      else void store.refreshStatus();
    }, EVERY_MS);
    return () => clearInterval(timer);
  }, [store, name, running, waiting]);
}
