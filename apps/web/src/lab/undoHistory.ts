// A lab's undo and redo steps kept in the tab's sessionStorage, so that a reload (or a crash
// and reload) does not lose them: one entry per lab, read back only if every step is still
// valid (the protocol's change schema), and cut to the newest steps when storage is short.
//
// Knows: the stored shape and its checks. Leaves to others: what a step means (labStore).

import { ChangeSchema, type Change } from "@topolab/protocol";

export interface Step {
  label: string;
  undo: Change[];
  redo: Change[];
}

export interface History {
  undo: Step[];
  redo: Step[];
}

const isChanges = (v: unknown): v is Change[] => Array.isArray(v) && v.every((c) => ChangeSchema.safeParse(c).success);
const isStep = (v: unknown): v is Step => {
  const s = v as Partial<Step> | null;
  return !!s && typeof s === "object" && typeof s.label === "string" && s.label.length <= 200 && isChanges(s.undo) && isChanges(s.redo);
};
function parseHistory(v: unknown): History | null {
  const h = v as { version?: unknown; undo?: unknown; redo?: unknown } | null;
  if (!h || h.version !== 1 || !Array.isArray(h.undo) || !Array.isArray(h.redo)) return null;
  if (!h.undo.every(isStep) || !h.redo.every(isStep)) return null;
  return { undo: h.undo, redo: h.redo };
}

type KeyValue = Pick<Storage, "getItem" | "setItem" | "removeItem">;

export const historyKey = (lab: string) => `topolab-undo:${lab}`;

/** The lab's steps from storage; none when there are none or they are not valid. */
export function loadHistory(storage: KeyValue | undefined, lab: string): History {
  try {
    const raw = storage?.getItem(historyKey(lab));
    if (!raw) return { undo: [], redo: [] };
    const h = parseHistory(JSON.parse(raw));
    if (!h) {
      storage?.removeItem(historyKey(lab));
      return { undo: [], redo: [] };
    }
    return h;
  } catch {
    return { undo: [], redo: [] };
  }
}

/** Keeps the lab's steps; if storage is full, the oldest steps go first. */
export function saveHistory(storage: KeyValue | undefined, lab: string, h: History): void {
  if (!storage) return;
  let undo = h.undo;
  let redo = h.redo;
  for (;;) {
    try {
      if (!undo.length && !redo.length) storage.removeItem(historyKey(lab));
      else storage.setItem(historyKey(lab), JSON.stringify({ version: 1, undo, redo }));
      return;
    } catch {
      if (!undo.length && !redo.length) return;
      if (undo.length) undo = undo.slice(Math.ceil(undo.length / 2));
      else redo = redo.slice(Math.ceil(redo.length / 2));
    }
  }
}

/** Moves a lab's steps to its new name (the lab was renamed). */
export function renameHistory(storage: KeyValue | undefined, from: string, to: string): void {
  const h = loadHistory(storage, from);
  saveHistory(storage, from, { undo: [], redo: [] });
  saveHistory(storage, to, h);
}

/** sessionStorage, or nothing where it cannot be used (private modes, tests) */
export function sessionStore(): KeyValue | undefined {
  try {
    return typeof sessionStorage === "undefined" ? undefined : sessionStorage;
  } catch {
    return undefined;
  }
}
