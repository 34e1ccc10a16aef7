// Where the capture panels live on a lab's page: nothing until a capture is opened, then the
// lazily loaded panel (CapturePanel.tsx, with the decoder) for each open capture of this lab;
// and the context menu's capture items while the page is shown.
import { lazy, Suspense, useEffect } from "react";
import { useStore } from "../lib/emitter";
import type { LabStore } from "../lab/labStore";
import { openCaptures, registerCaptureMenu } from "./captures";

const CapturePanel = lazy(() => import("./CapturePanel"));

export function CaptureHost({ store }: { store: LabStore }) {
  const open = useStore(openCaptures).filter((c) => c.lab === store.name);
  // "Capture packets" on links and nodes, while a lab page is shown
  useEffect(() => registerCaptureMenu(), []);
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
