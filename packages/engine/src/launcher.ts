// The launcher: one long-lived helper process that starts the server's programs for it.
//
// Knows: why (Node.js forks its whole process for every child: about 1.2 ms of its one thread
// on this kind of machine in a bare Node, 2 to 3 ms in the server, and a lab's edit runs six
// or so programs one after another; Python's subprocess starts a child with vfork, 0.2 to
// 0.3 ms, and that in another process); the helper's protocol (a JSON line each way per
// program: argument vector, environment, input and output bound in, exit code and output
// out; a line to kill one); what happens when the helper is missing or ends (programs run
// as before, through Node's own spawn).
// Leaves to exec.ts: which argument vectors and environment (run() resolves them), timeouts
// and aborts (run() asks the launcher to kill), the result's wording.
//
// The helper ends with the process that started it (PR_SET_PDEATHSIG, and on its stdin's end
// once its programs are done); it starts every program from its own main thread, so a
// program's own parent-death signal (setpriv --pdeathsig) still means "topolab ended".

import { spawn, type ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import { findTool, launcherInUse, setLauncher, toolEnv } from "./exec";

/** What the helper said of one program. */
export interface Launched {
  /** the exit code, or 128 + 9 when a signal ended it */
  code: number;
  stdout: string;
  stderr: string;
  /** why it could not be started, when it could not */
  startError?: string;
}

/** The helper, run by `python3 -I -S -c`: reads requests on stdin, writes results on stdout. */
const HELPER = String.raw`
import ctypes, json, os, selectors, signal, subprocess, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
except Exception:
    pass
if os.getppid() != int(sys.argv[1]):
    sys.exit(0)  # topolab ended before the signal was armed
sel = selectors.DefaultSelector()
out = sys.stdout.buffer
runs = {}
def reply(msg):
    try:
        out.write(json.dumps(msg, ensure_ascii=False).encode("utf-8", "replace") + b"\n")
        out.flush()
    except (BrokenPipeError, ValueError):
        pass
def settle(rid):
    r = runs[rid]
    if r["open"] or r["p"].poll() is None:
        return False
    rc = r["p"].returncode
    del runs[rid]
    stdin = r["p"].stdin
    if not stdin.closed:
        # input it never read: unwatched and closed, or the selector would report it forever
        sel.unregister(stdin)
        stdin.close()
    reply({"i": rid, "c": rc if rc >= 0 else 137, "o": b"".join(r["o"]).decode("utf-8", "replace"), "r": b"".join(r["r"]).decode("utf-8", "replace")})
    return True
def start(req):
    rid = req["i"]
    try:
        given = req["in"].encode("utf-8", "replace")
        p = subprocess.Popen(req["a"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=req["e"], close_fds=True)
    except Exception as e:
        reply({"i": rid, "c": 127, "o": "", "r": "", "x": str(e)})
        return
    r = {"p": p, "o": [], "r": [], "n": {"o": 0, "r": 0}, "m": req["m"], "open": 2, "in": given}
    runs[rid] = r
    for f, key in ((p.stdout, "o"), (p.stderr, "r")):
        os.set_blocking(f.fileno(), False)
        sel.register(f, selectors.EVENT_READ, (rid, key))
    os.set_blocking(p.stdin.fileno(), False)
    if r["in"]:
        sel.register(p.stdin, selectors.EVENT_WRITE, (rid, "in"))
    else:
        p.stdin.close()
def feed(rid):
    r = runs[rid]
    stdin = r["p"].stdin
    try:
        n = os.write(stdin.fileno(), r["in"][:65536])
        r["in"] = r["in"][n:]
        if r["in"]:
            return
    except (BrokenPipeError, OSError):
        pass  # the program ended without reading it all
    sel.unregister(stdin)
    stdin.close()
def drain(f, rid, key):
    r = runs[rid]
    try:
        b = os.read(f.fileno(), 65536)
    except BlockingIOError:
        return
    if b:
        if r["n"][key] < r["m"]:
            r[key].append(b)
        r["n"][key] += len(b)
        return
    sel.unregister(f)
    f.close()
    r["open"] -= 1
def kill(rid):
    r = runs.get(rid)
    if r and r["p"].poll() is None:
        try:
            r["p"].kill()
        except OSError:
            pass
os.set_blocking(0, False)
sel.register(0, selectors.EVENT_READ, None)
# a program's end wakes the loop: SIGCHLD writes to a pipe the selector watches
woken, wake = os.pipe()
os.set_blocking(woken, False)
os.set_blocking(wake, False)
signal.set_wakeup_fd(wake)
signal.signal(signal.SIGCHLD, lambda *_: None)
sel.register(woken, selectors.EVENT_READ, "child")
pending = b""
reading = True
reply({"ready": os.getpid()})
while reading or runs:
    waiting = [rid for rid, r in runs.items() if not r["open"]]
    for rid in waiting:
        settle(rid)
    for key, _ in sel.select(0.05 if any(not r["open"] for r in runs.values()) else None):
        if key.data == "child":
            try:
                os.read(woken, 4096)
            except BlockingIOError:
                pass
            continue
        if key.data is None:
            try:
                chunk = os.read(0, 1 << 20)
            except BlockingIOError:
                continue
            if not chunk:
                reading = False
                sel.unregister(0)
                continue
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                req = json.loads(line)
                if "k" in req:
                    kill(req["k"])
                else:
                    start(req)
            continue
        rid, what = key.data
        if rid not in runs:
            continue
        if what == "in":
            feed(rid)
        else:
            drain(key.fileobj, rid, what)
            settle(rid)
`;

interface Request {
  resolve: (r: Launched) => void;
  /** the program's command line, for messages */
  command: string;
}

/**
 * One helper process and the programs it runs for this process. Made by useLauncher(); run()
 * of exec.ts goes through it while it is in use.
 */
export class Launcher {
  private next = 1;
  private readonly requests = new Map<number, Request>();
  private buffered = "";
  private ended: string | null = null;

  private constructor(private readonly child: ChildProcess) {}

  /**
   * Starts the helper; null when it cannot be (no python3), and programs are started as before.
   * `onEnd` is told why when the helper ends other than by close() (run() then spawns itself again).
   */
  static async start(onEnd?: (why: string) => void): Promise<Launcher | null> {
    const python = findTool("python3");
    if (!python) return null;
    let child: ChildProcess;
    try {
      child = spawn(python, ["-I", "-S", "-c", HELPER, String(process.pid)], { stdio: ["pipe", "pipe", "inherit"], env: toolEnv() });
    } catch {
      return null;
    }
    const launcher = new Launcher(child);
    launcher.onEnd = onEnd ?? null;
    const ready = new Promise<boolean>((resolve) => {
      launcher.onReady = resolve;
      child.once("error", () => resolve(false));
      child.once("exit", () => resolve(false));
    });
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (text: string) => launcher.heard(text));
    child.once("exit", (code, signal) => launcher.end(`exited ${signal ? `on ${signal}` : `with ${code}`}`));
    child.stdin!.on("error", () => undefined);
    if (await ready) {
      // the helper keeps this process alive only while it runs something for it
      launcher.hold(false);
      return launcher;
    }
    child.kill("SIGKILL");
    return null;
  }

  private onReady: ((ok: boolean) => void) | null = null;
  private onEnd: ((why: string) => void) | null = null;
  private closing = false;

  /** The helper's process id (for tests and logs). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** False once the helper has ended: run() then starts programs itself again. */
  get alive(): boolean {
    return this.ended === null;
  }

  /** Runs argv (resolved: an absolute program path) through the helper; returns its id and the result. */
  run(argv: string[], env: NodeJS.ProcessEnv, input: string, maxOutput: number): { id: number; result: Promise<Launched> } {
    const id = this.next++;
    const result = new Promise<Launched>((resolve) => {
      if (this.ended !== null) {
        resolve({ code: 127, stdout: "", stderr: "", startError: `topolab's launcher ${this.ended}` });
        return;
      }
      if (this.requests.size === 0) this.hold(true);
      this.requests.set(id, { resolve, command: argv.join(" ") });
      this.child.stdin!.write(`${JSON.stringify({ i: id, a: argv, e: env, in: input, m: maxOutput })}\n`);
    });
    return { id, result };
  }

  /** Kills (SIGKILL) a program it runs; its result comes as usual. */
  kill(id: number): void {
    if (this.ended === null && this.requests.has(id)) this.child.stdin!.write(`${JSON.stringify({ k: id })}\n`);
  }

  /**
   * Ends the helper once the programs it runs are done, waiting for that at most `waitMs`; then
   * it is killed, and the programs still running (their command lines are returned) go on and
   * end by themselves, as a program Node started does when its process ends, their results
   * unread (what waits for one hears that the launcher ended).
   */
  async close(waitMs = 5000): Promise<string[]> {
    if (this.ended !== null) return [];
    this.closing = true;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.hold(true);
    this.child.stdin!.end();
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitMs)))]);
    clearTimeout(timer);
    if (done) return [];
    const running = [...this.requests.values()].map((r) => r.command);
    this.child.kill("SIGKILL");
    await exited;
    return running;
  }

  private hold(on: boolean): void {
    for (const handle of [this.child, this.child.stdout as Socket, this.child.stdin as Socket]) {
      if (on) handle.ref();
      else handle.unref();
    }
  }

  private heard(text: string): void {
    // a reply of megabytes comes in many chunks: only the new one is searched for its end
    let from = this.buffered.length;
    this.buffered += text;
    let nl: number;
    while ((nl = this.buffered.indexOf("\n", from)) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      from = 0;
      const msg = parseReply(line);
      if (msg.kind === "ready") {
        this.onReady?.(true);
        this.onReady = null;
      } else if (msg.kind === "done") {
        const request = this.requests.get(msg.id);
        this.requests.delete(msg.id);
        if (this.requests.size === 0) this.hold(false);
        request?.resolve(msg.result);
      }
    }
  }

  private end(why: string): void {
    if (this.ended !== null) return;
    this.ended = `(pid ${this.child.pid}) ${why}`;
    // what it ran may have run in part: reported as failed, never run a second time
    for (const [, request] of this.requests) {
      request.resolve({ code: 127, stdout: "", stderr: `topolab's launcher ${this.ended} while ${request.command.split(" ")[0]} ran` });
    }
    this.requests.clear();
    if (!this.closing) this.onEnd?.(`topolab's launcher ${this.ended}: programs start through Node's spawn again`);
  }
}

/** One line of the helper's output, read. */
export type HelperReply = { kind: "ready"; pid: number } | { kind: "done"; id: number; result: Launched } | { kind: "unknown"; line: string };

/** Reads one line the helper printed (pure; unit tested). */
export function parseReply(line: string): HelperReply {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    return { kind: "unknown", line };
  }
  if (typeof msg !== "object" || msg === null) return { kind: "unknown", line };
  const m = msg as Record<string, unknown>;
  if (typeof m["ready"] === "number") return { kind: "ready", pid: m["ready"] };
  if (typeof m["i"] !== "number" || typeof m["c"] !== "number" || typeof m["o"] !== "string" || typeof m["r"] !== "string") return { kind: "unknown", line };
  const result: Launched = { code: m["c"], stdout: m["o"], stderr: m["r"] };
  if (typeof m["x"] === "string") result.startError = m["x"];
  return { kind: "done", id: m["i"], result };
}

let shared: { launcher: Promise<Launcher | null>; users: number } | null = null;

/**
 * Has run() start programs through one launcher (started now, or the one already in use) until
 * every user has called the function this returns; without python3 programs start as before.
 * Released, it answers the command lines of the programs still running after a few seconds
 * (the helper is then killed, and they go on by themselves).
 * The server uses it for its whole life; a CLI command, which runs a few programs, does not.
 * `log` (the first user's) hears it when the helper ends by itself.
 */
export async function useLauncher(log?: (line: string) => void): Promise<(waitMs?: number) => Promise<string[]>> {
  // TOPOLAB_LAUNCHER=off: Node's own spawn, as the CLI (to compare, or on trouble with the helper)
  if (process.env["TOPOLAB_LAUNCHER"] === "off") return async () => [];
  shared ??= {
    users: 0,
    launcher: Launcher.start(log).then((l) => {
      if (l) setLauncher(l);
      return l;
    }),
  };
  const mine = shared;
  mine.users++;
  await mine.launcher;
  let released = false;
  // released: the command lines of the programs it still ran after a few seconds (close())
  return async (waitMs?: number) => {
    if (released) return [];
    released = true;
    if (--mine.users > 0) return [];
    if (shared === mine) shared = null;
    const l = await mine.launcher;
    if (!l) return [];
    if (launcherInUse() === l) setLauncher(null);
    return l.close(waitMs);
  };
}
