// `ss -H -ltnup` parsed: listening TCP and bound UDP sockets with the processes that own them.
//
// Knows: ss's columns without header (netid, state, recv-q, send-q, local, peer, process) and
// its users:(("name",pid=N,fd=M),…) field; addresses such as *:53, [::]:22, 10.0.0.1%eth0:67.
// Leaves to others: running `ss` inside a namespace.

import { lines, ParseError } from "./common";

export interface SocketInfo {
  protocol: "tcp" | "udp";
  state: string;
  /** "0.0.0.0", "::", "10.0.0.1", "*" (any) */
  address: string;
  port: number;
  /** the interface a socket is bound to (addr%dev) */
  dev?: string;
  processes: { name: string; pid: number; fd: number }[];
}

const SOURCE = "ss -H -ltnup";

function splitEndpoint(text: string): { address: string; port: number; dev?: string } {
  const i = text.lastIndexOf(":");
  if (i < 0) throw new ParseError(SOURCE, `address without a port: ${text}`);
  let host = text.slice(0, i);
  const portText = text.slice(i + 1);
  const port = portText === "*" ? 0 : Number(portText);
  if (!Number.isInteger(port)) throw new ParseError(SOURCE, `port is not a number: ${text}`);
  let dev: string | undefined;
  const pct = host.indexOf("%");
  if (pct >= 0) {
    dev = host.slice(pct + 1);
    host = host.slice(0, pct);
  }
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  return { address: host, port, ...(dev !== undefined ? { dev } : {}) };
}

export function parseSockets(text: string): SocketInfo[] {
  return lines(text).map((line) => {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) throw new ParseError(SOURCE, `a line with fewer than 6 columns: ${line}`);
    const protocol = f[0];
    if (protocol !== "tcp" && protocol !== "udp") throw new ParseError(SOURCE, `unknown socket type ${protocol} in: ${line}`);
    const local = splitEndpoint(f[4]!);
    const rest = f.slice(6).join(" ");
    const processes = [...rest.matchAll(/\("((?:[^"\\]|\\.)*)",pid=(\d+),fd=(\d+)\)/g)].map((m) => ({ name: m[1]!, pid: Number(m[2]), fd: Number(m[3]) }));
    return { protocol, state: f[1]!, ...local, processes };
  });
}
