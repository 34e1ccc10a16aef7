// The inspector's tab strip: "Settings" (the document's fields, given as children) and the
// live tabs of the selection's kind (LiveTabs). The tab chosen is remembered per kind while the
// person clicks between nodes (tabs.ts); a live tab's panel is mounted only while shown, so the
// kernel is read only then. Keyboard: the WAI-ARIA tabs pattern (arrows, Home, End move and
// show; Tab goes into the panel).
//
// Knows: the tab strip and which panel each tab shows. Leaves to others: the settings
// (Inspector.tsx), the panels (LiveTabs.tsx).

import { useId, type KeyboardEvent, type ReactNode } from "react";
import type { Drift } from "@topolab/protocol";
import type { LabNode, Link } from "@topolab/topology";
import type { LinkLive } from "./edges";
import { Store, useStore } from "../lib/emitter";
import { readOnlyOk } from "../class/readOnly";
import { useLive } from "./LiveProvider";
import { LabLiveTab, LinkLiveTab, NodeLiveTab } from "./LiveTabs";
import { chooseTab, chosenTabs, shownTab, TAB_LABELS, TAB_TITLES, tabForKey, tabsOf, type TabId, type TabKind } from "./tabs";

/** outside a lab page (no live context): no kernel, Settings only */
const NOT_RUNNING = new Store({ running: false });
const NO_DRIFT = new Store<{ drift: Drift | null }>({ drift: null });
const NO_LINKS = new Store<Record<string, LinkLive>>({});
/**
 * The page's shortcuts that would act on the selection (Delete removes it, Enter and T open a
 * terminal, E, F, L…): not while the keyboard is on the tab strip or in a live panel.
 */
const PAGE_KEYS = new Set(["Enter", " ", "Delete", "Backspace", "t", "T", "e", "E", "f", "F", "l", "L", "?", "`"]);

export type TabTarget = { type: "node"; node: LabNode } | { type: "link"; link: Link; id: string } | { type: "lab" };

export function InspectorTabs({ kind, target, children }: { kind: TabKind; target: TabTarget; children: ReactNode }) {
  const ctx = useLive();
  const running = useStore((ctx?.store.state ?? NOT_RUNNING) as Store<{ running: boolean }>, (s) => s.running);
  const chosen = useStore(chosenTabs);
  const node = target.type === "node" ? target.node.name : null;
  // counts on the tabs: differences from the document (the node's, or the lab's), broken links
  const drift = useStore((ctx?.live.state ?? NO_DRIFT) as Store<{ drift: Drift | null }>, (s) =>
    node ? (s.drift?.items.filter((i) => i.node === node).length ?? 0) : (s.drift?.items.length ?? 0),
  );
  const broken = useStore(ctx?.links ?? NO_LINKS, (m) => Object.values(m).filter((l) => l.broken).length);
  const base = useId();
  const tabs = ctx ? tabsOf(kind, running) : (["settings"] as TabId[]);
  const tab = ctx ? shownTab(kind, running, chosen) : "settings";
  if (tabs.length < 2) return <>{children}</>;
  const tabId = (t: TabId) => `${base}-tab-${t}`;
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (PAGE_KEYS.has(e.key)) e.stopPropagation();
    const next = tabForKey(tabs, tab, e.key);
    if (!next) return;
    e.preventDefault();
    e.stopPropagation();
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
            {...readOnlyOk}
            id={tabId(t)}
            aria-selected={t === tab}
            aria-controls={`${base}-panel`}
            tabIndex={t === tab ? 0 : -1}
            title={TAB_TITLES[t]}
            data-testid={`inspector-tab-${t}`}
            onClick={() => chooseTab(kind, t)}
          >
            {TAB_LABELS[t]}
            {t === "drift" && drift > 0 && (
              <span className="tab-badge" data-testid="inspector-tab-drift-count" aria-label={`, ${drift} differences`}>
                {drift}
              </span>
            )}
            {t === "links" && broken > 0 && (
              <span className="tab-badge" data-testid="inspector-tab-links-count" aria-label={`, ${broken} broken`}>
                {broken}
              </span>
            )}
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
        onKeyDown={tab === "settings" ? undefined : (e) => PAGE_KEYS.has(e.key) && e.stopPropagation()}
      >
        {panel}
      </div>
    </>
  );
}
