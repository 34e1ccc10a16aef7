// Ending a shell and everything it started (its session, found in /proc, signalled by PID)
// is the engine's: the one package that touches the kernel and processes (engine/session.ts).
export { endSession, sessionPids } from "@topolab/engine";
