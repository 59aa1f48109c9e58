// Goal: the decoder's string cache never changes what a string field decodes to. Its slots are
// picked by a hash of the bytes and a new string evicts the slot's old one, so a bug would show as
// a stale string returned for different bytes of the same slot, or of the same length. Method:
// fast-check writes sequences of strings from a small pool (many repeats, and with 4 slots many
// collisions), non-ASCII ones and ones longer than the cache keeps included, and reads them back
// through one cache; every read must equal the string written.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteReader, ByteWriter, RecentStrings } from "../../src/lib/byte_codec.js";

describe("RecentStrings", () => {
  it("reads every string field as written, through repeats, slot collisions and evictions", () => {
    const pool = fc.array(
      fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.constantFrom("client/1", "client/2", "client/3", "client/12", "clienu/1", "é/1", "日本"),
        fc.string({ minLength: 17, maxLength: 40 }),
      ),
      { minLength: 1, maxLength: 12 },
    );
    fc.assert(
      fc.property(pool, fc.array(fc.nat(), { minLength: 1, maxLength: 200 }), (strings, picks) => {
        const written = picks.map((p) => strings[p % strings.length]!);
        const w = new ByteWriter();
        for (const text of written) w.string(text);
        const reader = new ByteReader(w.finish());
        const cache = new RecentStrings(4, 16);
        for (const text of written) expect(cache.read(reader)).toBe(text);
        reader.expectDone();
      }),
      { numRuns: 300 },
    );
  });

  it("keeps a power of two of strings", () => {
    expect(() => new RecentStrings(3, 16)).toThrow(/power of two/);
    expect(() => new RecentStrings(8, 0)).toThrow(/one byte/);
  });
});
