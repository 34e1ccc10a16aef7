// The instructor's view of a class (issue 15): the join link and code, one card per student
// (name, online or not, lab state, the exercise's check lights, live via class:grid), open a
// student's lab, reset it, a message to all students, and ending the class.
//
// Knows: the grid page. Leaves to others: the lab page (opening a student's lab), the server.

import { useEffect, useState } from "react";
import type { ClassView, StudentCard } from "@topolab/protocol";
import { connection } from "../lib/connection";
import { labPath, navigate, watchPath } from "../lib/router";
import { reasonOf, toast } from "../lib/toasts";

function Lights({ card }: { card: StudentCard }) {
  if (!card.checks) return <span className="muted small">no exercise</span>;
  const passed = card.checks.filter((c) => c.status === "pass").length;
  const all = card.checks.length > 0 && passed === card.checks.length;
  return (
    <div className="class-lights" data-testid="lights" data-all-pass={all ? "yes" : "no"}>
      {card.checks.map((c) => (
        <span key={c.id} className={`class-light ${c.status}`} title={`${c.title}: ${c.status}`} data-status={c.status} />
      ))}
      <span className="small muted">
        {" "}
        {passed}/{card.checks.length}
      </span>
    </div>
  );
}

export function ClassGrid({ code }: { code: string }) {
  const [view, setView] = useState<ClassView | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [text, setText] = useState("");
  const [ending, setEnding] = useState(false);

  useEffect(() => {
    const c = connection();
    // void: the request's refusal is handled by then's second callback
    const offConnect = c.onConnect(
      () =>
        void c.request("class:watch", { code }).then(
          (v) => (setView(v), setProblem(null)),
          (e) => setProblem(reasonOf(e)),
        ),
    );
    const offGrid = c.on("class:grid", (v) => v.code === code && setView(v));
    return () => {
      offConnect();
      offGrid();
      if (c.connected) void c.request("class:unwatch", { code }).catch(() => undefined);
    };
  }, [code]);

  if (problem) {
    return (
      <main className="page-message">
        <h1>No such class</h1>
        <p>{problem}</p>
        <a className="button primary" href="/" onClick={(e) => (e.preventDefault(), navigate("/"))}>
          Home
        </a>
      </main>
    );
  }
  if (!view) return <div className="page-message">loading…</div>;

  const link = `${location.origin}${view.joinPath}`;
  const act = async (what: string, work: () => Promise<unknown>) => {
    try {
      await work();
    } catch (e) {
      toast("error", what, reasonOf(e));
    }
  };

  return (
    <main className="class-page" data-testid="class-grid">
      <header className="class-header">
        <a href="/" onClick={(e) => (e.preventDefault(), navigate("/"))}>
          topolab
        </a>
        <h1>{view.name}</h1>
        <span className="muted">
          {view.students.length}/{view.size} students · {view.source}
        </span>
      </header>
      <section className="class-join">
        <div>
          Students join at <code data-testid="class-link">{link}</code> with the code <strong data-testid="class-code">{view.code}</strong>
        </div>
        <form
          className="class-send"
          onSubmit={(e) => {
            e.preventDefault();
            if (!text.trim()) return;
            void act("Could not send the message", async () => {
              await connection().request("class:message", { code, text: text.trim() });
              setText("");
              toast("info", "Message sent to the class");
            });
          }}
        >
          <input
            value={text}
            onChange={(e) => setText(e.target.value)}
            maxLength={500}
            placeholder="A message to every student"
            data-testid="class-message-input"
          />
          <button className="button" type="submit" disabled={!text.trim()} data-testid="class-message-send">
            Send
          </button>
        </form>
        <button
          className="button danger"
          disabled={ending}
          data-testid="class-end"
          onClick={() => {
            if (!confirm(`End ${view.name}? Every student's lab goes down.`)) return;
            setEnding(true);
            void act("Could not end the class", async () => {
              await connection().request("class:end", { code });
              toast("info", `${view.name} has ended`);
              navigate("/");
            }).finally(() => setEnding(false));
          }}
        >
          {ending ? "Ending…" : "End the class"}
        </button>
      </section>
      {view.students.length === 0 && <p className="muted">No student has joined yet.</p>}
      <div className="class-cards">
        {view.students.map((s) => (
          <div className="card class-card" key={s.id} data-testid={`student-${s.name}`} data-state={s.state}>
            <h3>
              <span className={`class-online ${s.online ? "on" : "off"}`} title={s.online ? "online" : "offline"} data-online={s.online ? "yes" : "no"} />{" "}
              {s.name}
            </h3>
            <div className="small muted">
              {s.lab} · {s.state}
              {s.error ? `: ${s.error}` : ""}
            </div>
            <Lights card={s} />
            <div className="class-card-actions">
              <button
                className="button primary"
                onClick={() => navigate(watchPath(s.lab))}
                data-testid="student-watch"
                title={`${s.name}'s lab live, read-only: canvas and shells; take over to type or edit`}
              >
                Watch
              </button>
              <button className="button" onClick={() => navigate(labPath(s.lab))} data-testid="student-open">
                Open
              </button>
              <button
                className="button"
                onClick={() => void act(`Could not reset ${s.name}'s lab`, () => connection().request("class:reset", { code, student: s.id }))}
                data-testid="student-reset"
              >
                Reset
              </button>
            </div>
          </div>
        ))}
      </div>
    </main>
  );
}
