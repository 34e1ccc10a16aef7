// `topolab serve` as a person sees it: Open vSwitch started if it is installed and idle, the
// server started, the address with its token printed once (like Jupyter), a warning when it
// listens beyond this machine, and a line when the kernel has been reconciled.
//
// Knows: the words printed at start. Leaves to others: the server (app.ts).

import { ensureOvsRunning, forgetCapabilities } from "@topolab/engine";
import { isLoopback, type ServerOptions } from "./config";
import { startServer, type RunningServer } from "./app";
import { reportLine } from "./reconcile";

export interface ServeOptions extends ServerOptions {
  /** where the address with the token goes (stdout) */
  print?: (line: string) => void;
}

export async function serve(o: ServeOptions = {}): Promise<RunningServer> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const print = o.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const ovs = await ensureOvsRunning();
  if (ovs === "started Open vSwitch") {
    log("topolab: started Open vSwitch");
    forgetCapabilities();
  } else if (ovs !== "Open vSwitch is running") {
    log(`topolab: ${ovs}; labs can still use Linux bridges (switch type: bridge)`);
  }
  const server = await startServer({ ...o, log });
  if (!isLoopback(server.host)) {
    log(
      `topolab: WARNING: listening on ${server.host}:${server.port}, which other machines can reach. ` +
        "The token is still required, but whoever has it gets root shells on this machine; prefer 127.0.0.1 and an SSH tunnel.",
    );
  }
  print(`topolab: serving on ${server.url}`);
  print(`topolab: open this address in a browser (it carries the access token, keep it private):`);
  print(`    ${server.url}/?token=${server.token}`);
  // a failed reconcile is logged where it fails (app.ts); unhandled here it would end the server
  server.reconciled.then(
    (r) => {
      if (r) log(reportLine(r));
    },
    () => undefined,
  );
  return server;
}
