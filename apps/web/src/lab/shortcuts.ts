// The lab page's keyboard shortcuts: which keys mean which action, and which of them stay on
// when the page is read-only (issue 15: an instructor watching a student's lab) — marked
// readOnlyOk where each shortcut is defined, so a shortcut added later is off while watching
// until someone marks it (as the context menu's items and the inspector's controls are).
//
// Knows: the keys, the read-only mark, which keys the browser must not act on too. Leaves to
// others: the actions (LabPage), keys typed into a field or a terminal (LabPage drops those),
// the overlay that lists them (Help.tsx).

/** What of a keydown a shortcut looks at. */
export type KeyPress = Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey" | "shiftKey">;

export interface Shortcut {
  matches: (e: KeyPress) => boolean;
  /** it only looks (a view, a shell shown): on while the page is read-only */
  readOnlyOk?: true;
  /** the browser's own meaning of the key is not wanted (its context menu, select all, back) */
  preventDefault?: true;
}

const mod = (e: KeyPress) => e.ctrlKey || e.metaKey;
/** no Ctrl, Cmd or Alt: Shift alone is part of the key (?, T) */
const plain = (e: KeyPress) => !mod(e) && !e.altKey;
const key =
  (...keys: string[]) =>
  (e: KeyPress) =>
    plain(e) && keys.includes(e.key);
const withMod = (letter: string, shift?: boolean) => (e: KeyPress) => mod(e) && e.key.toLowerCase() === letter && (shift === undefined || e.shiftKey === shift);

const table = {
  /** the context menu of the selection, or of the canvas: read-only, its items marked readOnlyOk alone (as with the mouse) */
  menu: { matches: (e) => e.key === "ContextMenu" || (e.key === "F10" && e.shiftKey), readOnlyOk: true, preventDefault: true },
  undo: { matches: withMod("z", false), preventDefault: true },
  redo: { matches: (e) => withMod("z", true)(e) || withMod("y")(e), preventDefault: true },
  selectAll: { matches: withMod("a"), preventDefault: true },
  delete: { matches: key("Delete", "Backspace"), preventDefault: true },
  help: { matches: key("?"), readOnlyOk: true },
  /** close the help, clear the selection */
  escape: { matches: key("Escape"), readOnlyOk: true },
  fit: { matches: key("f", "F"), readOnlyOk: true },
  layout: { matches: key("l", "L") },
  labels: { matches: key("e", "E"), readOnlyOk: true },
  dock: { matches: key("`"), readOnlyOk: true },
  /** a shell on the selected node (watched, when the page is read-only) */
  terminal: { matches: key("t", "T", "Enter"), readOnlyOk: true },
} satisfies Record<string, Shortcut>;

export type ShortcutId = keyof typeof table;
export const SHORTCUTS: Record<ShortcutId, Shortcut> = table;

/** The shortcut a key press means, on a read-only page or not; null: none (the key is the browser's). */
export function shortcutOf(e: KeyPress, readOnly: boolean): ShortcutId | null {
  for (const [id, s] of Object.entries(SHORTCUTS) as [ShortcutId, Shortcut][]) {
    // the keys of one shortcut are no other's: the first that matches decides
    if (s.matches(e)) return readOnly && !s.readOnlyOk ? null : id;
  }
  return null;
}
