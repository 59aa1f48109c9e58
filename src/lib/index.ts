export { AssertionError, assert, assertCount, assertNever } from "./assert.js";
export { BoundedQueue } from "./bounded_queue.js";
export { bytesEqual, concatBytes, crc32, crc32Range, toHex } from "./bytes.js";
export { fnv1a32, fnv1a32Range, hashString, mix32, murmur3_32, utf8 } from "./hash.js";
export { Prng } from "./prng.js";
export type { PushResult } from "./bounded_queue.js";
