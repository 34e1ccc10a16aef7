// The kinds of node a person can put on the canvas: how each looks (icon, colour), what the
// palette drops, the names new nodes get, and which kinds have a shell.
//
// Knows: presets (a DHCP server is a host whose first link gives it an address and a
// dnsmasq). Leaves to others: what a kind is in the kernel (topology, engine).

import type { ReactNode } from "react";
import type { Lab, LabNode, NodeInput } from "@topolab/topology";
import { DHCP_LABEL } from "./linking";

export type PaletteKind = "host" | "router" | "ovs" | "bridge" | "nat" | "dhcp";

export interface PaletteItem {
  kind: PaletteKind;
  title: string;
  hint: string;
  prefix: string;
  node: (name: string) => NodeInput;
}

export const PALETTE: PaletteItem[] = [
  { kind: "host", title: "Host", hint: "a network namespace with a root shell", prefix: "h", node: (name) => ({ name, kind: "host" }) },
  { kind: "router", title: "Router", hint: "a host that forwards IPv4 and IPv6", prefix: "r", node: (name) => ({ name, kind: "router" }) },
  { kind: "ovs", title: "OVS switch", hint: "an Open vSwitch bridge: VLANs, trunks", prefix: "s", node: (name) => ({ name, kind: "switch" }) },
  {
    kind: "bridge",
    title: "Linux bridge",
    hint: "a kernel bridge (no Open vSwitch needed)",
    prefix: "br",
    node: (name) => ({ name, kind: "switch", type: "bridge" }),
  },
  { kind: "nat", title: "NAT gateway", hint: "the lab reaches the machine's network through it", prefix: "nat", node: (name) => ({ name, kind: "nat" }) },
  {
    kind: "dhcp",
    title: "DHCP server",
    hint: "a host running dnsmasq on its first link",
    prefix: "dhcp",
    node: (name) => ({ name, kind: "host", label: DHCP_LABEL }),
  },
];

/** The first free name with the prefix: h1, h2, … */
export function freeName(lab: Lab | null, prefix: string): string {
  const taken = new Set(lab?.nodes.map((n) => n.name) ?? []);
  for (let i = 1; ; i++) if (!taken.has(`${prefix}${i}`)) return `${prefix}${i}`;
}

/** How a node is drawn: one of the palette's kinds. */
export function visualKind(node: LabNode): PaletteKind {
  if (node.kind === "switch") return node.type === "bridge" ? "bridge" : "ovs";
  if (node.kind === "nat") return "nat";
  if (node.kind === "router") return "router";
  return node.services.some((s) => s.type === "dhcp-server") || node.label === DHCP_LABEL ? "dhcp" : "host";
}

export const hasShell = (node: { kind: string }) => node.kind === "host" || node.kind === "router";

/** What each kind's icon draws inside its 24×24 box. */
const ICON_SHAPES: Record<PaletteKind, ReactNode> = {
  host: (
    <>
      <rect x="3" y="4" width="18" height="12" rx="2" />
      <path d="M8 20h8M12 16v4" />
    </>
  ),
  router: (
    <>
      <circle cx="12" cy="12" r="9" />
      <path d="M8 9l4-4 4 4M16 15l-4 4-4-4M12 5v14" />
    </>
  ),
  ovs: (
    <>
      <rect x="2" y="7" width="20" height="10" rx="2" />
      <path d="M6 12h2M10 12h2M14 12h2M18 12h0" />
    </>
  ),
  bridge: <path d="M2 15h20M5 15V9M19 15V9M5 9c3 4 11 4 14 0" />,
  nat: (
    <>
      <circle cx="12" cy="12" r="9" />
      <path d="M3 12h18M12 3c3 3 3 15 0 18M12 3c-3 3-3 15 0 18" />
    </>
  ),
  dhcp: (
    <>
      <rect x="4" y="3" width="16" height="18" rx="2" />
      <path d="M8 8h8M8 12h8M8 16h4" />
    </>
  ),
};

/** Small inline icons (no icon font, nothing to fetch). */
export function KindIcon({ kind }: { kind: PaletteKind }) {
  return (
    <svg width={22} height={22} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={1.8} aria-hidden>
      {ICON_SHAPES[kind]}
    </svg>
  );
}
