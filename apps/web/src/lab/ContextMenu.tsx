// The context menu on the canvas: the items of contextMenu.ts for a node, a link or the empty
// canvas, at the pointer (or at the selection, from the keyboard). Keyboard: the first item
// has focus; arrows, Home and End move; Enter or Space runs; Escape or Tab closes and gives
// focus back. A click elsewhere, a scroll or the window losing focus closes it too.
//
// Knows: showing a menu, ARIA roles and keys. Leaves to others: which items (contextMenu.ts).

import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from "react";
import type { MenuItem, MenuTarget } from "./contextMenu";

export interface OpenMenu {
  target: MenuTarget;
  /** where to show it, in the window */
  x: number;
  y: number;
  items: MenuItem[];
}

const describe = (t: MenuTarget) => (t.kind === "node" ? `node ${t.node}` : t.kind === "link" ? `link ${t.link}` : "canvas");

export function ContextMenu({ menu, onClose }: { menu: OpenMenu; onClose: () => void }) {
  const box = useRef<HTMLUListElement>(null);
  const [pos, setPos] = useState({ x: menu.x, y: menu.y });
  const enabled = menu.items.map((it, i) => (it.disabled ? -1 : i)).filter((i) => i >= 0);
  const [active, setActive] = useState(enabled[0] ?? -1);
  const before = useRef<Element | null>(null);

  // kept inside the window
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const r = el.getBoundingClientRect();
    setPos({ x: Math.max(4, Math.min(menu.x, innerWidth - r.width - 4)), y: Math.max(4, Math.min(menu.y, innerHeight - r.height - 4)) });
  }, [menu.x, menu.y]);

  useEffect(() => {
    before.current = document.activeElement;
    return () => {
      const el = before.current as HTMLElement | null;
      if (el?.isConnected && typeof el.focus === "function") el.focus();
    };
  }, []);

  useEffect(() => {
    const item = box.current?.querySelectorAll<HTMLElement>('[role="menuitem"]')[active];
    item?.focus();
  }, [active]);

  useEffect(() => {
    const away = (e: Event) => {
      if (!box.current?.contains(e.target as Node)) onClose();
    };
    const close = () => onClose();
    document.addEventListener("pointerdown", away, true);
    document.addEventListener("wheel", close, true);
    window.addEventListener("blur", close);
    window.addEventListener("resize", close);
    return () => {
      document.removeEventListener("pointerdown", away, true);
      document.removeEventListener("wheel", close, true);
      window.removeEventListener("blur", close);
      window.removeEventListener("resize", close);
    };
  }, [onClose]);

  const run = (it: MenuItem) => {
    if (it.disabled) return;
    onClose();
    void Promise.resolve()
      .then(() => it.run())
      .catch((e: unknown) => console.error(`menu item ${it.id} failed`, e));
  };

  const onKeyDown = (e: KeyboardEvent) => {
    e.stopPropagation(); // the page's shortcuts do not see keys meant for the menu
    const at = enabled.indexOf(active);
    const move = (to: number) => {
      e.preventDefault();
      if (enabled.length) setActive(enabled[(to + enabled.length) % enabled.length]!);
    };
    if (e.key === "ArrowDown") move(at + 1);
    else if (e.key === "ArrowUp") move(at - 1);
    else if (e.key === "Home") move(0);
    else if (e.key === "End") move(enabled.length - 1);
    else if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      const it = menu.items[active];
      if (it) run(it);
    } else if (e.key === "Escape" || e.key === "Tab" || e.key === "ContextMenu" || (e.key === "F10" && e.shiftKey)) {
      e.preventDefault();
      onClose();
    }
  };

  return (
    <ul
      ref={box}
      className="context-menu"
      role="menu"
      aria-label={`Actions on ${describe(menu.target)}`}
      data-testid="context-menu"
      data-target={describe(menu.target)}
      style={{ left: pos.x, top: pos.y }}
      onKeyDown={onKeyDown}
      onContextMenu={(e) => e.preventDefault()}
    >
      {menu.items.map((it, i) => (
        <li
          key={it.id}
          role="menuitem"
          tabIndex={i === active ? 0 : -1}
          aria-disabled={it.disabled || undefined}
          className={`context-menu-item ${it.danger ? "danger" : ""} ${i === active ? "active" : ""}`}
          data-testid={`context-menu-item-${it.id}`}
          onClick={() => run(it)}
          onPointerMove={() => !it.disabled && setActive(i)}
        >
          <span>{it.label}</span>
          {it.hint && <span className="context-menu-hint">{it.hint}</span>}
        </li>
      ))}
      {!menu.items.length && <li className="context-menu-empty">nothing to do here</li>}
    </ul>
  );
}
