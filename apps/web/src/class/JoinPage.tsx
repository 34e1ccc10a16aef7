// The join page (issue 15): a student gives the class code (from the link, or typed) and a
// display name; the server sets their class cookie and makes their lab; the page waits until
// the lab is up and lands on it. No token, no account.
//
// Knows: the join request (plain fetch: the socket cannot connect before the cookie; the lab
// page is then loaded afresh, so that its socket shows the cookie).
// Leaves to others: the lab page.

import { useState } from "react";
import type { StudentView } from "@topolab/protocol";
import { labPath } from "../lib/router";

export function JoinPage({ code: fromLink }: { code: string }) {
  const [code, setCode] = useState(fromLink);
  const [name, setName] = useState("");
  const [state, setState] = useState<{ kind: "idle" } | { kind: "joining"; what: string } | { kind: "error"; message: string }>({ kind: "idle" });

  const join = async () => {
    setState({ kind: "joining", what: "Joining…" });
    try {
      const res = await fetch("/api/class/join", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ code: code.trim().toLowerCase(), name: name.trim() }),
      });
      const body = (await res.json()) as { lab?: string; error?: { message: string; issues?: { path: string; message: string }[] } };
      if (!res.ok || !body.lab) {
        const issue = body.error?.issues?.[0];
        throw new Error(issue ? `${issue.path}: ${issue.message}` : (body.error?.message ?? `the server answered ${res.status}`));
      }
      setState({ kind: "joining", what: "Bringing your lab up…" });
      // REST with the new cookie (a socket made before it was refused), then a fresh page load
      for (;;) {
        const me = (await fetch("/api/class/me").then(
          (r) => (r.ok ? r.json() : null),
          () => null,
        )) as StudentView | null;
        if (me?.state === "up") break;
        if (me?.state === "failed") throw new Error(`your lab did not come up: ${me.error ?? "unknown reason"}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      location.replace(labPath(body.lab));
    } catch (e) {
      setState({ kind: "error", message: (e as Error).message });
    }
  };

  return (
    <main className="page-message join-page" data-testid="join-page">
      <h1>Join a class</h1>
      <form
        className="card"
        onSubmit={(e) => {
          e.preventDefault();
          void join();
        }}
      >
        <label>
          Class code
          <input value={code} onChange={(e) => setCode(e.target.value)} maxLength={6} autoComplete="off" data-testid="join-code" />
        </label>
        <label>
          Your name (shown to the teacher)
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={40} autoFocus data-testid="join-name" />
        </label>
        <button
          className="button primary"
          type="submit"
          disabled={state.kind === "joining" || !name.trim() || code.trim().length !== 6}
          data-testid="join-submit"
        >
          {state.kind === "joining" ? state.what : "Join"}
        </button>
        {state.kind === "error" && (
          <div className="field-error" data-testid="join-error">
            {state.message}
          </div>
        )}
      </form>
    </main>
  );
}
