// A seeded pseudo-random generator (sfc32, seeded through splitmix32). It is the only source of
// randomness in pure code: the same seed gives the same stream on every platform, so a simulation
// replays bit for bit. Cores derive their own stream by name (`Prng.derive(seed, "swim")`), so that
// adding a draw in one core never shifts the stream of another.

import { assert } from "./assert.js";
import { hashString, mix32 } from "./hash.js";

function splitmix32(state: number): [next: number, output: number] {
  const next = (state + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return [next, (z ^ (z >>> 16)) >>> 0];
}

/** A deterministic random stream. Not cryptographic. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  private constructor(seed: number) {
    assert(Number.isSafeInteger(seed), `seed must be an integer, got ${seed}`);
    let state = (seed ^ Math.floor(seed / 0x1_0000_0000)) >>> 0;
    [state, this.a] = splitmix32(state);
    [state, this.b] = splitmix32(state);
    [state, this.c] = splitmix32(state);
    [state, this.d] = splitmix32(state);
    for (let i = 0; i < 12; i++) this.nextUint32(); // Warm up: sfc32's first outputs are weak.
  }

  /** Creates a stream from an integer seed. */
  static fromSeed(seed: number): Prng {
    return new Prng(seed);
  }

  /** Derives the seed of a named sub-stream: stable, and independent of other names. */
  static deriveSeed(seed: number, name: string): number {
    return mix32(mix32(seed >>> 0, Math.floor(seed / 0x1_0000_0000)), hashString(name));
  }

  /** Creates the named sub-stream of `seed`. */
  static derive(seed: number, name: string): Prng {
    return new Prng(Prng.deriveSeed(seed, name));
  }

  /** Returns the next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Returns a float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** Returns an integer in [0, bound). */
  below(bound: number): number {
    assert(Number.isSafeInteger(bound) && bound > 0, `bound must be a positive integer, got ${bound}`);
    if (bound <= 0x1_0000_0000) {
      // Rejection sampling removes the modulo bias.
      const limit = 0x1_0000_0000 - (0x1_0000_0000 % bound);
      for (;;) {
        const value = this.nextUint32();
        if (value < limit) return value % bound;
      }
    }
    return Math.floor(this.next() * bound);
  }

  /** Returns an integer in [min, max], both inclusive. */
  intBetween(min: number, max: number): number {
    assert(min <= max, `min ${min} must not exceed max ${max}`);
    return min + this.below(max - min + 1);
  }

  /** Returns true with probability `probability` (0 to 1). */
  chance(probability: number): boolean {
    assert(probability >= 0 && probability <= 1, `probability out of range: ${probability}`);
    if (probability === 0) return false;
    return this.next() < probability;
  }

  /** Returns one element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, "pick from an empty array");
    return items[this.below(items.length)]!;
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const swap = items[i]!;
      items[i] = items[j]!;
      items[j] = swap;
    }
    return items;
  }

  /** Returns an exponentially distributed value with the given mean. */
  exponential(mean: number): number {
    assert(mean >= 0, "mean must be non-negative");
    return -Math.log(1 - this.next()) * mean;
  }

  /** Returns a new independent stream whose seed is drawn from this one. */
  fork(): Prng {
    return new Prng(this.nextUint32() * 0x1_0000 + (this.nextUint32() & 0xffff));
  }
}
