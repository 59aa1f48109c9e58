// Goal: the pure building blocks behave exactly as specified, since every simulation and checksum
// depends on them. Method: known test vectors for the hashes and CRC, determinism and range checks
// for the PRNG, and a model comparison (fast-check) for the bounded queue.

import { crc32 as zlibCrc32 } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assert,
  AssertionError,
  BoundedQueue,
  crc32,
  crc32Range,
  fnv1a32,
  murmur3_32,
  Prng,
  utf8,
} from "../../src/lib/index.js";

describe("hashes", () => {
  it("match published test vectors", () => {
    expect(crc32(utf8("123456789"))).toBe(0xcbf43926);
    expect(murmur3_32(utf8("hello"), 0)).toBe(0x248bfa47);
    expect(murmur3_32(utf8(""), 0)).toBe(0);
    expect(murmur3_32(utf8("The quick brown fox jumps over the lazy dog"), 0)).toBe(0x2e4ff723);
    expect(fnv1a32(utf8("a"))).toBe(0xe40c292c);
  });

  it("continues a CRC across chunks", () => {
    fc.assert(
      fc.property(fc.uint8Array(), fc.uint8Array(), (a, b) => {
        const whole = new Uint8Array([...a, ...b]);
        expect(crc32(b, crc32(a))).toBe(crc32(whole));
      }),
    );
  });

  it("computes a range's CRC in place as node:zlib computes it for a copy, chained from any value", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.nat(),
        fc.nat(),
        fc.nat(0xffff_ffff),
        (bytes, x, y, previous) => {
          const start = x % (bytes.byteLength + 1);
          const end = start + (y % (bytes.byteLength - start + 1));
          expect(crc32Range(bytes, start, end, previous)).toBe(zlibCrc32(bytes.slice(start, end), previous));
        },
      ),
    );
  });
});

describe("Prng", () => {
  it("replays the same stream for the same seed and differs across seeds", () => {
    const draw = (seed: number) => Array.from({ length: 8 }, () => Prng.fromSeed(seed).nextUint32());
    const a = Prng.fromSeed(42);
    const b = Prng.fromSeed(42);
    const c = Prng.fromSeed(43);
    const streamA = Array.from({ length: 100 }, () => a.nextUint32());
    expect(Array.from({ length: 100 }, () => b.nextUint32())).toEqual(streamA);
    expect(Array.from({ length: 100 }, () => c.nextUint32())).not.toEqual(streamA);
    expect(new Set(draw(1)).size).toBe(1);
  });

  it("derives independent named streams", () => {
    expect(Prng.deriveSeed(7, "swim")).toBe(Prng.deriveSeed(7, "swim"));
    expect(Prng.deriveSeed(7, "swim")).not.toBe(Prng.deriveSeed(7, "raft"));
    expect(Prng.deriveSeed(7, "swim")).not.toBe(Prng.deriveSeed(8, "swim"));
  });

  it("keeps draws in range", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 1, max: 1000 }), (seed, bound) => {
        const prng = Prng.fromSeed(seed);
        for (let i = 0; i < 20; i++) {
          const value = prng.below(bound);
          expect(value).toBeGreaterThanOrEqual(0);
          expect(value).toBeLessThan(bound);
          const f = prng.next();
          expect(f).toBeGreaterThanOrEqual(0);
          expect(f).toBeLessThan(1);
        }
      }),
    );
  });

  it("spreads values roughly uniformly", () => {
    const prng = Prng.fromSeed(1);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[prng.below(10)]! += 1;
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(600);
  });

  it("shuffles into a permutation", () => {
    const prng = Prng.fromSeed(3);
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = prng.shuffle([...items]);
    expect([...shuffled].sort((x, y) => x - y)).toEqual(items);
    expect(shuffled).not.toEqual(items);
  });
});

describe("BoundedQueue", () => {
  it("behaves like an array model with a capacity", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.oneof(fc.integer(), fc.constant("shift" as const)), { maxLength: 100 }),
        (capacity, operations) => {
          const queue = new BoundedQueue<number>(capacity);
          const model: number[] = [];
          for (const operation of operations) {
            if (operation === "shift") {
              expect(queue.shift()).toBe(model.shift());
            } else {
              const result = queue.push(operation);
              if (model.length < capacity) {
                expect(result).toBe("queued");
                model.push(operation);
              } else {
                expect(result).toBe("full");
              }
            }
            expect(queue.size).toBe(model.length);
            expect([...queue]).toEqual(model);
          }
        },
      ),
    );
  });
});

describe("assert", () => {
  it("throws an AssertionError naming the invariant", () => {
    expect(() => assert(false, "commit index went back")).toThrow(AssertionError);
    expect(() => assert(false, "commit index went back")).toThrow("commit index went back");
    expect(() => assert([1].length === 1)).not.toThrow();
  });
});
