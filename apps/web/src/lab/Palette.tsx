// The palette: the kinds of node, dragged onto the canvas (HTML drag and drop) or clicked to
// drop one in the free space nearest the middle of the view.
//
// Knows: the palette items (kinds.tsx), and that they wait for the lab's document: a node
// added before it arrived would be named and placed blind (h1 again, on top of another), and
// its step would be missing from undo. Leaves to others: adding the node (Canvas).

import { useReactFlow } from "@xyflow/react";
import { useStore } from "../lib/emitter";
import { DRAG_TYPE, addFromPalette } from "./Canvas";
import { KindIcon, PALETTE } from "./kinds";
import type { LabStore } from "./labStore";
import { freeSpot } from "./placement";

/** a new node's size before it is measured */
const NODE_SIZE = { width: 150, height: 50 };

export function Palette({ store }: { store: LabStore }) {
  const flow = useReactFlow();
  const loaded = useStore(store.state, (s) => s.doc !== null);
  return (
    <nav className="palette" aria-label="Node kinds" data-testid="palette">
      <div className="palette-title">Drag onto the canvas</div>
      {PALETTE.map((item) => (
        <button
          key={item.kind}
          className={`palette-item kind-${item.kind}`}
          draggable={loaded}
          disabled={!loaded}
          data-testid={`palette-${item.kind}`}
          title={loaded ? `${item.title}: ${item.hint} (drag, or click to add)` : `${item.title}: the lab is loading`}
          onDragStart={(e) => {
            e.dataTransfer.setData(DRAG_TYPE, item.kind);
            e.dataTransfer.effectAllowed = "copy";
          }}
          onClick={() => {
            const el = document.querySelector(".canvas");
            const r = el?.getBoundingClientRect();
            const p = flow.screenToFlowPosition({ x: (r?.left ?? 0) + (r?.width ?? 600) / 2, y: (r?.top ?? 0) + (r?.height ?? 400) / 2 });
            // the free spot nearest the centre: never on top of a node already there
            const taken = flow
              .getNodes()
              .map((n) => ({ x: n.position.x, y: n.position.y, width: n.measured?.width ?? NODE_SIZE.width, height: n.measured?.height ?? NODE_SIZE.height }));
            addFromPalette(store, item.kind, freeSpot(p, NODE_SIZE, taken));
          }}
        >
          <KindIcon kind={item.kind} />
          <span>{item.title}</span>
        </button>
      ))}
    </nav>
  );
}
