// The transport of a fake member in client tests: a real TcpTransport on a free 127.0.0.1 port
// with the cluster handshake (cluster "shoal", the given secret), quiet, timers not keeping the
// test process alive. Also how a fake member reads a client's request payload, and a payload's trip
// through the wire codec.

import { silentLogger } from "../../src/env/logger.js";
import { limitsDefault } from "../../src/limits.js";
import { NodeClock, TcpTransport, tcpTransportConfigDefault } from "../../src/platform/node/index.js";
import type { ClientRequest, ClientRequestPayload } from "../../src/protocol/client/messages.js";
import type { WireCodec, WireMessage } from "../../src/protocol/wire/index.js";
import { clientPayloadDecode } from "../../src/runtime/client_codec.js";
import type { ClientRequestCheck } from "../../src/runtime/client_request.js";

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

/** Limits no request of a test exceeds: a fake member reads what the client sent, unchecked. */
const readLimits = {
  ...limitsDefault(),
  keyBytesMax: 1 << 30,
  valueBytesMax: 1 << 30,
  batchOperationsMax: 1 << 30,
};

/**
 * What a client sent in a `client-request` frame, as a fake member reads it: the binary form
 * decoded (runtime/client_codec.ts), or the MessagePack value as it is. A request the binary
 * decoder refuses is a bug in the client's encoder and fails the test.
 */
export function requestPayloadOf(payload: unknown): ClientRequestPayload {
  if (!(payload instanceof Uint8Array)) return payload as ClientRequestPayload;
  const checked = clientPayloadDecode(payload, readLimits);
  const requestOf = (check: ClientRequestCheck): ClientRequest => {
    if (check.kind === "bad") throw new Error(`binary request refused: ${check.message}`);
    return check.request;
  };
  return checked.kind === "single"
    ? requestOf(checked.check)
    : { type: "batch", requests: checked.checks.map(requestOf) };
}

/**
 * `message`'s payload as the receiving member's wire codec hands it over: encoded into a frame
 * with `codec` and decoded again (and the kind kept).
 */
export function overTheWire(codec: WireCodec, message: WireMessage<unknown>): unknown {
  const encoded = codec.encode(message);
  if (encoded.kind !== "ok") throw new Error("does not fit a frame");
  const decoded = codec.decode(encoded.body);
  if (decoded.kind !== "ok") throw new Error(decoded.detail);
  if (decoded.message.kind !== message.kind)
    throw new Error(`kind ${decoded.message.kind}, sent ${message.kind}`);
  return decoded.message.payload;
}
