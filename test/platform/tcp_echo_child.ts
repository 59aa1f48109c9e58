// A child process for the two-process transport test: it listens on 127.0.0.1, prints its address
// on one line, and echoes every frame back to its sender. The parent kills it by PID.

import { NodeClock } from "../../src/platform/node/node_clock.js";
import { limitsDefault } from "../../src/limits.js";
import { silentLogger } from "../../src/env/logger.js";
import { TcpTransport, tcpTransportConfigDefault } from "../../src/platform/node/tcp_transport.js";

const secretArgument = process.argv[2];
const transport = await TcpTransport.listen({
  host: "127.0.0.1",
  port: 0,
  clusterName: "test",
  secret: secretArgument === undefined ? null : new TextEncoder().encode(secretArgument),
  limits: limitsDefault(),
  config: tcpTransportConfigDefault(),
  clock: new NodeClock({ timersKeepAlive: true }),
  logger: silentLogger,
  seed: 2,
});
transport.onFrame((from, frame) => {
  transport.send(from, frame);
});
process.stdout.write(`listening ${transport.localAddress}\n`);
