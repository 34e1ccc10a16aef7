// A preload for the server a benchmark starts (NODE_OPTIONS="--import FILE"): while
// TOPOLAB_MEMLOG names a file, every 250 ms one JSON line of process.memoryUsage() (bytes)
// with the pid and the time is appended to it, so that a benchmark can tell V8's heap, the
// memory outside it (external, arrayBuffers) and the RSS apart during a flood.
//
// Knows: nothing of topolab. The benchmark reads the file and keeps its server's pid's lines.
import { appendFileSync } from "node:fs";

const file = process.env["TOPOLAB_MEMLOG"];
if (file) {
  const t = setInterval(() => {
    const m = process.memoryUsage();
    try {
      appendFileSync(file, `${JSON.stringify({ pid: process.pid, t: Date.now(), ...m })}\n`);
    } catch {
      clearInterval(t);
    }
  }, 250);
  t.unref();
}
