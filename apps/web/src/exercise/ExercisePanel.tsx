// The exercise panel of a lab page: the task, the checks with their lights (pending, pass,
// fail) that change by themselves as the student works in the terminals, the nodes a check
// names lit on the canvas while it is hovered, hints shown on request, the moment all pass,
// "start over", and, for a teacher, an editor of the task and its checks (saved in the lab
// file, undoable like every edit).
//
// Knows: how an exercise reads and is edited on screen. Leaves to others: following the
// results (exerciseStore), the editor's model (form.ts), edits (labStore), the rules (server).

import { useEffect, useMemo, useRef, useState } from "react";
import type { CheckKind } from "@topolab/topology";
import { useStore } from "../lib/emitter";
import { prose } from "../lib/prose";
import { reasonOf, toast } from "../lib/toasts";
import type { LabStore } from "../lab/labStore";
import { CHECK_KINDS, draftOf, exerciseFromDraft, KIND_FIELDS, KIND_LABELS, newCheck, placeOf, type CheckDraft, type ExerciseDraft } from "./form";
import { ExerciseStore, lights } from "./exerciseStore";
import "./exercise.css";

const OPEN_KEY = "topolab-exercise-open";

function Prose({ text }: { text: string }) {
  return (
    <>
      {prose(text).map((block, i) => (
        <p key={i}>
          {block.map((p, j) =>
            p.code ? (
              <code key={j}>{p.text}</code>
            ) : (
              <span key={j}>
                {p.text
                  .split(/(\*\*[^*]+\*\*)/)
                  .map((part, k) => (part.startsWith("**") && part.endsWith("**") && part.length > 4 ? <strong key={k}>{part.slice(2, -2)}</strong> : part))}
              </span>
            ),
          )}
        </p>
      ))}
    </>
  );
}

/** Lights up the canvas nodes a check names (React Flow's node elements carry their id). */
function highlight(nodes: readonly string[] | null): void {
  for (const el of document.querySelectorAll(".react-flow__node.exercise-highlight")) el.classList.remove("exercise-highlight");
  for (const n of nodes ?? []) document.querySelector(`.react-flow__node[data-id="${CSS.escape(n)}"]`)?.classList.add("exercise-highlight");
}

export function ExercisePanel({ store, selectedNode }: { store: LabStore; selectedNode: string | null }) {
  const doc = useStore(store.state, (s) => s.doc);
  const running = useStore(store.state, (s) => s.running);
  const hasExercise = !!doc?.exercise;
  const ex = useMemo(() => new ExerciseStore(store.name), [store.name]);
  useEffect(() => () => ex.close(), [ex]);
  const view = useStore(ex.view);
  const [open, setOpen] = useState(() => localStorage.getItem(OPEN_KEY) !== "closed");
  const [editing, setEditing] = useState(false);
  const [shownHints, setShownHints] = useState<Set<string>>(new Set());

  useEffect(() => {
    localStorage.setItem(OPEN_KEY, open ? "open" : "closed");
  }, [open]);
  // follow the exercise while the lab runs and has one
  useEffect(() => {
    if (hasExercise && running) void ex.follow();
    else void ex.unfollow();
  }, [ex, hasExercise, running]);
  useEffect(() => () => highlight(null), []);

  const state = view.state;
  const light = lights(state);
  const total = state?.checks.length ?? 0;
  const passed = [...light.values()].filter((l) => l === "pass").length;
  const allPass = total > 0 && passed === total;
  const wasAllPass = useRef(false);
  useEffect(() => {
    if (allPass && !wasAllPass.current) toast("success", "All checks pass", state?.title);
    wasAllPass.current = allPass;
  }, [allPass, state?.title]);

  if (!doc) return null;
  if (!hasExercise && !editing) {
    return (
      <button
        className="button exercise-add"
        data-testid="exercise-add"
        onClick={() => (setEditing(true), setOpen(true))}
        title="Write a task and checks for this lab: it becomes an exercise"
      >
        ＋ Exercise
      </button>
    );
  }
  if (!open) {
    return (
      <button className={`button exercise-tab ${allPass ? "all-pass" : ""}`} data-testid="exercise-open" onClick={() => setOpen(true)}>
        Exercise {total ? `· ${passed}/${total}` : ""}
      </button>
    );
  }

  const reset = async () => {
    if (!window.confirm("Start over? The lab goes back to how the exercise shipped: your changes in the lab and the terminals are lost.")) return;
    try {
      await ex.reset();
      setShownHints(new Set());
      toast("info", "Started over", "The lab is as the exercise shipped it.");
    } catch (e) {
      toast("error", "Could not start over", reasonOf(e));
    }
  };

  return (
    <aside className={`exercise-panel ${allPass ? "all-pass" : ""}`} data-testid="exercise-panel" aria-label="Exercise">
      <header className="exercise-head">
        <h2 data-testid="exercise-title">{editing ? "Edit the exercise" : state?.title || doc.exercise?.title}</h2>
        {!editing && total > 0 && (
          <span className="exercise-score" data-testid="exercise-score" data-passed={passed} data-total={total}>
            {passed}/{total}
          </span>
        )}
        <button
          className="icon-button"
          onClick={() => (setOpen(false), setEditing(false), highlight(null))}
          title="Hide the exercise"
          aria-label="Hide the exercise"
          data-testid="exercise-close"
        >
          ×
        </button>
      </header>
      {editing ? (
        <ExerciseEditor store={store} selectedNode={selectedNode} onDone={() => setEditing(false)} />
      ) : (
        <>
          {allPass && (
            <div className="exercise-done" data-testid="exercise-done" role="status">
              All checks pass. Well done!
            </div>
          )}
          <div className="exercise-task" data-testid="exercise-task">
            <Prose text={state?.task ?? doc.exercise?.task ?? ""} />
          </div>
          {!running && <p className="exercise-note">The lab is stopped: start it to run the checks.</p>}
          {view.error && running && <p className="exercise-note error">{view.error}</p>}
          <ol className="exercise-checks" data-testid="exercise-checks">
            {(state?.checks ?? []).map((c) => {
              const l = light.get(c.id) ?? "pending";
              const r = state?.results.find((x) => x.id === c.id);
              return (
                <li
                  key={c.id}
                  className={`exercise-check ${l}`}
                  data-testid={`check-${c.id}`}
                  data-status={l}
                  onMouseEnter={() => highlight(c.nodes)}
                  onMouseLeave={() => highlight(null)}
                  onFocus={() => highlight(c.nodes)}
                  onBlur={() => highlight(null)}
                  tabIndex={0}
                >
                  <span className="light" aria-label={l} title={l} />
                  <div className="exercise-check-body">
                    <div className="exercise-check-description">{c.description}</div>
                    {r && l !== "pass" && <div className="exercise-check-seen">{r.seen}</div>}
                    {c.hint &&
                      (shownHints.has(c.id) ? (
                        <div className="exercise-hint" data-testid={`hint-${c.id}`}>
                          <Prose text={c.hint} />
                        </div>
                      ) : (
                        l !== "pass" && (
                          <button className="link-button" onClick={() => setShownHints((s) => new Set(s).add(c.id))} data-testid={`show-hint-${c.id}`}>
                            Show hint
                          </button>
                        )
                      ))}
                  </div>
                </li>
              );
            })}
          </ol>
          <footer className="exercise-actions">
            <button
              className="button"
              onClick={() => void ex.runNow()}
              disabled={!running || view.running}
              data-testid="exercise-run"
              title="Run every check now"
            >
              {view.running ? "Checking…" : "Check now"}
            </button>
            <button
              className="button"
              onClick={() => void reset()}
              disabled={!running}
              data-testid="exercise-reset"
              title="Put the lab back as the exercise shipped it"
            >
              Start over
            </button>
            <button className="button" onClick={() => setEditing(true)} data-testid="exercise-edit" title="Edit the task and the checks (teacher)">
              Edit
            </button>
          </footer>
        </>
      )}
    </aside>
  );
}

function ExerciseEditor({ store, selectedNode, onDone }: { store: LabStore; selectedNode: string | null; onDone: () => void }) {
  const doc = useStore(store.state, (s) => s.doc)!;
  const [draft, setDraft] = useState<ExerciseDraft>(() => {
    const d = draftOf(doc.exercise);
    return doc.exercise ? d : { ...d, title: `Exercise: ${doc.name}` };
  });
  const [issues, setIssues] = useState<{ path: string; message: string }[]>([]);
  const [kind, setKind] = useState<CheckKind>("reach");
  const [saving, setSaving] = useState(false);
  const nodeNames = doc.nodes.map((n) => n.name);

  const setCheck = (i: number, c: CheckDraft) => setDraft((d) => ({ ...d, checks: d.checks.map((x, j) => (j === i ? c : x)) }));
  const save = async () => {
    setSaving(true);
    const exercise = exerciseFromDraft(draft);
    const r = await store.edit([{ type: "updateLab", set: { exercise } }], { label: "Edit the exercise", quiet: true });
    setSaving(false);
    if (r.ok) {
      setIssues([]);
      onDone();
    } else setIssues(r.error.issues?.length ? r.error.issues : [{ path: "", message: r.error.message }]);
  };
  const remove = async () => {
    if (!window.confirm("Remove the exercise from this lab? (Undo brings it back.)")) return;
    const r = await store.edit([{ type: "updateLab", set: { exercise: null } }], { label: "Remove the exercise" });
    if (r.ok) onDone();
  };
  const issuesAt = (check: number | null, field?: string) =>
    issues.filter((x) => {
      const p = placeOf(x.path);
      return p && p.check === check && (field === undefined || p.field === field);
    });
  const general = issues.filter((x) => {
    const p = placeOf(x.path);
    return !p || (p.check === null && p.field !== "title" && p.field !== "task");
  });

  return (
    <div className="exercise-editor" data-testid="exercise-editor">
      {general.map((x, i) => (
        <p key={i} className="field-error" data-testid="exercise-issue">
          {x.path ? `${x.path}: ` : ""}
          {x.message}
        </p>
      ))}
      <label className="field">
        <span>Title</span>
        <input value={draft.title} onChange={(e) => setDraft({ ...draft, title: e.target.value })} data-testid="exercise-edit-title" />
        {issuesAt(null, "title").map((x, i) => (
          <span key={i} className="field-error">
            {x.message}
          </span>
        ))}
      </label>
      <label className="field">
        <span>Task (Markdown)</span>
        <textarea rows={5} value={draft.task} onChange={(e) => setDraft({ ...draft, task: e.target.value })} data-testid="exercise-edit-task" />
      </label>
      <h3>Checks</h3>
      {draft.checks.map((c, i) => (
        <fieldset key={i} className="exercise-edit-check" data-testid={`edit-check-${i}`}>
          <legend>
            {i + 1}. {KIND_LABELS[c.kind]}
            <button
              className="link-button"
              onClick={() => setDraft((d) => ({ ...d, checks: d.checks.filter((_, j) => j !== i) }))}
              data-testid={`edit-check-remove-${i}`}
            >
              remove
            </button>
          </legend>
          {issuesAt(i, "").map((x, k) => (
            <p key={k} className="field-error">
              {x.message}
            </p>
          ))}
          {[
            { key: "description", label: "description (what the student reads)", type: "text" as const, required: true },
            ...KIND_FIELDS[c.kind],
            { key: "within", label: "may wait", type: "text" as const, placeholder: "e.g. 10s" },
            { key: "hint", label: "hint", type: "text" as const },
            { key: "id", label: "id", type: "text" as const },
          ].map((f) => (
            <label key={f.key} className="field">
              <span>
                {f.label}
                {"required" in f && f.required ? " *" : ""}
              </span>
              {f.type === "node" ? (
                <span className="node-pick">
                  <select
                    value={c.values[f.key] ?? ""}
                    onChange={(e) => setCheck(i, { ...c, values: { ...c.values, [f.key]: e.target.value } })}
                    data-testid={`edit-check-${i}-${f.key}`}
                  >
                    <option value="">(choose)</option>
                    {nodeNames.map((n) => (
                      <option key={n} value={n}>
                        {n}
                      </option>
                    ))}
                  </select>
                  <button
                    className="button small"
                    disabled={!selectedNode}
                    title={selectedNode ? `Use ${selectedNode}, selected on the canvas` : "Select a node on the canvas to use it here"}
                    onClick={() => selectedNode && setCheck(i, { ...c, values: { ...c.values, [f.key]: selectedNode } })}
                    data-testid={`edit-check-${i}-${f.key}-pick`}
                  >
                    ⌖ selected
                  </button>
                </span>
              ) : f.type === "choice" && "choices" in f ? (
                <select
                  value={c.values[f.key] ?? ""}
                  onChange={(e) => setCheck(i, { ...c, values: { ...c.values, [f.key]: e.target.value } })}
                  data-testid={`edit-check-${i}-${f.key}`}
                >
                  <option value="">(default)</option>
                  {f.choices!.map((x) => (
                    <option key={x} value={x}>
                      {x}
                    </option>
                  ))}
                </select>
              ) : f.type === "flag" ? (
                <input
                  type="checkbox"
                  checked={c.values[f.key] === "yes"}
                  onChange={(e) => setCheck(i, { ...c, values: { ...c.values, [f.key]: e.target.checked ? "yes" : "" } })}
                  data-testid={`edit-check-${i}-${f.key}`}
                />
              ) : f.type === "argv" ? (
                <textarea
                  rows={3}
                  value={c.values[f.key] ?? ""}
                  onChange={(e) => setCheck(i, { ...c, values: { ...c.values, [f.key]: e.target.value } })}
                  data-testid={`edit-check-${i}-${f.key}`}
                />
              ) : (
                <input
                  value={c.values[f.key] ?? ""}
                  placeholder={"placeholder" in f ? f.placeholder : undefined}
                  inputMode={f.type === "number" ? "numeric" : undefined}
                  onChange={(e) => setCheck(i, { ...c, values: { ...c.values, [f.key]: e.target.value } })}
                  data-testid={`edit-check-${i}-${f.key}`}
                />
              )}
              {issuesAt(i, f.key).map((x, k) => (
                <span key={k} className="field-error" data-testid="exercise-field-issue">
                  {x.message}
                </span>
              ))}
            </label>
          ))}
        </fieldset>
      ))}
      <div className="exercise-add-check">
        <select value={kind} onChange={(e) => setKind(e.target.value as CheckKind)} data-testid="exercise-new-kind" aria-label="Kind of the new check">
          {CHECK_KINDS.map((k) => (
            <option key={k} value={k}>
              {KIND_LABELS[k]}
            </option>
          ))}
        </select>
        <button
          className="button"
          onClick={() => setDraft((d) => ({ ...d, checks: [...d.checks, newCheck(kind, d.checks.length)] }))}
          data-testid="exercise-add-check"
        >
          Add check
        </button>
      </div>
      <footer className="exercise-actions">
        <button className="button primary" onClick={() => void save()} disabled={saving} data-testid="exercise-save">
          {saving ? "Saving…" : "Save"}
        </button>
        <button className="button" onClick={onDone} data-testid="exercise-cancel">
          Cancel
        </button>
        {doc.exercise && (
          <button className="button danger" onClick={() => void remove()} data-testid="exercise-remove">
            Remove exercise
          </button>
        )}
      </footer>
    </div>
  );
}
