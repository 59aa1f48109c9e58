export { Backoff } from "./backoff.js";
export {
  describeFrameError,
  FrameDecoder,
  frameEncode,
  frameHeaderBytes,
  frameHeaderWrite,
} from "./framing.js";
export { Handshake, handshakeFrameBytesMax, handshakeNonceBytes } from "./handshake.js";
export { SendQueue } from "./send_queue.js";
export type { BackoffConfig } from "./backoff.js";
export type { DecodeResult, FrameError } from "./framing.js";
export type {
  HandshakeConfig,
  HandshakeCrypto,
  HandshakeFailure,
  HandshakeRole,
  HandshakeStep,
} from "./handshake.js";
export type { EnqueueResult, SendQueueLimits } from "./send_queue.js";
