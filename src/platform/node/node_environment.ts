// Builds the production Environment: the real clock, disk, TCP transport and a pino logger. Only
// entry points (the CLI, startMember/connect helpers) call this; everything below them takes the
// Environment it is given, which is what lets the simulator run the same code.

import { randomInt } from "node:crypto";
import type { Environment } from "../../env/environment.js";
import type { Logger } from "../../env/logger.js";
import { limitsDefault } from "../../limits.js";
import { NodeClock } from "./node_clock.js";
import { NodeDisk } from "./node_disk.js";
import { pinoLogger } from "./pino_logger.js";
import { TcpTransport, tcpTransportConfigDefault, type TcpTransportConfig } from "./tcp_transport.js";

/** What a member needs to build its Environment. */
export interface NodeEnvironmentOptions {
  /** Host and port to listen on; port 0 picks a free one. */
  readonly host: string;
  readonly port: number;
  readonly clusterName: string;
  /** The cluster's shared secret, or null. */
  readonly secret: Uint8Array | null;
  /** The member's data folder. */
  readonly dataDirectory: string;
  /** The randomness seed; a fresh random one when absent. */
  readonly seed?: number;
  /** Defaults to a pino logger at "info" on standard output. */
  readonly logger?: Logger;
  readonly transportConfig?: TcpTransportConfig;
  /** Whether the clock's timers keep the process alive (false for embedded members and tests). */
  readonly timersKeepAlive?: boolean;
}

/** The production Environment plus the handles its owner must close. */
export interface NodeEnvironment extends Environment {
  readonly transport: TcpTransport;
  readonly disk: NodeDisk;
  /** Closes the transport (releasing the port) and the disk's descriptors. */
  close(): Promise<void>;
}

/** Creates the real Environment; resolves once the transport listens. */
export async function nodeEnvironment(options: NodeEnvironmentOptions): Promise<NodeEnvironment> {
  const seed = options.seed ?? randomInt(0, 2 ** 48 - 1);
  const clock = new NodeClock({ timersKeepAlive: options.timersKeepAlive ?? true });
  const logger = options.logger ?? pinoLogger({ level: "info" });
  const disk = new NodeDisk({ root: options.dataDirectory, descriptorsOpenMax: 64 });
  const transport = await TcpTransport.listen({
    host: options.host,
    port: options.port,
    clusterName: options.clusterName,
    secret: options.secret,
    limits: limitsDefault(),
    config: options.transportConfig ?? tcpTransportConfigDefault(),
    clock,
    logger: logger.child({ component: "transport" }),
    seed,
  });
  return {
    clock,
    seed,
    transport,
    disk,
    logger,
    async close() {
      await transport.closeAndWait();
      disk.close();
    },
  };
}
