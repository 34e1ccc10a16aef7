// The instructor's watch of a student's lab (issue 15): a banner over the lab page saying whose
// lab is watched and that it is read-only, with "Take over" (the document becomes editable for
// the instructor: lab:mode "edit", which the server requires before it accepts an edit from
// this page) and, once taken over, "Back to watching". The student's shells in the dock are
// watched read-only and are taken over one by one there (terminals/manager.ts).
//
// Knows: the store's mode; whose lab it is comes from useStudentOf. Leaves to others: the lab page's parts.

import { useState } from "react";
import { useStore } from "../lib/emitter";
import { labPath, navigate } from "../lib/router";
import { reasonOf, toast } from "../lib/toasts";
import type { LabStore } from "../lab/labStore";
import { useStudentOf } from "./useStudentOf";

export function WatchBanner({ store }: { store: LabStore }) {
  const mode = useStore(store.state, (s) => s.mode);
  const who = useStudentOf(store.name);
  const [switching, setSwitching] = useState(false);
  const name = who?.student ?? store.name;
  const change = (to: "watch" | "edit") => {
    setSwitching(true);
    store
      .setMode(to)
      .catch((e: unknown) => toast("error", to === "edit" ? "Could not take over" : "Could not go back to watching", reasonOf(e)))
      .finally(() => setSwitching(false));
  };
  return (
    <div className={`watch-banner ${mode}`} role="status" data-testid="watch-banner" data-mode={mode}>
      {mode === "watch" ? (
        <>
          <strong>watching {name} — read-only</strong>
          <span className="muted">their edits appear live; yours are not sent until you take over</span>
          <button className="button small primary" disabled={switching} data-testid="watch-takeover" onClick={() => change("edit")}>
            Take over
          </button>
        </>
      ) : (
        <>
          <strong>you have taken over {name}'s lab — your edits apply to it</strong>
          <button className="button small" disabled={switching} data-testid="watch-release" onClick={() => change("watch")}>
            Back to watching
          </button>
        </>
      )}
      <span className="toolbar-spacer" />
      {who && (
        <a href={`/class/${who.code}`} onClick={(e) => (e.preventDefault(), navigate(`/class/${who.code}`))} data-testid="watch-grid">
          back to the grid
        </a>
      )}
      <a href={labPath(store.name)} onClick={(e) => (e.preventDefault(), navigate(labPath(store.name)))} className="muted small">
        open normally
      </a>
    </div>
  );
}
