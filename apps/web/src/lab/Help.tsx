// The keyboard shortcuts, as an overlay (press ?).

export const SHORTCUTS: [string, string][] = [
  ["Delete / Backspace", "delete the selection"],
  ["Ctrl+Z", "undo"],
  ["Ctrl+Shift+Z / Ctrl+Y", "redo"],
  ["T / Enter", "open a terminal on the selected host or router"],
  ["F", "zoom to fit"],
  ["L", "auto-layout"],
  ["E", "show or hide the labels on links (interfaces, addresses, VLANs)"],
  ["`", "show or hide the terminal dock"],
  ["Ctrl+A", "select everything"],
  ["Esc", "clear the selection (and a trace drawn on the canvas), close this help"],
  ["Shift+click, Shift+drag", "select several"],
  ["Two hosts selected, then Trace (or a host's menu: Trace to…)", "the path a packet takes, drawn on the links, and where it stops"],
  ["Double-click a node", "open a terminal on it"],
  ["Drag from a node's handle onto another node", "link them (next free interface and address)"],
  ["Right-click, Shift+F10, ContextMenu key", "actions on the node, link or canvas (arrows, Enter, Esc)"],
  ["← → Home End on the inspector's tabs", "Settings and the kernel's live views (interfaces, routes, MAC table…)"],
  ["?", "this help"],
];

export function Help({ onClose }: { onClose: () => void }) {
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" data-testid="help" onClick={onClose}>
      <div className="dialog" onClick={(e) => e.stopPropagation()}>
        <h2>Keyboard shortcuts</h2>
        <table className="shortcuts">
          <tbody>
            {SHORTCUTS.map(([k, what]) => (
              <tr key={k}>
                <td>
                  <kbd>{k}</kbd>
                </td>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button className="button" onClick={onClose} data-testid="help-close">
          Close
        </button>
      </div>
    </div>
  );
}
