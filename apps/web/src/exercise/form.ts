// The exercise editor's model: a check as a form (every field a text), the fields each kind
// of check has, and the exercise as a lab file writes it, built back from the forms. Pure: the
// panel draws it, the server validates what it gives (its messages name the field).
//
// Knows: the kinds of check and their fields (as topology's exercise.ts defines them), which
// fields name a node (the canvas can fill them), which are numbers, lists or yes/no. Leaves
// to others: the rules (the server's validation), drawing (ExercisePanel).

import { CHECK_KINDS, type CheckKind, type Exercise } from "@topolab/topology";

export type FieldType = "node" | "text" | "number" | "choice" | "flag" | "argv";

export interface FieldSpec {
  key: string;
  label: string;
  type: FieldType;
  choices?: string[];
  placeholder?: string;
  required?: boolean;
}

const node = (key: string, label: string): FieldSpec => ({ key, label, type: "node", required: true });
const text = (key: string, label: string, placeholder?: string, required = false): FieldSpec => ({
  key,
  label,
  type: "text",
  ...(placeholder ? { placeholder } : {}),
  required,
});
const num = (key: string, label: string, placeholder?: string): FieldSpec => ({ key, label, type: "number", ...(placeholder ? { placeholder } : {}) });
const expect: FieldSpec = { key: "expect", label: "expect", type: "choice", choices: ["success", "failure"] };

/** The fields of each kind, beside the common ones (id, description, hint, within). */
export const KIND_FIELDS: Record<CheckKind, FieldSpec[]> = {
  reach: [
    node("from", "from"),
    text("to", "to", "node name or address", true),
    { key: "protocol", label: "protocol", type: "choice", choices: ["icmp", "tcp"] },
    num("port", "TCP port"),
    expect,
  ],
  address: [
    node("node", "node"),
    text("interface", "interface", "eth0", true),
    text("address", "address", "10.0.0.1/24"),
    text("subnet", "or a subnet", "10.0.0.0/24"),
  ],
  route: [node("node", "node"), text("to", "to address", "10.1.20.2", true), text("via", "via gateway", "10.1.10.1"), text("dev", "out of interface", "eth0")],
  lease: [
    node("node", "node"),
    text("interface", "interface", "eth0", true),
    text("server", "from server", "10.50.50.2"),
    text("subnet", "in subnet", "10.50.50.0/24"),
  ],
  listen: [node("node", "node"), num("port", "port", "8080"), { key: "protocol", label: "protocol", type: "choice", choices: ["tcp", "udp"] }, expect],
  http: [
    node("from", "from"),
    text("to", "to", "node name or address", true),
    num("port", "port", "80"),
    text("path", "path", "/"),
    num("status", "status", "200"),
    expect,
  ],
  neighbour: [
    node("node", "node"),
    text("address", "address", "10.0.0.2", true),
    text("mac", "MAC", "02:00:00:00:00:01"),
    { key: "ping", label: "ping it first", type: "flag" },
  ],
  "mac-table": [node("switch", "switch"), text("host", "whose MAC", "h1:eth0", true), text("port", "on port", "s1:eth1")],
  sysctl: [node("node", "node"), text("key", "key", "net.ipv4.ip_forward", true), text("value", "value", "1", true)],
  command: [
    node("node", "node"),
    { key: "command", label: "command (one argument a line)", type: "argv", required: true },
    num("exit", "exit status", "0"),
    text("match", "output matches", "regular expression"),
  ],
};

export const KIND_LABELS: Record<CheckKind, string> = {
  reach: "reaches (ping or TCP)",
  address: "has an address",
  route: "routes via",
  lease: "holds a DHCP lease",
  listen: "listens on a port",
  http: "answers HTTP",
  neighbour: "knows a neighbour",
  "mac-table": "switch learned a MAC",
  sysctl: "sysctl value",
  command: "command succeeds",
};

/** A check being edited: its kind and every field as text ("" = not set). */
export interface CheckDraft {
  kind: CheckKind;
  values: Record<string, string>;
}

export interface ExerciseDraft {
  title: string;
  task: string;
  checks: CheckDraft[];
}

const COMMON = ["id", "description", "hint", "within"];

export function draftOf(exercise: Exercise | undefined): ExerciseDraft {
  if (!exercise) return { title: "", task: "", checks: [] };
  return {
    title: exercise.title,
    task: exercise.task,
    checks: exercise.checks.map((c) => {
      const values: Record<string, string> = {};
      for (const [k, v] of Object.entries(c)) {
        if (k === "kind" || k === "withinMs" || v === undefined) continue;
        values[k] = Array.isArray(v) ? v.join("\n") : typeof v === "boolean" ? (v ? "yes" : "") : String(v);
      }
      return { kind: c.kind, values };
    }),
  };
}

export function newCheck(kind: CheckKind, index: number): CheckDraft {
  return { kind, values: { id: `c${index + 1}`, description: "" } };
}

/** The exercise as a lab file writes it, from the drafts: empty fields left out, numbers as numbers. */
export function exerciseFromDraft(d: ExerciseDraft): Record<string, unknown> {
  return {
    title: d.title.trim(),
    ...(d.task.trim() ? { task: d.task } : {}),
    checks: d.checks.map((c) => {
      const out: Record<string, unknown> = { kind: c.kind };
      for (const key of COMMON) {
        const v = c.values[key]?.trim();
        if (v) out[key] = v;
      }
      for (const f of KIND_FIELDS[c.kind]) {
        const raw = c.values[f.key] ?? "";
        if (f.type === "argv") {
          const argv = raw
            .split("\n")
            .map((a) => a.trim())
            .filter(Boolean);
          if (argv.length) out[f.key] = argv;
        } else if (f.type === "flag") {
          if (raw === "yes") out[f.key] = true;
        } else if (raw.trim() === "") continue;
        else if (f.type === "number") out[f.key] = /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw.trim();
        else if (f.key === "value" && c.kind === "sysctl") out[f.key] = raw.trim();
        else out[f.key] = raw.trim();
      }
      return out;
    }),
  };
}

/** "exercise.checks[2].from" -> {check: 2, field: "from"}; null for other places. */
export function placeOf(path: string): { check: number | null; field: string } | null {
  const m = /^exercise(?:\.checks\[(\d+)\])?(?:\.([A-Za-z_-]+))?/.exec(path);
  if (!m) return null;
  return { check: m[1] !== undefined ? Number(m[1]) : null, field: m[2] ?? "" };
}

export { CHECK_KINDS };
