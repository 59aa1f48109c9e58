// The handshake's cryptography and nonces from node:crypto. Kept apart so that transport/ stays
// free of platform imports and the simulator can supply its own deterministic stand-ins.

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { HandshakeCrypto } from "../../transport/handshake.js";

/** HMAC-SHA256 and constant-time comparison from node:crypto. */
export const nodeHandshakeCrypto: HandshakeCrypto = {
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
    return new Uint8Array(createHmac("sha256", key).update(data).digest());
  },
  equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
    // Lengths are public (a MAC is always 32 bytes); only the contents must not leak.
    return a.byteLength === b.byteLength && timingSafeEqual(a, b);
  },
};

/** Returns `count` cryptographically random bytes. */
export function randomNonce(count: number): Uint8Array {
  return new Uint8Array(randomBytes(count));
}
