// Test and benchmark support for classes (not part of the product): a student joining a class,
// and a student's socket.io client, which shows the class cookie (no token), as a student's
// browser does.

import { io } from "socket.io-client";
import { PROTOCOL_VERSION } from "@topolab/protocol";
import { Client } from "../testing";

export function studentClient(url: string, cookie: string): Promise<Client> {
  const socket = io(url, {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    extraHeaders: { origin: url, cookie },
    auth: { protocol: PROTOCOL_VERSION },
  });
  const client = new Client(socket);
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(client));
    socket.once("connect_error", (e) => {
      socket.disconnect();
      reject(e);
    });
  });
}

/**
 * A student joins a class by its code and a display name, as the join page does (POST
 * /api/class/join from the server's own origin): their lab and name, the class cookie as a
 * browser sends it back (name=value), and the Set-Cookie header as the server sent it.
 */
export async function joinClass(origin: string, code: string, name: string): Promise<{ cookie: string; setCookie: string; lab: string; student: string }> {
  const res = await fetch(`${origin}/api/class/join`, {
    method: "POST",
    headers: { "content-type": "application/json", origin },
    body: JSON.stringify({ code, name }),
  });
  if (res.status !== 201) throw new Error(`POST /api/class/join answered ${res.status}, not 201: ${await res.text()}`);
  const body = (await res.json()) as { lab: string; student: string };
  const setCookie = res.headers.get("set-cookie") ?? "";
  return { cookie: setCookie.split(";")[0]!, setCookie, ...body };
}
