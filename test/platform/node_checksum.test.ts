// Goal: node:zlib's CRC-32 and the portable lib/bytes.ts one agree on every input and on chained
// continuation, so a WAL written with one reads back with the other. Method: fast-check over
// random byte arrays split at a random point.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32 } from "../../src/lib/bytes.js";
import { nodeCrc32 } from "../../src/platform/node/node_checksum.js";

describe("nodeCrc32", () => {
  it("equals the portable crc32, whole and continued across a split", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2_000 }), fc.nat(), fc.nat(), (bytes, cut, seed) => {
        const at = cut % (bytes.byteLength + 1);
        const previous = seed >>> 0;
        expect(nodeCrc32(bytes, previous)).toBe(crc32(bytes, previous));
        expect(nodeCrc32(bytes.subarray(at), nodeCrc32(bytes.subarray(0, at)))).toBe(crc32(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it("matches the published check value", () => {
    expect(nodeCrc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
  });
});
