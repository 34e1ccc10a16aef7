// Where the capture panels live on a lab's page: nothing until a capture is opened, then the
// lazily loaded panel (CapturePanel.tsx, with the decoder) for each open capture of this lab.
import { lazy, Suspense } from "react";
import { useStore } from "../lib/emitter";
import type { LabStore } from "../lab/labStore";
import { openCaptures } from "./captures";

const CapturePanel = lazy(() => import("./CapturePanel"));

export function CaptureHost({ store }: { store: LabStore }) {
  const open = useStore(openCaptures).filter((c) => c.lab === store.name);
  if (open.length === 0) return null;
  return (
    <div className="capture-host" data-testid="capture-host">
      <Suspense fallback={<div className="capture-panel muted">loading the capture panel…</div>}>
        {open.map((c) => (
          <CapturePanel key={c.key} store={store} capture={c} />
        ))}
      </Suspense>
    </div>
  );
}
