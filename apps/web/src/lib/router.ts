// Client-side routing without a library: "/" is the list of labs, "/labs/NAME" a lab. The
// server answers every page path with index.html, so a lab's address can be shared and
// reloaded.

import { Store, useStore } from "./emitter";

export type Route =
  | { page: "home" }
  /** watch: the instructor's read-only view of a student's lab (issue 15), at /labs/NAME/watch */
  | { page: "lab"; lab: string; watch?: boolean }
  | { page: "join"; code: string }
  | { page: "class"; code: string }
  | { page: "missing"; path: string };

function parse(path: string): Route {
  if (path === "/" || path === "") return { page: "home" };
  const m = /^\/labs\/([^/]+)(\/watch)?\/?$/.exec(path);
  if (m) return m[2] ? { page: "lab", lab: decodeURIComponent(m[1]!), watch: true } : { page: "lab", lab: decodeURIComponent(m[1]!) };
  // classes (issue 15): a student's join page, the instructor's grid
  const j = /^\/join(?:\/([a-z0-9]{0,6}))?\/?$/.exec(path);
  if (j) return { page: "join", code: j[1] ?? "" };
  const k = /^\/class\/([a-z0-9]{6})\/?$/.exec(path);
  if (k) return { page: "class", code: k[1]! };
  return { page: "missing", path };
}

const current = new Store<Route>(parse(location.pathname));
addEventListener("popstate", () => current.set(parse(location.pathname)));

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  current.set(parse(path));
}

export const labPath = (lab: string) => `/labs/${encodeURIComponent(lab)}`;
/** a student's lab, watched read-only by the instructor */
export const watchPath = (lab: string) => `/labs/${encodeURIComponent(lab)}/watch`;

export function useRoute(): Route {
  return useStore(current);
}
