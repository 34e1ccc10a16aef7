// Node kinds: which nodes are hosts of their own (a namespace with interfaces, routes, services).
//
// Knows only the kind field of a node. Kept apart from schema.ts (zod) so that code which only
// asks a node's kind (the engine's status, the CLI's fast commands) does not load zod.

import type { HostNode, LabNode } from "./schema";

export function isHostLike(node: LabNode): node is HostNode {
  return node.kind === "host" || node.kind === "router";
}
