// The transport of a fake member in client tests: a real TcpTransport on a free 127.0.0.1 port
// with the cluster handshake (cluster "shoal", the given secret), quiet, timers not keeping the
// test process alive.

import { silentLogger } from "../../src/env/logger.js";
import { limitsDefault } from "../../src/limits.js";
import { NodeClock, TcpTransport, tcpTransportConfigDefault } from "../../src/platform/node/index.js";

/** Opens a fake member's transport; the caller closes it. */
export function fakeMemberTransport(secret: string, seed: number): Promise<TcpTransport> {
  return TcpTransport.listen({
    host: "127.0.0.1",
    port: 0,
    clusterName: "shoal",
    secret: new TextEncoder().encode(secret),
    limits: limitsDefault(),
    config: tcpTransportConfigDefault(),
    clock: new NodeClock({ timersKeepAlive: false }),
    logger: silentLogger,
    seed,
  });
}
