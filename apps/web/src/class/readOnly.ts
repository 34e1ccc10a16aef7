// The mark a control carries when it stays usable on a read-only page (issue 15: an instructor
// watching a student's lab): it only reads (a tab of the inspector's views, a capture). Set
// where the control is defined; ReadOnlyZone disables every field and button without it, so a
// control added later is off in read-only mode until someone marks it.
//
// Knows: the attribute. Leaves to others: disabling (ReadOnlyZone), the context menu's own
// mark (MenuItem.readOnlyOk in lab/contextMenu.ts).

export const READ_ONLY_OK_ATTRIBUTE = "data-read-only-ok";

/** spread on a control that only reads: `<button {...readOnlyOk} …>` */
export const readOnlyOk = { [READ_ONLY_OK_ATTRIBUTE]: "" } as const;
