// What the kernel puts on the canvas's shapes, each a small component that subscribes to its own
// piece of the live state, so that a kernel change re-renders the one edge or node it concerns,
// never the canvas: a link's tooltip (why it is broken, which end; its loss), a node's drift
// mark (how many differences from the document, named in its tooltip), and the addresses an
// interface has in the kernel (the link's end label shows them: a DHCP lease, one added by hand).
//
// Knows: the texts (edges.ts, tabs.ts). Leaves to others: where they sit (EdgeView, NodeView).

import { Store, useStore } from "../lib/emitter";
import type { LiveState } from "./liveStore";
import { useLive } from "./LiveProvider";
import { driftMark } from "./tabs";

const NO_LIVE = new Store<Pick<LiveState, "nodes">>({ nodes: {} });

/**
 * The addresses of a node's interface in the kernel, as one line ("10.0.0.1/24 10.9.9.9/24");
 * undefined when the kernel's view is not known (no live state, a switch, a stopped lab).
 */
export function useKernelAddresses(node: string, iface: string): string | undefined {
  const live = useLive();
  const state: Store<Pick<LiveState, "nodes">> = live?.live.state ?? NO_LIVE;
  return useStore(state, (s) => s.nodes[node]?.interfaces.find((i) => (i.interface ?? i.name) === iface)?.addresses.join(" "));
}

/** An SVG <title> for a link's edge (the tooltip of the whole edge group); nothing when all is well. */
export function LinkTitle({ id }: { id: string }) {
  const live = useLive();
  if (!live) return null;
  return <LinkTitleOf id={id} links={live.links} />;
}

function LinkTitleOf({ id, links }: { id: string; links: NonNullable<ReturnType<typeof useLive>>["links"] }) {
  const title = useStore(links, (m) => m[id]?.title ?? "");
  return title ? <title data-testid={`edge-title-${id}`}>{title}</title> : null;
}

/** A badge on a node whose kernel state differs from the document: "≠ 2", its tooltip names them. */
export function DriftMark({ node }: { node: string }) {
  const live = useLive();
  if (!live) return null;
  return <DriftMarkOf node={node} live={live.live} />;
}

function DriftMarkOf({ node, live }: { node: string; live: NonNullable<ReturnType<typeof useLive>>["live"] }) {
  // a string: the selector's answer is compared by value, so other nodes' drift does not re-render this one
  const mark = useStore(live.state, (s) => {
    const m = driftMark(s.drift, node);
    return m ? `${m.count}\u0000${m.title}` : "";
  });
  if (!mark) return null;
  const [count, title] = mark.split("\u0000") as [string, string];
  return (
    <span className="live-drift-mark" data-testid={`drift-mark-${node}`} title={title} role="img" aria-label={title}>
      ≠ {count}
    </span>
  );
}
