// What the kernel puts on the canvas's shapes, each a small component that subscribes to its own
// piece of the live state, so that a kernel change re-renders the one edge or node it concerns,
// never the canvas: a link's tooltip (why it is broken, which end; its loss) and a node's drift
// mark (how many differences from the document, named in its tooltip).
//
// Knows: the texts (edges.ts, tabs.ts). Leaves to others: where they sit (EdgeView, NodeView).

import { useStore } from "../lib/emitter";
import { useLive } from "./LiveProvider";
import { driftMark } from "./tabs";

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
