// Test and benchmark support for classes (not part of the product): a student's socket.io
// client, which shows the class cookie (no token), as a student's browser does.

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
