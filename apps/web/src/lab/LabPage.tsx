// A lab's page: toolbar, palette, canvas, inspector and the terminal dock, with the keyboard
// shortcuts. Opens the lab's store for as long as the page is shown.
//
// With watch (issue 15, the instructor's watch of a student's lab): read-only until "take
// over": the palette hidden, the editing buttons, shortcuts and menus off, the inspector
// readable but disabled, the shells watched (the server refuses edits too: lab:open watch).
//
// Knows: layout, shortcuts, the toolbar's actions. Leaves to others: each part.

import { useCallback, useEffect, useLayoutEffect, useMemo, useState } from "react";
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useStore } from "../lib/emitter";
import { labPath, navigate } from "../lib/router";
import { reasonOf, toast } from "../lib/toasts";
import { Dock } from "../terminals/Dock";
import { CaptureHost } from "../capture/CaptureHost";
import { TraceButton, TraceHost } from "../trace/TraceHost";
import { ExercisePanel } from "../exercise/ExercisePanel";
import { LiveProvider } from "../live/LiveProvider";
import { showSettings } from "../live/tabs";
import { terminals } from "../terminals/manager";
import { ErrorBoundary } from "../ui/ErrorBoundary";
import { WatchBanner } from "../class/WatchBanner";
import { ReadOnlyZone } from "../class/ReadOnlyZone";
import { Canvas, FIT_OPTIONS } from "./Canvas";
import { ContextMenu, type OpenMenu } from "./ContextMenu";
import { allowedItems, contextMenuItems, type MenuContext, type MenuTarget } from "./contextMenu";
import { Help } from "./Help";
import { deleteSelection, Inspector, type Selection } from "./Inspector";
import { useKernelRefresh } from "./kernelRefresh";
import { hasShell } from "./kinds";
import { LabStore } from "./labStore";
import { Palette } from "./Palette";
import { shortcutOf, SHORTCUTS, type ShortcutId } from "./shortcuts";

const LABELS_KEY = "topolab-labels";

export function LabPage({ name, watch = false }: { name: string; watch?: boolean }) {
  // made in the render, joined once the page is committed (before it is painted, so before a
  // click can edit it): a render React throws away leaves no store behind
  const store = useMemo(() => new LabStore(name, { watch }), [name, watch]);
  useLayoutEffect(() => {
    store.join();
    return () => store.close();
  }, [store]);
  useEffect(() => {
    terminals.show(name, { watch });
    return () => terminals.show(null);
  }, [name, watch]);
  return (
    <ReactFlowProvider>
      <LiveProvider store={store}>
        <LabLayout store={store} watch={watch} />
      </LiveProvider>
    </ReactFlowProvider>
  );
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable || !!el.closest?.(".xterm"));
}

function LabLayout({ store, watch }: { store: LabStore; watch: boolean }) {
  const s = useStore(store.state);
  const readOnly = s.mode === "watch";
  const flow = useReactFlow();
  const [selection, setSelection] = useState<Selection>({ nodes: [], edges: [] });
  const [help, setHelp] = useState(false);
  const [dockOpen, setDockOpen] = useState(false);
  const [labels, setLabels] = useState(() => localStorage.getItem(LABELS_KEY) !== "off");
  const [layingOut, setLayingOut] = useState(false);

  useEffect(() => {
    localStorage.setItem(LABELS_KEY, labels ? "on" : "off");
  }, [labels]);
  // the selected node's kernel view, read again (and while it waits for a DHCP lease)
  useKernelRefresh(store, selection.nodes.length === 1 ? selection.nodes[0]! : null);

  // a lab renamed elsewhere: follow it; deleted: say so
  useEffect(() => {
    if (!s.removed) return;
    if (s.removed.renamedTo) {
      toast("info", `Lab renamed to ${s.removed.renamedTo}`, s.removed.reason);
      navigate(labPath(s.removed.renamedTo), true);
    }
  }, [s.removed]);

  const openTerminal = useCallback(
    (node: string) => {
      // watching: a node's shell is shown when the student has one open there; none is opened
      if (store.state.get().mode === "watch") {
        const tab = terminals.tabs.get().find((t) => t.node === node && t.state !== "exited");
        if (tab) terminals.active.set(tab.id);
        else toast("info", `No shell open on ${node}`, "the student's shells appear in the dock as they open them; take over to open one yourself");
        return;
      }
      void terminals.open(store.name, node);
    },
    [store],
  );
  const fit = useCallback(() => void flow.fitView({ ...FIT_OPTIONS, duration: 300 }), [flow]);
  const layout = useCallback(async () => {
    const doc = store.state.get().doc;
    if (!doc || layingOut) return;
    setLayingOut(true);
    try {
      const { autoLayout } = await import("./layout");
      const sizes = new Map(flow.getNodes().map((n) => [n.id, { width: n.measured?.width ?? 150, height: n.measured?.height ?? 50 }]));
      const positions = await autoLayout(doc, sizes);
      const r = await store.edit([{ type: "moveNodes", positions }], { label: "Auto-layout" });
      if (r.ok) setTimeout(fit, 50);
    } catch (e) {
      toast("error", "Auto-layout failed", reasonOf(e));
    } finally {
      setLayingOut(false);
    }
  }, [store, flow, fit, layingOut]);
  const remove = useCallback(() => {
    if (selection.nodes.length + selection.edges.length) void deleteSelection(store, selection);
  }, [store, selection]);

  // the context menu: right-click, or Shift+F10 / the ContextMenu key on the selection
  const [menu, setMenu] = useState<OpenMenu | null>(null);
  const closeMenu = useCallback(() => setMenu(null), []);
  const select = useCallback(
    (t: MenuTarget) => {
      const want = (kind: "node" | "link", id: string) => t.kind === kind && (t.kind === "node" ? t.node : t.kind === "link" ? t.link : "") === id;
      flow.setNodes((ns) => ns.map((n) => (!!n.selected === want("node", n.id) ? n : { ...n, selected: want("node", n.id) })));
      flow.setEdges((es) => es.map((x) => (!!x.selected === want("link", x.id) ? x : { ...x, selected: want("link", x.id) })));
    },
    [flow],
  );
  const openMenu = useCallback(
    (target: MenuTarget, at: { x: number; y: number }) => {
      const lab = store.state.get().doc;
      if (!lab) return;
      // a right-click on what is not selected selects it, as in every diagram tool
      const inSelection =
        target.kind === "node" ? selection.nodes.includes(target.node) : target.kind === "link" ? selection.edges.includes(target.link) : true;
      if (!inSelection) select(target);
      const ctx: MenuContext = {
        lab,
        edit: (changes, label) => store.edit(changes, { label }),
        openTerminal,
        inspect: (t) => {
          showSettings(lab, t);
          select(t);
          setTimeout(() => document.querySelector<HTMLElement>('[data-testid="inspector"] :is(input, textarea, select)')?.focus(), 80);
        },
        remove: (sel) => deleteSelection(store, sel),
        fit,
      };
      // watching: only the items marked readOnlyOk (what reads: a shell shown, the kernel's views, a capture, zoom)
      const items = allowedItems(contextMenuItems(target, ctx), store.state.get().mode === "watch");
      if (items.length) setMenu({ target, ...at, items });
    },
    [store, selection, select, openTerminal, fit],
  );
  const openMenuFromKeyboard = useCallback(() => {
    const rectOf = (testid: string) => document.querySelector(`[data-testid="${CSS.escape(testid)}"]`)?.getBoundingClientRect();
    const node = selection.nodes[0];
    const link = selection.edges[0];
    if (node) {
      const r = rectOf(`node-${node}`);
      if (r) return openMenu({ kind: "node", node }, { x: r.left + 16, y: r.bottom + 4 });
    }
    if (link) {
      const r = rectOf(`edge-${link}`);
      if (r) return openMenu({ kind: "link", link }, { x: r.left + r.width / 2, y: r.top + r.height / 2 });
    }
    const c = rectOf("canvas");
    if (!c) return;
    const at = { x: c.left + c.width / 2, y: c.top + c.height / 2 };
    openMenu({ kind: "pane", position: flow.screenToFlowPosition(at) }, at);
  }, [selection, openMenu, flow]);

  useEffect(() => {
    const actions: Record<ShortcutId, () => void> = {
      menu: openMenuFromKeyboard,
      undo: () => void store.undo(),
      redo: () => void store.redo(),
      selectAll: () => flow.setNodes((ns) => ns.map((n) => ({ ...n, selected: true }))),
      delete: remove,
      help: () => setHelp((h) => !h),
      escape: () => {
        setHelp(false);
        flow.setNodes((ns) => ns.map((n) => (n.selected ? { ...n, selected: false } : n)));
        flow.setEdges((es) => es.map((x) => (x.selected ? { ...x, selected: false } : x)));
      },
      fit,
      layout: () => void layout(),
      labels: () => setLabels((v) => !v),
      dock: () => setDockOpen((v) => !v),
      terminal: () => {
        const node = store.state.get().doc?.nodes.find((n) => n.name === selection.nodes[0]);
        if (node && hasShell(node) && selection.nodes.length === 1) openTerminal(node.name);
      },
    };
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target)) return;
      // read-only: only the shortcuts marked readOnlyOk in their table (the menu of what reads, fit, labels, the dock, help, Escape, a shell)
      const id = shortcutOf(e, store.state.get().mode === "watch");
      if (!id) return;
      if (SHORTCUTS[id].preventDefault) e.preventDefault();
      actions[id]();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [store, flow, fit, layout, remove, selection, openTerminal, openMenuFromKeyboard]);

  if (s.removed && !s.removed.renamedTo) {
    return (
      <main className="page-message" data-testid="lab-removed">
        <h1>This lab is gone</h1>
        <p>{s.removed.reason}.</p>
        <a className="button primary" href="/" onClick={(e) => (e.preventDefault(), navigate("/"))}>
          Back to the labs
        </a>
      </main>
    );
  }
  if (s.openError && !s.doc) {
    return (
      <main className="page-message" data-testid="lab-error">
        <h1>Cannot open lab {store.name}</h1>
        <p>{s.openError}</p>
        <a className="button primary" href="/" onClick={(e) => (e.preventDefault(), navigate("/"))}>
          Back to the labs
        </a>
      </main>
    );
  }

  const selected = selection.nodes.length + selection.edges.length;
  return (
    <div className={`lab-page ${labels ? "" : "hide-labels"}`} data-testid="lab-page" data-lab={store.name} data-mode={s.mode}>
      {watch && <WatchBanner store={store} />}
      <header className="toolbar">
        <a className="brand" href="/" onClick={(e) => (e.preventDefault(), navigate("/"))} data-testid="nav-home" title="All labs">
          topolab
        </a>
        <h1 className="lab-title" data-testid="lab-title">
          {store.name}
        </h1>
        <span
          className={`pill ${s.busy ? "busy" : s.running ? "up" : "stopped"}`}
          data-testid="lab-state"
          data-state={s.busy ? "busy" : s.running ? "running" : "stopped"}
        >
          {s.busy ? `${s.busy}…` : s.running ? "running" : "stopped"}
        </span>
        <div className="toolbar-group">
          <button className="button" onClick={() => void store.undo()} disabled={readOnly || !s.canUndo} data-testid="undo" title="Undo (Ctrl+Z)">
            ↶ Undo
          </button>
          <button className="button" onClick={() => void store.redo()} disabled={readOnly || !s.canRedo} data-testid="redo" title="Redo (Ctrl+Shift+Z)">
            ↷ Redo
          </button>
          <button className="button" onClick={remove} disabled={readOnly || !selected} data-testid="delete-selection" title="Delete the selection (Delete)">
            Delete
          </button>
        </div>
        <div className="toolbar-group">
          <button className="button" onClick={fit} data-testid="zoom-fit" title="Zoom to fit (F)">
            Fit
          </button>
          <button className="button" onClick={() => void layout()} disabled={readOnly || layingOut} data-testid="auto-layout" title="Auto-layout (L)">
            {layingOut ? "Laying out…" : "Auto-layout"}
          </button>
          <TraceButton store={store} selection={selection} />
          <label className="toggle" title="Labels on links (E)">
            <input type="checkbox" checked={labels} onChange={(e) => setLabels(e.target.checked)} data-testid="toggle-labels" /> Labels
          </label>
        </div>
        <div className="toolbar-spacer" />
        <a
          className="button"
          href={`/api/labs/${encodeURIComponent(store.name)}/export?format=sh`}
          download={`${store.name}.sh`}
          data-testid="export-script-toolbar"
          title="The plain ip / ovs-vsctl commands that rebuild this lab"
        >
          Export as script
        </a>
        <button className="icon-button" onClick={() => setHelp(true)} data-testid="help-open" title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts">
          ?
        </button>
      </header>
      <div className="lab-body">
        {!readOnly && (
          <ErrorBoundary panel="palette">
            <Palette store={store} />
          </ErrorBoundary>
        )}
        {/* watching a lab without an exercise: the panel would only offer to add one */}
        {(!readOnly || !!s.doc?.exercise) && (
          <ErrorBoundary panel="exercise">
            <ExercisePanel store={store} selectedNode={selection.nodes.length === 1 ? selection.nodes[0]! : null} />
          </ErrorBoundary>
        )}
        <ErrorBoundary panel="canvas" className="canvas">
          <Canvas store={store} onSelection={setSelection} onTerminal={openTerminal} onMenu={openMenu} />
        </ErrorBoundary>
        <ErrorBoundary panel="inspector" className="inspector" resetKey={selection}>
          <ReadOnlyZone readOnly={readOnly} testId="inspector-zone">
            <Inspector store={store} selection={selection} />
          </ReadOnlyZone>
        </ErrorBoundary>
      </div>
      <ErrorBoundary panel="dock" className="dock-failed">
        <Dock store={store} open={dockOpen} setOpen={setDockOpen} />
      </ErrorBoundary>
      <ErrorBoundary panel="capture">
        <CaptureHost store={store} />
      </ErrorBoundary>
      <ErrorBoundary panel="trace">
        <TraceHost store={store} />
      </ErrorBoundary>
      {help && <Help onClose={() => setHelp(false)} />}
      {menu && (
        <ErrorBoundary panel="context menu">
          <ContextMenu menu={menu} onClose={closeMenu} />
        </ErrorBoundary>
      )}
    </div>
  );
}
