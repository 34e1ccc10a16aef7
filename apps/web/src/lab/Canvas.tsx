// The canvas: the lab document drawn with @xyflow/react. Nodes and links are derived from the
// document and the kernel's status; a node or link object is reused while what it shows is
// unchanged, so that panning and dragging re-render only what moves. Edits go to the lab
// store as changes: drops from the palette (addNode), links drawn from a handle to another
// node's handle or body (addLink with defaults), moves (debounced moveNodes).
//
// Knows: xyflow. Leaves to others: the document and edits (labStore), defaults (linking.ts),
// what each shape looks like (NodeView, EdgeView).

import { useCallback, useEffect, useRef, useState, type DragEvent, type PointerEvent } from "react";
import {
  ConnectionMode,
  MiniMap,
  ReactFlow,
  applyEdgeChanges,
  applyNodeChanges,
  useReactFlow,
  useStore as useFlowStore,
  type Connection,
  type EdgeChange,
  type FinalConnectionState,
  type NodeChange,
  type OnSelectionChangeParams,
} from "@xyflow/react";
import { linkId } from "@topolab/protocol";
import type { Lab, Link } from "@topolab/topology";
import { useStore } from "../lib/emitter";
import { DotGrid } from "./DotGrid";
import { EdgeView, type EndLabel, type LabFlowEdge } from "./EdgeView";
import { PALETTE, freeName, hasShell, visualKind } from "./kinds";
import type { LabState, LabStore, NodeStatus } from "./labStore";
import type { MenuTarget } from "./contextMenu";
import { linkChanges } from "./linking";
import { NodeView, type LabFlowNode, type LabNodeData, type NodeState } from "./NodeView";

const nodeTypes = { lab: NodeView };
const edgeTypes = { lab: EdgeView };
export const DRAG_TYPE = "application/x-topolab-kind";
const FAR_ZOOM = 0.5;
/** the minimap's size; fitting the view keeps the nodes out of the corner it takes */
const MINIMAP = { width: 170, height: 110 };
/** fit-to-view: clear of the minimap in the bottom-right corner (it covered nodes' buttons) */
export const FIT_OPTIONS = { padding: { top: "40px", left: "40px", bottom: "40px", right: `${MINIMAP.width + 40}px` }, maxZoom: 1.5 } as const;

function nodeState(s: LabState, name: string, status: NodeStatus | undefined): { state: NodeState; problems?: string } {
  if (!s.running) return { state: "stopped" };
  if (s.pending.has(name)) return { state: "creating" };
  if (!s.statusRead) return { state: "unknown" };
  if (!status) return { state: "creating" };
  if (status.state === "up") return { state: "up" };
  if (status.state === "degraded") return { state: "error", problems: status.problems.join("; ") || "degraded" };
  return s.busy ? { state: "creating" } : { state: "error", problems: status.problems.join("; ") || "not in the kernel" };
}

/** Where a mouse or touch event happened, in the window. */
function pointOf(e: MouseEvent | TouchEvent): { x: number; y: number } {
  if ("changedTouches" in e) {
    const t = e.changedTouches[0];
    return { x: t?.clientX ?? -1, y: t?.clientY ?? -1 };
  }
  return { x: e.clientX, y: e.clientY };
}

/** The name of the canvas node under a point of the window, if any. */
export function nodeAtPoint(p: { x: number; y: number }): string | null {
  for (const el of document.elementsFromPoint(p.x, p.y)) {
    const node = el.closest(".react-flow__node");
    if (node) return node.getAttribute("data-id");
  }
  return null;
}

/**
 * For each end of each link, 0 or 1: around a node, links in the order of their direction
 * alternate, so that the labels of two links leaving it side by side sit at different
 * distances from it (edgeLabels.ts).
 */
function staggerLevels(doc: Lab): Map<string, number> {
  const pos = new Map(doc.nodes.map((n, i) => [n.name, n.position ?? fallbackPosition(i)]));
  const around = new Map<string, { key: string; angle: number }[]>();
  for (const l of doc.links) {
    const id = linkId(l);
    for (const side of [0, 1] as const) {
      const me = pos.get(l.endpoints[side].node);
      const other = pos.get(l.endpoints[1 - side]!.node);
      if (!me || !other) continue;
      const list = around.get(l.endpoints[side].node) ?? [];
      list.push({ key: `${id}|${side}`, angle: Math.atan2(other.y - me.y, other.x - me.x) });
      around.set(l.endpoints[side].node, list);
    }
  }
  const out = new Map<string, number>();
  for (const list of around.values()) {
    list.sort((a, b) => a.angle - b.angle);
    list.forEach((e, i) => out.set(e.key, i % 2));
  }
  return out;
}

/** Where nodes without a saved position go: a grid, in document order. */
function fallbackPosition(i: number): { x: number; y: number } {
  return { x: 80 + (i % 8) * 190, y: 80 + Math.floor(i / 8) * 130 };
}

function endLabel(lab: Lab, link: Link, side: 0 | 1): EndLabel {
  const e = link.endpoints[side];
  const node = lab.nodes.find((n) => n.name === e.node);
  const out: EndLabel = { iface: e.interface };
  if (node && node.kind !== "switch") {
    const cfg = node.interfaces[e.interface];
    if (cfg?.addresses.length) out.address = cfg.addresses.join(" ");
    else if (cfg && "dhcp" in cfg && cfg.dhcp) out.address = "dhcp";
  }
  if (node?.kind === "switch") {
    if (link.vlan !== undefined) out.vlan = `vlan ${link.vlan}`;
    else if (link.trunk) out.vlan = `trunk ${link.trunk.join(",")}`;
  }
  return out;
}

function middleLabel(link: Link): string | undefined {
  const parts: string[] = [];
  if (link.bandwidth !== undefined) parts.push(`${link.bandwidth} Mbit/s`);
  if (link.delay !== undefined) parts.push(`${link.delay} ms`);
  if (link.loss !== undefined) parts.push(`${link.loss}% loss`);
  if (link.internal) parts.push("internal port");
  return parts.length ? parts.join(" · ") : undefined;
}

interface CanvasProps {
  store: LabStore;
  onSelection: (sel: { nodes: string[]; edges: string[] }) => void;
  onTerminal: (node: string) => void;
  /** a right-click on a node, a link or the canvas, at a point of the window */
  onMenu: (target: MenuTarget, at: { x: number; y: number }) => void;
}

export function Canvas({ store, onSelection, onTerminal, onMenu }: CanvasProps) {
  const s = useStore(store.state);
  const flow = useReactFlow<LabFlowNode, LabFlowEdge>();
  const [nodes, setNodes] = useState<LabFlowNode[]>([]);
  const [edges, setEdges] = useState<LabFlowEdge[]>([]);
  const sigs = useRef(new Map<string, string>());
  const edgeSigs = useRef(new Map<string, string>());
  const onTerminalRef = useRef(onTerminal);
  onTerminalRef.current = onTerminal;
  const openTerminal = useCallback((name: string) => onTerminalRef.current(name), []);

  // the document and the status, as xyflow nodes; an unchanged node keeps its object
  const { doc, status } = s;
  useEffect(() => {
    if (!doc) return;
    setNodes((prev) => {
      const byId = new Map(prev.map((n) => [n.id, n]));
      let changed = prev.length !== doc.nodes.length;
      const next = doc.nodes.map((n, i): LabFlowNode => {
        const { state, problems } = nodeState(s, n.name, status.get(n.name));
        const data: LabNodeData = {
          name: n.name,
          kind: visualKind(n),
          state,
          shell: hasShell(n),
          onTerminal: openTerminal,
          ...(n.label ? { label: n.label } : {}),
          ...(problems ? { problems } : {}),
        };
        const sig = `${data.kind}|${state}|${problems ?? ""}|${n.label ?? ""}|${data.shell}`;
        const position = n.position ?? fallbackPosition(i);
        const old = byId.get(n.name);
        if (old && sigs.current.get(n.name) === sig && (old.dragging || (old.position.x === position.x && old.position.y === position.y))) return old;
        changed = true;
        sigs.current.set(n.name, sig);
        if (old) return { ...old, data, position: old.dragging ? old.position : position };
        return { id: n.name, type: "lab", position, data };
      });
      if (!changed && next.every((n, i) => n === prev[i])) return prev;
      for (const k of sigs.current.keys()) if (!doc.nodes.some((n) => n.name === k)) sigs.current.delete(k);
      return next;
    });
    setEdges((prev) => {
      const byId = new Map(prev.map((e) => [e.id, e]));
      const levels = staggerLevels(doc);
      const next = doc.links.map((l): LabFlowEdge => {
        const id = linkId(l);
        const sa = levels.get(`${id}|0`) ?? 0;
        const sb = levels.get(`${id}|1`) ?? 0;
        const data = {
          a: endLabel(doc, l, 0),
          b: endLabel(doc, l, 1),
          ...(middleLabel(l) ? { middle: middleLabel(l)! } : {}),
          ...(sa ? { staggerA: sa } : {}),
          ...(sb ? { staggerB: sb } : {}),
        };
        const sig = JSON.stringify(data);
        const old = byId.get(id);
        if (old && edgeSigs.current.get(id) === sig) return old;
        edgeSigs.current.set(id, sig);
        return { ...old, id, type: "lab", source: l.endpoints[0].node, target: l.endpoints[1].node, sourceHandle: "h", targetHandle: "h", data };
      });
      return next.length === prev.length && next.every((e, i) => e === prev[i]) ? prev : next;
    });
  }, [doc, status, s.pending, s.running, s.statusRead, s.busy, openTerminal]);

  const onNodesChange = useCallback((changes: NodeChange<LabFlowNode>[]) => {
    // removal goes through the store (one edit for the whole selection), not here
    const kept = changes.filter((c) => c.type !== "remove");
    if (kept.length) setNodes((ns) => applyNodeChanges(kept, ns));
  }, []);
  const onEdgesChange = useCallback((changes: EdgeChange<LabFlowEdge>[]) => {
    const kept = changes.filter((c) => c.type !== "remove");
    if (kept.length) setEdges((es) => applyEdgeChanges(kept, es));
  }, []);

  const onNodeDragStop = useCallback(
    (_e: unknown, _node: LabFlowNode, dragged: LabFlowNode[]) => {
      const positions = Object.fromEntries(dragged.map((n) => [n.id, { x: Math.round(n.position.x), y: Math.round(n.position.y) }]));
      store.move(positions);
    },
    [store],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      const lab = store.state.get().doc;
      if (!lab || !c.source || !c.target || c.source === c.target) return;
      void store.edit(linkChanges(lab, c.source, c.target), { label: `Link ${c.source}–${c.target}` });
    },
    [store],
  );

  // a link dropped anywhere on a node's body links to it, not only on its handle dot: xyflow
  // reports the drop as no connection, and the node under the pointer is looked up here
  const onConnectEnd = useCallback(
    (e: MouseEvent | TouchEvent, c: FinalConnectionState) => {
      if (c.isValid || !c.fromNode) return;
      const to = nodeAtPoint(pointOf(e));
      if (to && to !== c.fromNode.id) onConnect({ source: c.fromNode.id, target: to, sourceHandle: "h", targetHandle: "h" });
    },
    [onConnect],
  );

  const isValidConnection = useCallback((c: { source: string | null; target: string | null }) => !!c.source && !!c.target && c.source !== c.target, []);

  // xyflow reports the selection again whenever a selected node changes (every frame of a
  // drag): only a different set of ids is passed on, or the whole page would re-render
  const lastSelection = useRef("");
  const onSelectionChange = useCallback(
    ({ nodes: ns, edges: es }: OnSelectionChangeParams) => {
      const sel = { nodes: ns.map((n) => n.id), edges: es.map((e) => e.id) };
      const key = JSON.stringify(sel);
      if (key === lastSelection.current) return;
      lastSelection.current = key;
      onSelection(sel);
    },
    [onSelection],
  );

  const onNodeDoubleClick = useCallback((_e: unknown, n: LabFlowNode) => {
    if (n.data.shell) onTerminalRef.current(n.id);
  }, []);

  const onNodeContextMenu = useCallback(
    (e: React.MouseEvent, n: LabFlowNode) => {
      e.preventDefault();
      onMenu({ kind: "node", node: n.id }, { x: e.clientX, y: e.clientY });
    },
    [onMenu],
  );
  const onEdgeContextMenu = useCallback(
    (e: React.MouseEvent, edge: LabFlowEdge) => {
      e.preventDefault();
      onMenu({ kind: "link", link: edge.id }, { x: e.clientX, y: e.clientY });
    },
    [onMenu],
  );
  const onPaneContextMenu = useCallback(
    (e: MouseEvent | React.MouseEvent) => {
      e.preventDefault();
      onMenu({ kind: "pane", position: flow.screenToFlowPosition({ x: e.clientX, y: e.clientY }) }, { x: e.clientX, y: e.clientY });
    },
    [onMenu, flow],
  );

  const onDragOver = useCallback((e: DragEvent) => {
    if (e.dataTransfer.types.includes(DRAG_TYPE)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
    }
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const kind = e.dataTransfer.getData(DRAG_TYPE);
      const item = PALETTE.find((p) => p.kind === kind);
      if (!item) return;
      e.preventDefault();
      const p = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      addFromPalette(store, item.kind, { x: Math.round(p.x - 70), y: Math.round(p.y - 24) });
    },
    [flow, store],
  );

  // until the person pans or zooms, the view keeps the whole lab in sight (when the dock
  // opens, when the window changes size)
  const userMoved = useRef(false);
  const box = useRef<HTMLDivElement>(null);
  const onMoveStart = useCallback((e: unknown) => {
    if (e) userMoved.current = true;
  }, []);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let size = `${el.clientWidth}x${el.clientHeight}`;
    const observer = new ResizeObserver(() => {
      const now = `${el.clientWidth}x${el.clientHeight}`;
      if (now === size) return; // the first report, or nothing that matters
      size = now;
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (!userMoved.current) void flow.fitView({ ...FIT_OPTIONS, duration: 200 });
      }, 100);
    });
    observer.observe(el);
    return () => {
      clearTimeout(timer);
      observer.disconnect();
    };
  }, [flow]);

  // a pan or a node drag keeps the pointer on what it grabbed: the browser then skips finding
  // what is under the pointer on every move, which costs milliseconds among hundreds of nodes
  // and links. Handles are left alone: drawing a link needs to know what it is dropped on.
  const onPointerDown = useCallback((e: PointerEvent<HTMLDivElement>) => {
    const t = e.target;
    if (e.button !== 0 || !(t instanceof Element) || t.closest(".react-flow__handle, button, input, select, textarea")) return;
    const grabbed = t.classList.contains("react-flow__pane") ? t : t.closest(".react-flow__node");
    grabbed?.setPointerCapture(e.pointerId);
  }, []);

  const minimapColor = useCallback(
    (n: LabFlowNode) => (n.data.state === "error" ? "#e5484d" : n.data.kind === "ovs" || n.data.kind === "bridge" ? "#3e63dd" : "#8e8c99"),
    [],
  );
  const ready = !!doc;
  // labels are unreadable when zoomed far out, and costly to paint with hundreds of links;
  // so are the background's dots and a node's details (styles.css)
  const far = useFlowStore((f) => f.transform[2] < FAR_ZOOM);

  return (
    <div className={`canvas ${far ? "zoomed-out" : ""}`} onDragOver={onDragOver} onDrop={onDrop} onPointerDown={onPointerDown} data-testid="canvas" ref={box}>
      {ready && (
        <ReactFlow<LabFlowNode, LabFlowEdge>
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          onNodesChange={onNodesChange}
          onEdgesChange={onEdgesChange}
          onNodeDragStop={onNodeDragStop}
          nodesDraggable={s.mode !== "watch"}
          nodesConnectable={s.mode !== "watch"}
          onConnect={onConnect}
          onConnectEnd={onConnectEnd}
          isValidConnection={isValidConnection}
          onSelectionChange={onSelectionChange}
          onMoveStart={onMoveStart}
          onNodeDoubleClick={onNodeDoubleClick}
          onNodeContextMenu={onNodeContextMenu}
          onEdgeContextMenu={onEdgeContextMenu}
          onPaneContextMenu={onPaneContextMenu}
          connectionMode={ConnectionMode.Loose}
          connectionRadius={40}
          deleteKeyCode={null}
          zoomOnDoubleClick={false}
          fitView
          fitViewOptions={FIT_OPTIONS}
          minZoom={0.1}
          maxZoom={3}
          multiSelectionKeyCode={["Shift", "Meta", "Control"]}
          proOptions={{ hideAttribution: true }}
          onlyRenderVisibleElements={!far}
        >
          {/* far out the dots would be 2 px apart: a grey haze */}
          {!far && <DotGrid />}
          <MiniMap pannable zoomable nodeColor={minimapColor} style={MINIMAP} data-testid="minimap" />
        </ReactFlow>
      )}
    </div>
  );
}

/** Adds a node of a palette kind, at a place or at the canvas' centre. */
export function addFromPalette(store: LabStore, kind: string, position: { x: number; y: number }): void {
  const item = PALETTE.find((p) => p.kind === kind);
  if (!item) return;
  const name = freeName(store.state.get().doc, item.prefix);
  void store.edit([{ type: "addNode", node: { ...item.node(name), position } }], { label: `Add ${name}` });
}
