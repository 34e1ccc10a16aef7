// The inspector's tab strip: "Settings" (the document's fields, given as children) and the
// live tabs of the selection's kind (LiveTabs). The tab chosen is remembered per kind while the
// person clicks between nodes (tabs.ts); a live tab's panel is mounted only while shown, so the
// kernel is read only then. Keyboard: the WAI-ARIA tabs pattern (arrows, Home, End move and
// show; Tab goes into the panel).
//
// Knows: the tab strip and which panel each tab shows. Leaves to others: the settings
// (Inspector.tsx), the panels (LiveTabs.tsx).

import { useId, type KeyboardEvent, type ReactNode } from "react";
import type { LabNode, Link } from "@topolab/topology";
import { Store, useStore } from "../lib/emitter";
import { useLive } from "./LiveProvider";
import { LabLiveTab, LinkLiveTab, NodeLiveTab } from "./LiveTabs";
import { chooseTab, chosenTabs, shownTab, TAB_LABELS, TAB_TITLES, tabForKey, tabsOf, type TabId, type TabKind } from "./tabs";

/** outside a lab page (no live context): no kernel, Settings only */
const NOT_RUNNING = new Store({ running: false });

export type TabTarget = { type: "node"; node: LabNode } | { type: "link"; link: Link; id: string } | { type: "lab" };

export function InspectorTabs({ kind, target, children }: { kind: TabKind; target: TabTarget; children: ReactNode }) {
  const ctx = useLive();
  const running = useStore((ctx?.store.state ?? NOT_RUNNING) as Store<{ running: boolean }>, (s) => s.running);
  const chosen = useStore(chosenTabs);
  const base = useId();
  const tabs = ctx ? tabsOf(kind, running) : (["settings"] as TabId[]);
  const tab = ctx ? shownTab(kind, running, chosen) : "settings";
  if (tabs.length < 2) return <>{children}</>;
  const tabId = (t: TabId) => `${base}-tab-${t}`;
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const next = tabForKey(tabs, tab, e.key);
    if (!next) return;
    e.preventDefault();
    e.stopPropagation(); // the page's shortcuts (Delete, Enter opens a terminal) are not for the tab strip
    chooseTab(kind, next);
    requestAnimationFrame(() => document.getElementById(tabId(next))?.focus());
  };
  let panel: ReactNode = children;
  if (tab !== "settings" && ctx) {
    if (target.type === "node") panel = <NodeLiveTab key={target.node.name} ctx={ctx} node={target.node} tab={tab} />;
    else if (target.type === "link") panel = <LinkLiveTab ctx={ctx} link={target.link} id={target.id} />;
    else panel = <LabLiveTab ctx={ctx} tab={tab} />;
  }
  return (
    <>
      <div className="inspector-tabs" role="tablist" aria-label="Inspector views" onKeyDown={onKey} data-testid="inspector-tabs">
        {tabs.map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            id={tabId(t)}
            aria-selected={t === tab}
            aria-controls={`${base}-panel`}
            tabIndex={t === tab ? 0 : -1}
            title={TAB_TITLES[t]}
            data-testid={`inspector-tab-${t}`}
            onClick={() => chooseTab(kind, t)}
          >
            {TAB_LABELS[t]}
          </button>
        ))}
      </div>
      <div
        className={`inspector-panel ${tab === "settings" ? "" : "live-panel"}`}
        role="tabpanel"
        id={`${base}-panel`}
        aria-labelledby={tabId(tab)}
        data-testid={`inspector-panel-${tab}`}
        tabIndex={tab === "settings" ? undefined : 0}
      >
        {panel}
      </div>
    </>
  );
}
