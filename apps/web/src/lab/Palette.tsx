// The palette: the kinds of node, dragged onto the canvas (HTML drag and drop) or clicked to
// drop one in the middle of the view.
//
// Knows: the palette items (kinds.tsx). Leaves to others: adding the node (Canvas).

import { useReactFlow } from "@xyflow/react";
import { DRAG_TYPE, addFromPalette } from "./Canvas";
import { KindIcon, PALETTE } from "./kinds";
import type { LabStore } from "./labStore";

export function Palette({ store }: { store: LabStore }) {
  const flow = useReactFlow();
  return (
    <nav className="palette" aria-label="Node kinds" data-testid="palette">
      <div className="palette-title">Drag onto the canvas</div>
      {PALETTE.map((item) => (
        <button
          key={item.kind}
          className={`palette-item kind-${item.kind}`}
          draggable
          data-testid={`palette-${item.kind}`}
          title={`${item.title}: ${item.hint} (drag, or click to add)`}
          onDragStart={(e) => {
            e.dataTransfer.setData(DRAG_TYPE, item.kind);
            e.dataTransfer.effectAllowed = "copy";
          }}
          onClick={() => {
            const el = document.querySelector(".canvas");
            const r = el?.getBoundingClientRect();
            const p = flow.screenToFlowPosition({ x: (r?.left ?? 0) + (r?.width ?? 600) / 2, y: (r?.top ?? 0) + (r?.height ?? 400) / 2 });
            addFromPalette(store, item.kind, { x: Math.round(p.x - 70 + Math.random() * 40), y: Math.round(p.y - 24 + Math.random() * 40) });
          }}
        >
          <KindIcon kind={item.kind} />
          <span>{item.title}</span>
        </button>
      ))}
    </nav>
  );
}
