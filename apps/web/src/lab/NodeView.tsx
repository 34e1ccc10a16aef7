// A node on the canvas: its icon, name, state (being created / up / error / stopped) and, for
// hosts and routers, a Terminal button. Memoized: a node re-renders only when its own data
// changes, never because another node moved.
//
// Knows: how a node looks. Leaves to others: where its data comes from (Canvas).

import { memo } from "react";
import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import { KindIcon, type PaletteKind } from "./kinds";
import { DHCP_LABEL } from "./linking";
import { DriftMark } from "../live/marks";

export type NodeState = "creating" | "up" | "error" | "stopped" | "unknown";

export interface LabNodeData extends Record<string, unknown> {
  name: string;
  kind: PaletteKind;
  label?: string;
  state: NodeState;
  /** what is wrong, in words (state error) */
  problems?: string;
  shell: boolean;
  onTerminal: (name: string) => void;
}

export type LabFlowNode = Node<LabNodeData, "lab">;

const STATE_TEXT: Record<NodeState, string> = {
  creating: "being created",
  up: "up",
  error: "error",
  stopped: "stopped",
  unknown: "…",
};

function NodeViewImpl({ data, selected }: NodeProps<LabFlowNode>) {
  const { name, kind, state } = data;
  return (
    <div
      className={`lab-node kind-${kind} state-${state} ${selected ? "selected" : ""}`}
      data-testid={`node-${name}`}
      data-state={state}
      title={data.problems ? `${name}: ${data.problems}` : `${name}: ${STATE_TEXT[state]}`}
    >
      <div className="lab-node-icon">
        <KindIcon kind={kind} />
      </div>
      <div className="lab-node-text">
        <div className="lab-node-name">{name}</div>
        <div className="lab-node-state">
          <span className={`dot ${state}`} />
          {data.label && data.label !== DHCP_LABEL ? data.label : STATE_TEXT[state]}
        </div>
      </div>
      <DriftMark node={name} />
      {data.shell && (
        <button
          className="lab-node-term nodrag"
          title={`Open a terminal on ${name} (double-click the node, or T)`}
          aria-label={`Open a terminal on ${name}`}
          data-testid={`node-terminal-${name}`}
          onClick={(e) => {
            e.stopPropagation();
            data.onTerminal(name);
          }}
        >
          &gt;_
        </button>
      )}
      <Handle type="source" position={Position.Bottom} id="h" className="lab-handle" data-testid={`handle-${name}`} title="drag to another node to link them" />
    </div>
  );
}

export const NodeView = memo(NodeViewImpl);
