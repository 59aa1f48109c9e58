// Small, stable, pure hash functions: the same bytes give the same hash on every platform and in
// every process, which placement, digests and trace hashes depend on.

const encoder = new TextEncoder();

/** Returns the UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Computes 32-bit FNV-1a over `bytes`, continuing from `seed` (the FNV offset basis by default). */
export function fnv1a32(bytes: Uint8Array, seed = 0x811c9dc5): number {
  return fnv1a32Range(bytes, 0, bytes.byteLength, seed);
}

/** {@link fnv1a32} of `bytes[start, end)`, with no view made: for a field inside a larger buffer. */
export function fnv1a32Range(bytes: Uint8Array, start: number, end: number, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash >>> 0;
}

/** Computes MurmurHash3 x86 32-bit over `bytes` with `seed`. Good spread for placement. */
export function murmur3_32(bytes: Uint8Array, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  const blockCount = bytes.length >>> 2;
  for (let block = 0; block < blockCount; block++) {
    const i = block << 2;
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = blockCount << 2;
  const remainder = bytes.length & 3;
  if (remainder > 0) {
    let k = 0;
    if (remainder === 3) k ^= bytes[tail + 2]! << 16;
    if (remainder >= 2) k ^= bytes[tail + 1]! << 8;
    k ^= bytes[tail]!;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes a string (as UTF-8) with MurmurHash3. */
export function hashString(text: string, seed = 0): number {
  return murmur3_32(utf8(text), seed);
}

/** Mixes two 32-bit values into one (a step of a running hash chain). */
export function mix32(a: number, b: number): number {
  let h = (a ^ Math.imul(b >>> 0, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
