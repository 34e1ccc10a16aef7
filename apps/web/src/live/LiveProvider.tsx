// The live side of a lab's page: follows the lab's kernel while the page is open and the lab
// runs (liveStore), and gives the page's parts what they draw from it through one context: the
// canvas's stylesheet (broken links red and dashed, busy ones thicker, lossy ones dotted; a
// host's reach after "ping all"), each edge's tooltip and each node's drift mark (marks.tsx),
// and the inspector's live tabs (InspectorTabs, LiveTabs). Registers break and mend in the
// context menu (menu.ts).
//
// Knows: the lifecycle (watch while open and running, stop when stopped or closed), when an
// edit is being applied (the drift shown waits for its end). Leaves to others: the canvas (lab/),
// the kernel (the server's live:* events), what each tab shows (LiveTabs).

import { createContext, useContext, useEffect, useMemo, useRef, type ReactNode } from "react";
import { Store, useStore } from "../lib/emitter";
import type { LabStore } from "../lab/labStore";
import { ErrorBoundary } from "../ui/ErrorBoundary";
import { edgeStylesheet, keepUnchanged, linksLiveSince, reachStylesheet, type LinkLive, type LinksMemo } from "./edges";
import { LiveStore } from "./liveStore";
import { registerLiveMenu } from "./menu";
import "./live.css";

export interface LiveContextValue {
  store: LabStore;
  live: LiveStore;
  /** each link's live state by its id, derived once per change (edges subscribe to their own) */
  links: Store<Record<string, LinkLive>>;
}

const NO_LINKS: LinkLive[] = [];

const LiveContext = createContext<LiveContextValue | null>(null);

/** The page's live state; null outside a lab page. */
export function useLive(): LiveContextValue | null {
  return useContext(LiveContext);
}

export function LiveProvider({ store, children }: { store: LabStore; children: ReactNode }) {
  const value = useMemo<LiveContextValue>(() => ({ store, live: new LiveStore(store.name), links: new Store<Record<string, LinkLive>>({}) }), [store]);
  useEffect(() => () => value.live.close(), [value]);
  return (
    <LiveContext.Provider value={value}>
      <ErrorBoundary panel="live">
        <LiveLayer value={value} />
      </ErrorBoundary>
      {children}
    </LiveContext.Provider>
  );
}

/** The lifecycle, the derived links, and the canvas's stylesheet; renders only the <style>. */
function LiveLayer({ value }: { value: LiveContextValue }) {
  const { store, live, links: linkStore } = value;
  const doc = useStore(store.state, (s) => s.doc);
  const running = useStore(store.state, (s) => s.running);
  const settling = useStore(store.state, (s) => s.busy !== null || s.pending.size > 0);
  const nodes = useStore(live.state, (s) => s.nodes);
  const ports = useStore(live.state, (s) => s.ports);
  const rates = useStore(live.state, (s) => s.rates);
  const watching = useStore(live.state, (s) => s.watching);
  const ping = useStore(live.state, (s) => s.ping);
  const opened = doc !== null;

  useEffect(() => registerLiveMenu(value), [value]);
  useEffect(() => {
    if (opened && running) void live.start();
    else live.stop();
  }, [live, opened, running]);
  useEffect(() => {
    live.setSettling(settling);
  }, [live, settling]);

  // worked out again only where something changed (a counter sample: the traffic; a node's event: its links).
  // The render only reads the last committed answer; the effect keeps the new one once this render
  // is committed, so a render React throws away (or runs twice) changes nothing. Any last answer
  // gives the same links (linksLiveSince), only with more or less work.
  const memo = useRef<LinksMemo | null>(null);
  const derived = useMemo(
    () => (doc && watching ? linksLiveSince(memo.current, doc, nodes, ports, rates, { settling }) : null),
    [doc, watching, nodes, ports, rates, settling],
  );
  const links = derived?.links ?? NO_LINKS;
  useEffect(() => {
    memo.current = derived?.memo ?? null;
    linkStore.update((prev) => keepUnchanged(prev, links));
  }, [linkStore, derived, links]);
  const css = useMemo(() => `${edgeStylesheet(links)}\n${reachStylesheet(ping)}`, [links, ping]);
  return <style data-testid="live-style">{css}</style>;
}
