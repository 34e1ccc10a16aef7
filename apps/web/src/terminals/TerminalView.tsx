// One terminal's screen: xterm.js with the fit addon, in its own lazily loaded chunk (xterm
// is most of it). It writes what the manager hands it, acks term:output once xterm has
// written it (flow control), sends keys and sizes back. Kept mounted while its tab is hidden,
// so its scrollback stays.
//
// Knows: xterm. Leaves to others: the protocol (manager.ts), tabs (Dock).

import { useEffect, useRef } from "react";
import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import "@xterm/xterm/css/xterm.css";
import { terminals, type TermTab } from "./manager";

const theme = {
  background: "#0f1419",
  foreground: "#e6e1cf",
  cursor: "#f29718",
  selectionBackground: "#253340",
  black: "#000000",
  red: "#ff3333",
  green: "#b8cc52",
  yellow: "#e7c547",
  blue: "#36a3d9",
  magenta: "#f07178",
  cyan: "#95e6cb",
  white: "#ffffff",
};

export default function TerminalView({ tab, visible }: { tab: TermTab; visible: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  const term = useRef<{ xterm: Terminal; fit: () => void } | null>(null);

  useEffect(() => {
    const el = box.current!;
    const xterm = new Terminal({
      fontFamily: "ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace",
      fontSize: 14,
      scrollback: 5000,
      cursorBlink: true,
      theme,
      allowProposedApi: false,
    });
    const fitAddon = new FitAddon();
    xterm.loadAddon(fitAddon);
    xterm.open(el);
    let last = "";
    const fit = () => {
      if (!el.offsetParent || el.clientWidth < 20 || el.clientHeight < 10) return;
      try {
        fitAddon.fit();
      } catch {
        return;
      }
      const size = `${xterm.cols}x${xterm.rows}`;
      if (size !== last) {
        last = size;
        terminals.resize(tab.id, xterm.cols, xterm.rows);
      }
    };
    term.current = { xterm, fit };
    const detachScreen = terminals.attachScreen(tab.id, {
      write: (data, counted) => xterm.write(data, counted ? () => terminals.written(tab.id, data.length) : undefined),
      reset: () => xterm.reset(),
    });
    const input = xterm.onData((data) => terminals.input(tab.id, data));
    const binary = xterm.onBinary((data) => terminals.input(tab.id, data));
    let frame = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(fit);
    });
    observer.observe(el);
    fit();
    return () => {
      cancelAnimationFrame(frame);
      observer.disconnect();
      input.dispose();
      binary.dispose();
      detachScreen();
      xterm.dispose();
      term.current = null;
    };
  }, [tab.id]);

  // a shell watched read-only takes no keys (the server would refuse them too)
  useEffect(() => {
    if (term.current) term.current.xterm.options.disableStdin = tab.state !== "live";
  }, [tab.state]);

  useEffect(() => {
    if (!visible || !term.current) return;
    term.current.fit();
    if (tab.state === "live") term.current.xterm.focus();
  }, [visible, tab.state]);

  return <div ref={box} className="term-screen" data-testid={`terminal-${tab.node}`} data-terminal-id={tab.id} data-state={tab.state} />;
}
