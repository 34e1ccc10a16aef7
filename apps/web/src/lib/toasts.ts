// Toasts: short messages in a corner, for errors from the server (with their reason) and
// for things that happened elsewhere (a node removed by another browser, a lab deleted).

import { Store } from "./emitter";

export interface Toast {
  id: number;
  kind: "error" | "info" | "success";
  title: string;
  detail?: string;
}

export const toasts = new Store<Toast[]>([]);
let next = 1;

export function toast(kind: Toast["kind"], title: string, detail?: string, ms = kind === "error" ? 8000 : 4000): void {
  const id = next++;
  toasts.update((list) => [...list.slice(-4), { id, kind, title, ...(detail ? { detail } : {}) }]);
  setTimeout(() => dismiss(id), ms);
}

export function dismiss(id: number): void {
  toasts.update((list) => list.filter((t) => t.id !== id));
}

/** The reason of a failed request as a person reads it: the message, and the first issues. */
export function reasonOf(e: unknown): string {
  const info = (e as { info?: { message: string; issues?: { path: string; message: string }[] } }).info;
  if (!info) return (e as Error).message ?? String(e);
  const issues = (info.issues ?? []).slice(0, 3).map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
  return issues.length ? `${info.message}: ${issues.join("; ")}` : info.message;
}
