// For a student, on every page (issue 15): their class's name and the teacher's latest
// message, and what happens when the class ends. For the instructor (class:me answers "not
// found" to them), on a student's lab: whose lab it is, and the way back to the grid.
//
// Knows: class:me, class:message, class:ended. Leaves to others: the pages, whose lab it is
// (useStudentOf).

import { useEffect, useState } from "react";
import type { StudentView } from "@topolab/protocol";
import { connection } from "../lib/connection";
import { labPath, navigate, useRoute } from "../lib/router";
import { useStudentOf } from "./useStudentOf";

export function ClassBanner() {
  const [me, setMe] = useState<StudentView | null>(null);
  const [message, setMessage] = useState<{ text: string; at: string } | null>(null);
  const [ended, setEnded] = useState<string | null>(null);
  const route = useRoute();
  // the instructor on a student's lab (not on its watch page: the watch banner asks and says whose it is)
  const labName = route.page === "lab" && !route.watch ? route.lab : null;
  const watching = useStudentOf(!me && labName && /^c[a-z2-9]{6}-\d+$/.test(labName) ? labName : null);

  useEffect(() => {
    const c = connection();
    // void: the request's refusal is handled by then's second callback
    const offConnect = c.onConnect(
      () =>
        void c.request("class:me", {}).then(
          (v) => {
            setMe(v);
            setMessage(v.messages[v.messages.length - 1] ?? null);
          },
          () => setMe(null),
        ),
    );
    const offMessage = c.on("class:message", (m) => setMessage(m));
    const offEnded = c.on("class:ended", (e) => setEnded(e.reason));
    return () => {
      offConnect();
      offMessage();
      offEnded();
    };
  }, []);

  // a student's home is their lab
  useEffect(() => {
    if (me && route.page === "home") navigate(labPath(me.lab), true);
  }, [me, route.page]);

  if (ended) {
    return (
      <div className="class-banner ended" role="status" data-testid="class-ended">
        {ended}. Thank you!
      </div>
    );
  }
  if (!me && watching) {
    return (
      <div className="class-banner" role="status" data-testid="class-watching">
        <strong>{watching.student}</strong>'s lab <span className="muted">· {watching.className}</span> ·{" "}
        <a href={`/class/${watching.code}`} onClick={(e) => (e.preventDefault(), navigate(`/class/${watching.code}`))}>
          back to the grid
        </a>
      </div>
    );
  }
  if (!me) return null;
  return (
    <div className="class-banner" role="status" data-testid="class-banner">
      <strong>{me.className}</strong> <span className="muted">· {me.name}</span>
      {message && (
        <span className="class-message" data-testid="class-message">
          {" "}
          · Teacher: {message.text}
        </span>
      )}
    </div>
  );
}
