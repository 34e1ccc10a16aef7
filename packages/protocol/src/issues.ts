// Problems, as the server reports them: a sentence, the place in the document, and the node or
// link that place belongs to, so the canvas can put the message on the right shape.
//
// Knows: finding the node or link behind a path such as `nodes[3].interfaces.eth0`.
// Leaves to others: the rules and their wording (topology's validateLab and zodIssues).

import { linkKey, type LabIssue } from "@topolab/topology";

export interface Issue extends LabIssue {
  /** the line in an uploaded lab file, when there is one */
  line?: number;
  /** the node the path points into, by name */
  node?: string;
  /** the link the path points into, by id ("h1:eth0|s1:eth1", see linkId) */
  link?: string;
}

type Loose = Record<string, unknown>;

function endpointText(e: unknown): string | null {
  if (typeof e === "string") return e;
  if (typeof e === "object" && e !== null && typeof (e as Loose)["node"] === "string") {
    const x = e as { node: string; interface?: unknown };
    return typeof x.interface === "string" ? `${x.node}:${x.interface}` : x.node;
  }
  return null;
}

/** The id of a link in a document in input form, or null when its endpoints are unreadable. */
export function rawLinkId(link: unknown): string | null {
  const ends = (link as Loose | null)?.["endpoints"];
  if (!Array.isArray(ends) || ends.length !== 2) return null;
  const [a, b] = ends.map(endpointText);
  if (!a || !b) return null;
  const split = (t: string) => {
    const c = t.indexOf(":");
    return c < 0 ? { node: t, interface: "" } : { node: t.slice(0, c), interface: t.slice(c + 1) };
  };
  return linkKey(split(a), split(b));
}

/** Adds `node`/`link` to issues whose path points into `document.nodes[i]` or `document.links[i]`. */
export function placeIssues(document: unknown, issues: readonly LabIssue[]): Issue[] {
  const doc = (typeof document === "object" && document !== null ? document : {}) as Loose;
  const nodes = Array.isArray(doc["nodes"]) ? (doc["nodes"] as unknown[]) : [];
  const links = Array.isArray(doc["links"]) ? (doc["links"] as unknown[]) : [];
  return issues.map((issue) => {
    const m = /^(nodes|links)\[(\d+)\]/.exec(issue.path);
    if (!m) return { ...issue };
    const item = (m[1] === "nodes" ? nodes : links)[Number(m[2])];
    if (m[1] === "nodes") {
      const name = (item as Loose | undefined)?.["name"];
      return typeof name === "string" ? { ...issue, node: name } : { ...issue };
    }
    const id = rawLinkId(item);
    return id ? { ...issue, link: id } : { ...issue };
  });
}
