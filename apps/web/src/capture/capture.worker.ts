// The capture panel's Web Worker: decoding and keeping a capture's packets off the page's main
// thread, so that a flood into an open panel does not cost the page its frames. Its state and
// messages are store.ts's (pure, tested there); this file only wires them to postMessage,
// transferring the bytes of a selected packet rather than copying them.
import { CaptureStore, type FromWorker, type ToWorker } from "./store";

// the worker's global scope (the page's tsconfig has the DOM's types, not the worker's)
const scope = self as unknown as {
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker, transfer: Transferable[]): void;
};
const store = new CaptureStore();

scope.onmessage = (e) => {
  let out: FromWorker[];
  try {
    out = store.handle(e.data);
  } catch (err) {
    out = [{ type: "error", message: `capture worker: ${(err as Error).message}` }];
  }
  for (const m of out) scope.postMessage(m, m.type === "detail" && m.data ? [m.data] : []);
};
