// The worker-thread side of checker.ts: reads lab files and validates lab documents away from
// the server's event loop. One job at a time, in the order sent; a job that throws (it should
// not: topology returns problems) comes back as a failure with its message.
//
// Knows: the message shapes shared with checker.ts. Leaves to others: everything else.

import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort } from "node:worker_threads";
import { parseLabText, validateLab } from "@topolab/topology";
import type { CheckJob, CheckReply } from "./checker";

// this thread yields the CPU to the server's own (Linux: a thread's nice value is its own; the
// thread's id is the last part of /proc/thread-self): a long check never slows the answers
try {
  setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), 10);
} catch {
  /* not Linux, or not allowed: the same priority as the server */
}

const port = parentPort;
if (port) {
  port.on("message", (job: CheckJob) => {
    let reply: CheckReply;
    try {
      const result = job.kind === "text" ? parseLabText(job.text, job.options) : validateLab(job.input, job.options);
      reply = { id: job.id, ok: true, result };
    } catch (e) {
      reply = { id: job.id, ok: false, message: (e as Error)?.message ?? String(e) };
    }
    port.postMessage(reply);
  });
}
