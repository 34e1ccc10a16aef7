// "New class" on the home page (issue 15): the instructor picks a template, an exercise or one
// of their labs, a name and a size; the class opens and the grid shows its join link. The
// classes already open are listed here too.
//
// Knows: the form and the class list. Leaves to others: the grid (ClassGrid), the server.

import { useEffect, useState } from "react";
import type { ClassView, LabSummary, TemplateInfo } from "@topolab/protocol";
import { connection } from "../lib/connection";
import { navigate } from "../lib/router";
import { reasonOf, toast } from "../lib/toasts";

export const classPath = (code: string) => `/class/${code}`;

export function NewClass({ labs, templates }: { labs: LabSummary[]; templates: TemplateInfo[] }) {
  const [classes, setClasses] = useState<ClassView[]>([]);
  const [name, setName] = useState("");
  const [size, setSize] = useState(30);
  const [source, setSource] = useState("");
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const c = connection();
    // void: a refused list (not an instructor) leaves the list empty, handled by then's second callback
    return c.onConnect(() => void c.request("class:list", {}).then(setClasses, () => undefined));
  }, []);

  const choices = [
    ...templates.map((t) => ({ value: `template:${t.id}`, label: `${t.exercise ? "Exercise" : "Template"}: ${t.title}` })),
    ...labs.map((l) => ({ value: `lab:${l.name}`, label: `Lab: ${l.name}` })),
  ];
  const chosen = source || choices.find((c) => c.value.startsWith("template:exercise-"))?.value || choices[0]?.value || "";

  const open = async () => {
    const [type, ...rest] = chosen.split(":");
    const id = rest.join(":");
    setBusy(true);
    try {
      const view = await connection().request("class:create", {
        name: name.trim() || "Class",
        size,
        source: type === "lab" ? { type: "lab", lab: id } : { type: "template", id },
      });
      navigate(classPath(view.code));
    } catch (e) {
      toast("error", "Could not open the class", reasonOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="home-section" data-testid="classes">
      <h2>Classes</h2>
      {classes.length > 0 && (
        <ul className="class-list">
          {classes.map((k) => (
            <li key={k.code}>
              <a href={classPath(k.code)} onClick={(e) => (e.preventDefault(), navigate(classPath(k.code)))} data-testid={`class-${k.code}`}>
                {k.name}
              </a>{" "}
              <span className="muted small">
                code {k.code} · {k.students.length}/{k.size} students · {k.source}
              </span>
            </li>
          ))}
        </ul>
      )}
      <form
        className="card"
        onSubmit={(e) => {
          e.preventDefault();
          void open();
        }}
      >
        <h3>New class</h3>
        <p className="muted small">Every student who joins gets their own copy of the lab, brought up at once; you see them all in one grid.</p>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Class" maxLength={60} data-testid="class-name" />
        </label>
        <label>
          Students at most
          <input
            type="number"
            min={1}
            max={100}
            value={size}
            onChange={(e) => setSize(Math.max(1, Math.min(100, Number(e.target.value) || 1)))}
            data-testid="class-size"
          />
        </label>
        <label>
          Lab
          <select value={chosen} onChange={(e) => setSource(e.target.value)} data-testid="class-source">
            {choices.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <button className="button primary" type="submit" disabled={busy || !chosen} data-testid="class-create">
          {busy ? "Opening…" : "Open the class"}
        </button>
      </form>
    </section>
  );
}
