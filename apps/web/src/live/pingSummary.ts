// Ping all's findings on one pair, in words, for the matrix's tooltips and the pair's detail
// (PingAllTab.tsx). Pure: no React, no I/O.
//
// Knows: the protocol's PairOutput (pingall.ts) and that fping stops at the first reply (an
// answered pair's echo count is only bounded). Leaves to others: the rendering.

import type { PairOutput } from "@topolab/protocol";

/** a round trip in milliseconds, with three decimals below 10 ms */
export const ms = (n: number) => `${n < 10 ? n.toFixed(3) : n.toFixed(1)} ms`;

/** fping's findings on a pair, in words ("1 reply to at most 2 echoes, rtt 0.204 ms"). */
export function pairSummary(o: PairOutput): string {
  const rounds = `${o.rounds} round${o.rounds === 1 ? "" : "s"}`;
  if (o.received > 0) {
    const rtt = o.rtt ? (o.rtt.min === o.rtt.max ? `, rtt ${ms(o.rtt.avg)}` : `, rtt min/avg/max ${o.rtt.min}/${o.rtt.avg}/${o.rtt.max} ms`) : "";
    const sent = o.sent !== null ? `${o.sent} echo${o.sent === 1 ? "" : "es"}` : `at most ${o.sentAtMost} echo${o.sentAtMost === 1 ? "" : "es"}`;
    return `${o.received} repl${o.received === 1 ? "y" : "ies"} to ${sent} (${rounds})${rtt}`;
  }
  return `${o.sent ?? o.sentAtMost} sent, 0 received, ${o.lossPercent ?? 100}% loss (${rounds})`;
}
