import { describe, expect, it } from "vitest";
import { shortcutOf, SHORTCUTS, type KeyPress, type ShortcutId } from "./shortcuts";

/** "Ctrl+Shift+Z", "Meta+a", "?", "Shift+F10": a key press as the browser reports it. */
function press(text: string): KeyPress {
  const parts = text === "+" ? ["+"] : text.split("+");
  const key = parts.pop()!;
  return { key, ctrlKey: parts.includes("Ctrl"), metaKey: parts.includes("Meta"), altKey: parts.includes("Alt"), shiftKey: parts.includes("Shift") };
}

const KEYS = [
  "a",
  "A",
  "z",
  "Z",
  "y",
  "Y",
  "f",
  "F",
  "l",
  "L",
  "e",
  "E",
  "t",
  "T",
  "x",
  "?",
  "`",
  "Enter",
  "Escape",
  "Delete",
  "Backspace",
  "F10",
  "ContextMenu",
  " ",
];
const MODIFIERS = ["", "Ctrl+", "Meta+", "Alt+", "Shift+", "Ctrl+Shift+", "Ctrl+Alt+", "Alt+Shift+"];

describe("the lab page's keyboard shortcuts", () => {
  it("take each key press to its action, with Ctrl or Cmd for the editing ones and neither for the single keys", () => {
    const cases: [string, ShortcutId | null][] = [
      ["Ctrl+z", "undo"],
      ["Meta+z", "undo"],
      ["Ctrl+Shift+Z", "redo"],
      ["Ctrl+y", "redo"],
      ["Ctrl+a", "selectAll"],
      ["ContextMenu", "menu"],
      ["Shift+F10", "menu"],
      ["F10", null],
      ["Delete", "delete"],
      ["Backspace", "delete"],
      ["Shift+?", "help"],
      ["Escape", "escape"],
      ["f", "fit"],
      ["Shift+F", "fit"],
      ["l", "layout"],
      ["e", "labels"],
      ["`", "dock"],
      ["t", "terminal"],
      ["Enter", "terminal"],
      ["Ctrl+f", null], // the browser's find
      ["Alt+t", null],
      ["Ctrl+Enter", null],
      ["a", null],
      ["x", null],
    ];
    for (const [text, id] of cases) expect([text, shortcutOf(press(text), false)]).toEqual([text, id]);
  });

  it("read-only, keep only what looks: the shortcuts marked readOnlyOk (the menu: its reading items), and nothing that edits", () => {
    const kept = (Object.keys(SHORTCUTS) as ShortcutId[]).filter((id) => SHORTCUTS[id].readOnlyOk);
    expect(kept).toEqual(["menu", "help", "escape", "fit", "labels", "dock", "terminal"]);
    for (const text of ["Ctrl+z", "Ctrl+Shift+Z", "Ctrl+y", "Ctrl+a", "Delete", "Backspace", "l", "L"])
      expect([text, shortcutOf(press(text), true)]).toEqual([text, null]);
    for (const [text, id] of [
      ["Shift+F10", "menu"], // its items: those marked readOnlyOk (contextMenu.ts)
      ["ContextMenu", "menu"],
      ["Shift+?", "help"],
      ["Escape", "escape"],
      ["F", "fit"],
      ["E", "labels"],
      ["`", "dock"],
      ["T", "terminal"],
      ["Enter", "terminal"],
    ] as const)
      expect([text, shortcutOf(press(text), true)]).toEqual([text, id]);
  });

  it("give no key press to two shortcuts (the first that matches decides)", () => {
    for (const m of MODIFIERS)
      for (const k of KEYS) {
        const e = press(`${m}${k}`);
        const matching = Object.entries(SHORTCUTS).filter(([, s]) => s.matches(e));
        expect([`${m}${k}`, matching.length <= 1]).toEqual([`${m}${k}`, true]);
      }
  });
});
