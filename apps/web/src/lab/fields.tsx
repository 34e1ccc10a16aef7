// Inspector fields: a text field, a checkbox and a select that send their edit when the person
// is done (Enter or leaving the field), and show the server's reason right under the field
// when it refuses it (the kernel is untouched then). The refused text stays, to be fixed.
//
// Knows: drafts and errors. Leaves to others: what an edit is (the caller's onCommit).

import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import type { ErrorInfo } from "@topolab/protocol";
import type { EditOutcome } from "./labStore";

/** The server's reason as one sentence for a field: its issues' messages, or its message. */
export function fieldReason(error: ErrorInfo): string {
  const issues = error.issues ?? [];
  return issues.length ? [...new Set(issues.map((i) => i.message))].join("; ") : error.message;
}

interface TextFieldProps {
  label: string;
  testid: string;
  value: string;
  onCommit: (text: string) => Promise<EditOutcome> | EditOutcome;
  placeholder?: string;
  hint?: ReactNode;
  multiline?: boolean;
  /** a check made before sending; returns a problem or null */
  check?: (text: string) => string | null;
}

export function TextField({ label, testid, value, onCommit, placeholder, hint, multiline, check }: TextFieldProps) {
  const id = useId();
  const [draft, setDraft] = useState(value);
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const focused = useRef(false);

  // the document changed (here or in another browser): show it, unless the person is typing
  useEffect(() => {
    if (!focused.current && !error) setDraft(value);
  }, [value, error]);

  const commit = async () => {
    if (draft === value) {
      setError(null);
      return;
    }
    const problem = check?.(draft) ?? null;
    if (problem) {
      setError(problem);
      return;
    }
    setSending(true);
    const r = await onCommit(draft);
    setSending(false);
    setError(r.ok ? null : fieldReason(r.error));
  };

  const common = {
    id,
    value: draft,
    placeholder,
    "data-testid": testid,
    "aria-invalid": !!error,
    "aria-describedby": error ? `${id}-error` : undefined,
    className: `${error ? "invalid" : ""} ${sending ? "sending" : ""}`,
    onFocus: () => (focused.current = true),
    onBlur: () => {
      focused.current = false;
      void commit();
    },
  };
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {multiline ? (
        <textarea
          {...common}
          rows={3}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) void commit();
            if (e.key === "Escape") {
              setDraft(value);
              setError(null);
            }
          }}
        />
      ) : (
        <input
          {...common}
          type="text"
          spellCheck={false}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") void commit();
            if (e.key === "Escape") {
              setDraft(value);
              setError(null);
            }
          }}
        />
      )}
      {error ? (
        <div className="field-error" id={`${id}-error`} role="alert" data-testid={`${testid}-error`}>
          {error}
        </div>
      ) : (
        hint && <div className="field-hint">{hint}</div>
      )}
    </div>
  );
}

export function CheckField({
  label,
  testid,
  value,
  onCommit,
}: {
  label: string;
  testid: string;
  value: boolean;
  onCommit: (v: boolean) => Promise<EditOutcome>;
}) {
  const [error, setError] = useState<string | null>(null);
  // an edit's refusal comes back as its outcome, not as a rejection: nothing is left unhandled
  const commit = async (v: boolean) => {
    const r = await onCommit(v);
    setError(r.ok ? null : fieldReason(r.error));
  };
  return (
    <div className="field field-check">
      <label>
        <input type="checkbox" checked={value} data-testid={testid} onChange={(e) => void commit(e.target.checked)} /> {label}
      </label>
      {error && (
        <div className="field-error" role="alert" data-testid={`${testid}-error`}>
          {error}
        </div>
      )}
    </div>
  );
}

export function SelectField({
  label,
  testid,
  value,
  options,
  onCommit,
}: {
  label: string;
  testid: string;
  value: string;
  options: [string, string][];
  onCommit: (v: string) => Promise<EditOutcome>;
}) {
  const id = useId();
  const [error, setError] = useState<string | null>(null);
  // an edit's refusal comes back as its outcome, not as a rejection: nothing is left unhandled
  const commit = async (v: string) => {
    const r = await onCommit(v);
    setError(r.ok ? null : fieldReason(r.error));
  };
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} data-testid={testid} onChange={(e) => void commit(e.target.value)}>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
      {error && (
        <div className="field-error" role="alert" data-testid={`${testid}-error`}>
          {error}
        </div>
      )}
    </div>
  );
}

/** "10.0.0.1/24, fd00::1/64" -> ["10.0.0.1/24", "fd00::1/64"] */
export const splitList = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
