// Shared helpers for the real-socket transport tests: a logger that records events, a transport
// factory on 127.0.0.1 with small timeouts, and a poll-until-true with a deadline (never a sleep).

import type { LogFields, Logger } from "../../src/env/logger.js";
import { limitsDefault } from "../../src/limits.js";
import { NodeClock } from "../../src/platform/node/node_clock.js";
import {
  TcpTransport,
  type TcpTransportConfig,
  tcpTransportConfigDefault,
} from "../../src/platform/node/tcp_transport.js";
import type { Limits } from "../../src/limits.js";

/** One recorded log event. */
export interface LoggedEvent {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly event: string;
  readonly fields: LogFields;
}

/** A Logger that keeps every event in `events` (shared with its children). */
export function recordingLogger(
  events: LoggedEvent[] = [],
  bound: LogFields = {},
): Logger & { events: LoggedEvent[] } {
  const record = (level: LoggedEvent["level"]) => (event: string, fields?: LogFields) => {
    events.push({ level, event, fields: { ...bound, ...fields } });
  };
  return {
    events,
    debug: record("debug"),
    info: record("info"),
    warn: record("warn"),
    error: record("error"),
    child: (fields: LogFields) => recordingLogger(events, { ...bound, ...fields }),
  };
}

/** Options for {@link startTransport}. */
export interface StartOptions {
  readonly port?: number;
  readonly secret?: string | null;
  readonly clusterName?: string;
  readonly limits?: Partial<Limits>;
  readonly config?: Partial<TcpTransportConfig>;
  readonly logger?: Logger;
  readonly seed?: number;
}

/** Starts a transport on 127.0.0.1 with test-sized timeouts. */
export function startTransport(options: StartOptions = {}): Promise<TcpTransport> {
  const secret = options.secret ?? null;
  return TcpTransport.listen({
    host: "127.0.0.1",
    port: options.port ?? 0,
    clusterName: options.clusterName ?? "test",
    secret: secret === null ? null : new TextEncoder().encode(secret),
    limits: { ...limitsDefault(), ...options.limits },
    config: {
      ...tcpTransportConfigDefault(),
      handshakeTimeoutMs: 2_000,
      reconnectDelayMsMin: 10,
      reconnectDelayMsMax: 200,
      ...options.config,
    },
    clock: new NodeClock({ timersKeepAlive: false }),
    logger: options.logger ?? recordingLogger(),
    seed: options.seed ?? 1,
  });
}

/** Polls `condition` every few milliseconds until it holds; throws after `deadlineMs`. */
export async function waitFor(
  condition: () => boolean,
  deadlineMs = 10_000,
  what = "condition",
): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > deadlineMs)
      throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
