// Binding a node:net or node:http server: resolves once the port is bound (with the port the OS
// chose for port 0), rejects on the bind error, and leaves no error listener of its own behind.

import type { AddressInfo, Server } from "node:net";

/** Binds `server` to `host:port`; resolves with the bound port. */
export async function listenOn(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
