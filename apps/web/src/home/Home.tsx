// The list of labs: each with its state (running, stopped), size and description; create a
// blank lab (with an address plan, so that new links get addresses) or one from a template,
// upload a lab file, open, rename, download, delete. The list follows labs:changed, so labs
// made by the CLI or another browser appear by themselves.
//
// Knows: the home page. Leaves to others: labs (the server).

import { useEffect, useRef, useState } from "react";
import type { ClientArgs, LabSummary, TemplateInfo } from "@topolab/protocol";
import { connection } from "../lib/connection";
import { labPath, navigate } from "../lib/router";
import { reasonOf, toast } from "../lib/toasts";
import { prose } from "../lib/prose";
import { NewClass } from "../class/NewClass";

const NAME_RULE = /^[a-z0-9][a-z0-9_-]{0,31}$/;

function freeLabName(base: string, labs: LabSummary[]): string {
  const taken = new Set(labs.map((l) => l.name));
  const clean =
    base
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, "-")
      .slice(0, 28) || "lab";
  if (!taken.has(clean)) return clean;
  for (let i = 2; ; i++) if (!taken.has(`${clean}-${i}`)) return `${clean}-${i}`;
}

function when(iso?: string): string {
  if (!iso) return "";
  const d = new Date(iso);
  return `${d.toLocaleDateString()} ${d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`;
}

export function Home() {
  const [labs, setLabs] = useState<LabSummary[] | null>(null);
  const [templates, setTemplates] = useState<TemplateInfo[]>([]);
  const [name, setName] = useState("");
  const [plan, setPlan] = useState("10.0.0.0/24");
  const [creating, setCreating] = useState<string | null>(null);
  const [renaming, setRenaming] = useState<{ lab: string; to: string } | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const c = connection();
    const load = () => {
      c.request("labs:list", {}).then(setLabs, (e) => toast("error", "Could not list the labs", reasonOf(e)));
      c.request("templates:list", {}).then(setTemplates, () => undefined);
    };
    const offConnect = c.onConnect(load);
    const offChanged = c.on("labs:changed", ({ labs }) => setLabs(labs));
    return () => {
      offConnect();
      offChanged();
    };
  }, []);

  const list = labs ?? [];
  const nameProblem =
    name && !NAME_RULE.test(name)
      ? "lower-case letters, digits, - and _, at most 32"
      : list.some((l) => l.name === name)
        ? "a lab has that name already"
        : null;

  const create = async (what: string, args: ClientArgs<"lab:create">, after?: (lab: string) => Promise<unknown>) => {
    setCreating(what);
    try {
      const view = await connection().request("lab:create", args);
      if (after) await after(view.name);
      navigate(labPath(view.name));
    } catch (e) {
      toast("error", `Could not create ${what}`, reasonOf(e));
    } finally {
      setCreating(null);
    }
  };

  const createBlank = () => {
    const lab = name || freeLabName("lab", list);
    void create(lab, { name: lab, source: { type: "blank" } }, (created) =>
      plan.trim() ? connection().request("lab:edit", { lab: created, changes: [{ type: "updateLab", set: { addressPlan: plan.trim() } }] }) : Promise.resolve(),
    );
  };

  const upload = async (file: File) => {
    const text = await file.text();
    void create(file.name, { source: { type: "file", text } });
  };

  const remove = async (lab: string) => {
    if (!confirm(`Delete lab ${lab}? Its namespaces, links and switches are removed from the kernel.`)) return;
    try {
      await connection().request("lab:delete", { lab });
      toast("success", `Lab ${lab} deleted`);
    } catch (e) {
      toast("error", `Could not delete ${lab}`, reasonOf(e));
    }
  };

  const rename = async () => {
    if (!renaming) return;
    try {
      await connection().request("lab:rename", { lab: renaming.lab, to: renaming.to });
      setRenaming(null);
    } catch (e) {
      toast("error", `Could not rename ${renaming.lab}`, reasonOf(e));
    }
  };

  return (
    <main className="home" data-testid="home">
      <header className="home-header">
        <h1>topolab</h1>
        <p>Draw a network; get real namespaces, veth pairs and Open vSwitch bridges, and a root shell on every host.</p>
      </header>

      <section className="home-section">
        <h2>Labs</h2>
        {labs === null ? (
          <p className="muted">loading…</p>
        ) : !labs.length ? (
          <p className="muted" data-testid="labs-empty">
            No labs yet: start a blank one or one from a template below.
          </p>
        ) : (
          <table className="labs" data-testid="labs">
            <thead>
              <tr>
                <th>Name</th>
                <th>State</th>
                <th>Size</th>
                <th>Description</th>
                <th>Changed</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {[...labs]
                .sort((a, b) => a.name.localeCompare(b.name))
                .map((l) => (
                  <tr key={l.name} data-testid={`lab-row-${l.name}`}>
                    <td>
                      {renaming?.lab === l.name ? (
                        <form
                          onSubmit={(e) => {
                            e.preventDefault();
                            void rename();
                          }}
                        >
                          <input
                            autoFocus
                            value={renaming.to}
                            onChange={(e) => setRenaming({ lab: l.name, to: e.target.value })}
                            data-testid={`lab-rename-input-${l.name}`}
                            aria-label="New name"
                          />
                          <button className="button small primary" type="submit">
                            Rename
                          </button>
                          <button className="button small" type="button" onClick={() => setRenaming(null)}>
                            Cancel
                          </button>
                        </form>
                      ) : (
                        <a
                          href={labPath(l.name)}
                          onClick={(e) => {
                            e.preventDefault();
                            navigate(labPath(l.name));
                          }}
                          data-testid={`lab-open-${l.name}`}
                        >
                          {l.name}
                        </a>
                      )}
                    </td>
                    <td>
                      <span className={`pill ${l.running ? "up" : "stopped"}`} data-testid={`lab-state-${l.name}`}>
                        {l.running ? "running" : "stopped"}
                      </span>
                    </td>
                    <td className="muted">
                      {l.nodes} nodes, {l.links} links
                    </td>
                    <td className="muted description">{l.description}</td>
                    <td className="muted small">{when(l.updatedAt ?? l.createdAt)}</td>
                    <td className="actions">
                      <button className="button small" onClick={() => setRenaming({ lab: l.name, to: l.name })} data-testid={`lab-rename-${l.name}`}>
                        Rename
                      </button>
                      <a
                        className="button small"
                        href={`/api/labs/${encodeURIComponent(l.name)}/export?format=yaml`}
                        download={`${l.name}.yaml`}
                        data-testid={`lab-download-${l.name}`}
                      >
                        Download
                      </a>
                      <button className="button small danger" onClick={() => void remove(l.name)} data-testid={`lab-delete-${l.name}`}>
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        )}
      </section>

      {templates.length > 0 && <NewClass labs={list} templates={templates} />}

      <section className="home-section">
        <h2>New lab</h2>
        <div className="cards">
          <form
            className="card"
            onSubmit={(e) => {
              e.preventDefault();
              if (!nameProblem) createBlank();
            }}
          >
            <h3>Blank lab</h3>
            <label>
              Name
              <input
                value={name}
                onChange={(e) => setName(e.target.value.trim())}
                placeholder={freeLabName("lab", list)}
                data-testid="new-lab-name"
                aria-invalid={!!nameProblem}
              />
            </label>
            {nameProblem && (
              <div className="field-error" data-testid="new-lab-name-error">
                {nameProblem}
              </div>
            )}
            <label>
              Address plan
              <input value={plan} onChange={(e) => setPlan(e.target.value)} placeholder="none" data-testid="new-lab-plan" />
            </label>
            <p className="muted small">
              New links get addresses from it, a subnet per switch or link, and hosts a default route via the router, so a lab pings at once, across routers
              too.
            </p>
            <button className="button primary" type="submit" disabled={!!creating || !!nameProblem} data-testid="create-blank">
              {creating === (name || "") ? "Creating…" : "Create"}
            </button>
          </form>
          {templates
            .filter((t) => !t.exercise)
            .map((t) => {
              const lab = name && !nameProblem ? name : freeLabName(t.lab ?? t.id, list);
              return (
                <TemplateCard
                  key={t.id}
                  t={t}
                  title={t.title}
                  action={`Create from ${t.id}`}
                  busy={!!creating && creating === (name || t.lab)}
                  disabled={!!creating}
                  onCreate={() => void create(lab, { name: lab, source: { type: "template", id: t.id } })}
                />
              );
            })}
          <div className="card">
            <h3>Upload a lab file</h3>
            <p className="muted small">A YAML or JSON lab file (see docs/lab-format.md). Its name comes from the file.</p>
            <input
              ref={fileInput}
              type="file"
              accept=".yaml,.yml,.json,application/yaml,application/json,text/yaml"
              data-testid="upload-lab"
              onChange={(e) => {
                const f = e.target.files?.[0];
                if (f) void upload(f);
                e.target.value = "";
              }}
            />
          </div>
        </div>
      </section>

      {templates.some((t) => t.exercise) && (
        <section className="home-section" data-testid="exercises">
          <h2>Exercises</h2>
          <p className="muted">Broken labs to mend: each comes with a task, and checks that turn green as it works.</p>
          <div className="cards">
            {templates
              .filter((t) => t.exercise)
              .map((t) => {
                const lab = freeLabName(t.lab ?? t.id, list);
                return (
                  <TemplateCard
                    key={t.id}
                    t={t}
                    title={exerciseTitle(t.title)}
                    action="Start"
                    busy={!!creating && creating === t.lab}
                    disabled={!!creating}
                    onCreate={() => void create(lab, { name: lab, source: { type: "template", id: t.id } })}
                  />
                );
              })}
          </div>
        </section>
      )}
    </main>
  );
}

/** A template's or an exercise's card: its title, its description, and the button that makes a lab of it. */
function TemplateCard(p: { t: TemplateInfo; title: string; action: string; busy: boolean; disabled: boolean; onCreate: () => void }) {
  return (
    <div className="card" data-testid={`template-${p.t.id}`}>
      <h3>{p.title}</h3>
      <Prose className="muted small template-description" text={p.t.description} />
      <button className="button primary" disabled={p.disabled} data-testid={`create-template-${p.t.id}`} onClick={p.onCreate}>
        {p.busy ? "Creating…" : p.action}
      </button>
    </div>
  );
}

/** A template's description: its paragraphs reflowed, `code` as code (lib/prose.ts). */
function Prose({ text, className }: { text: string; className: string }) {
  return (
    <div className={className}>
      {prose(text).map((block, i) => (
        <p key={i}>{block.map((p, j) => (p.code ? <code key={j}>{p.text}</code> : <span key={j}>{p.text}</span>))}</p>
      ))}
    </div>
  );
}

/** "Exercise: the router that does not route." -> "The router that does not route" */
function exerciseTitle(title: string): string {
  const t = title.replace(/^Exercise:\s*/i, "").replace(/\.$/, "");
  return t.charAt(0).toUpperCase() + t.slice(1);
}
