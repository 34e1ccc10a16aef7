// The server bundle's entry (apps/server/dist/server.js, built by scripts/build.mjs with npm
// packages left external so node-pty stays native): what `topolab serve` loads.
//
// server/    HTTP, socket.io, labs, REST, security, reconcile
// terminals/ browser shells through node-pty

export { serve, type ServeOptions } from "./server/serve";
export { startServer, VERSION, type RunningServer } from "./server/app";
export { DEFAULT_HOST, DEFAULT_PORT, type ServerOptions } from "./server/config";
