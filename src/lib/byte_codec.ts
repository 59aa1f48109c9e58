// Varint fields in a byte buffer, shared by every hand-written binary format (CRDT states, the AP
// stores file, raft-batch frames). Integers are unsigned LEB128 varints, minimal, up to 2^53 - 1;
// strings are a byte length then UTF-8; byte fields a length then the bytes. Pure: no Buffer, no
// node: modules.

import { assert } from "./assert.js";
import { fnv1a32Range } from "./hash.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The most bytes one decoded string or byte field may claim, to refuse hostile lengths early. */
export const FIELD_BYTES_MAX = 16 * 1024 * 1024;
/** The longest varint: 2^53 - 1 takes 8 bytes of 7 bits. */
const varintBytesMax = 8;

/** Raised by {@link ByteReader} on malformed input; decode entry points turn it into an outcome. */
export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CodecError";
  }
}

/**
 * Appends fields to a growing buffer. {@link finish} returns a copy; a writer reused from call to
 * call (reset, then {@link view}) spares that copy and the buffer's growth.
 */
export class ByteWriter {
  private buffer: Uint8Array;
  private length = 0;

  constructor(initialBytes = 64) {
    this.buffer = new Uint8Array(initialBytes);
  }

  /** Appends a non-negative safe integer as a varint. */
  uint(value: number): void {
    // The message is built only on failure: this runs for every number of every encoding.
    if (!(Number.isSafeInteger(value) && value >= 0)) assert(false, `varint out of range: ${value}`);
    this.reserve(varintBytesMax);
    const buffer = this.buffer;
    let rest = value;
    // Above 2^31 bit operators would truncate: divide instead.
    while (rest > 0x7fff_ffff) {
      buffer[this.length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    while (rest > 0x7f) {
      buffer[this.length++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    buffer[this.length++] = rest;
  }

  /** Appends one byte. */
  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  /** Appends a boolean as one byte, 0 or 1. */
  boolean(value: boolean): void {
    this.byte(value ? 1 : 0);
  }

  /** Appends a string as its UTF-8 byte length and bytes. */
  string(text: string): void {
    // Fast path: ids and keys are short ASCII, and TextEncoder costs more than the copy.
    if (text.length < 0x80) {
      this.reserve(1 + text.length);
      const start = this.length;
      this.buffer[this.length++] = text.length;
      for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code >= 0x80) {
          this.length = start;
          this.bytes(encoder.encode(text));
          return;
        }
        this.buffer[this.length++] = code;
      }
      return;
    }
    this.bytes(encoder.encode(text));
  }

  /** Appends a byte field: its length, then the bytes. */
  bytes(data: Uint8Array): void {
    this.uint(data.byteLength);
    this.reserve(data.byteLength);
    this.buffer.set(data, this.length);
    this.length += data.byteLength;
  }

  /** Returns the written bytes; the caller owns them. */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  /** The written bytes as a view of the buffer: valid until the next reset or write. */
  view(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  /** Forgets what was written; the buffer is kept for the next encoding. */
  reset(): void {
    this.length = 0;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.byteLength) return;
    let capacity = this.buffer.byteLength * 2;
    while (capacity < this.length + bytes) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}

/** Reads fields written by {@link ByteWriter}; throws {@link CodecError} on malformed input. */
export class ByteReader {
  private offset = 0;
  private readonly data: Uint8Array;

  constructor(data: Uint8Array) {
    // A plain Uint8Array view, so that the views handed out are plain Uint8Arrays, not Buffers.
    this.data =
      Object.getPrototypeOf(data) === Uint8Array.prototype
        ? data
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }

  /** Reads a minimal varint (one value, one encoding). */
  uint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < varintBytesMax; i++) {
      if (this.offset >= this.data.byteLength) throw new CodecError("varint runs past the end");
      const byte = this.data[this.offset++]!;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (byte === 0 && i > 0) throw new CodecError("overlong varint");
        if (!Number.isSafeInteger(value)) throw new CodecError("varint above 2^53");
        return value;
      }
      scale *= 0x80;
    }
    throw new CodecError("varint longer than 8 bytes");
  }

  /** Reads a varint and checks it against an upper bound (counts of entries, tags). */
  uintAtMost(maximum: number, what: string): number {
    const value = this.uint();
    if (value > maximum) throw new CodecError(`${what} is ${value}, above ${maximum}`);
    return value;
  }

  /** Reads one byte. */
  byte(): number {
    if (this.offset >= this.data.byteLength) throw new CodecError("byte runs past the end");
    return this.data[this.offset++]!;
  }

  /** Reads a boolean: one byte, 0 or 1. */
  boolean(): boolean {
    const value = this.byte();
    if (value > 1) throw new CodecError(`boolean byte ${value}`);
    return value === 1;
  }

  /** Reads a string field. */
  string(): string {
    return textDecode(this.lengthPrefixedView());
  }

  /** Reads a byte field; the result is a copy. */
  bytes(): Uint8Array {
    return this.lengthPrefixedView().slice();
  }

  /**
   * Reads a string field through `cache` in place: a string the cache holds costs no view and no
   * decoding (see {@link RecentStrings}).
   */
  cachedString(cache: RecentStrings): string {
    const length = this.uintAtMost(FIELD_BYTES_MAX, "field length");
    if (length > this.remaining) throw new CodecError("field runs past the end");
    const start = this.offset;
    this.offset += length;
    return cache.lookup(this.data, start, length);
  }

  /** Reads a byte field as a view of the input (no copy): keep it only while the input lives. */
  lengthPrefixedView(): Uint8Array {
    return this.view(this.uintAtMost(FIELD_BYTES_MAX, "field length"));
  }

  /** The next `length` bytes as a view of the input. */
  view(length: number): Uint8Array {
    if (length > this.remaining) throw new CodecError("field runs past the end");
    const start = this.offset;
    this.offset += length;
    return this.data.subarray(start, start + length);
  }

  /** Throws unless every byte was consumed (trailing garbage means a different encoding). */
  expectDone(): void {
    if (this.offset !== this.data.byteLength) throw new CodecError("trailing bytes after the value");
  }

  /** Bytes left to read; decoders use it to bound entry counts before allocating. */
  get remaining(): number {
    return this.data.byteLength - this.offset;
  }
}

/** Strings up to this many bytes are made by hand when ASCII (see {@link textDecode}). */
const ASCII_FAST_BYTES_MAX = 64;

/**
 * Decodes a string field's bytes: short ASCII (ids, names, keys) in one String.fromCharCode call,
 * which gives a flat string a Map hashes at once (one built a character at a time is a chain of
 * concatenations the Map must flatten first); anything else through the strict UTF-8 decoder.
 */
export function textDecode(bytes: Uint8Array): string {
  if (bytes.byteLength <= ASCII_FAST_BYTES_MAX) {
    let ascii = true;
    for (let i = 0; i < bytes.byteLength; i++) if (bytes[i]! >= 0x80) ascii = false;
    if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  return utf8Decode(bytes);
}

/**
 * Short strings a decoder read, kept with their bytes in a fixed table of slots (a peer cannot grow
 * it): a string's slot is picked by a hash of its bytes, and a new string takes the slot's place.
 * Ids repeat from message to message: hashing and comparing a few bytes costs less than building
 * the string again, and one instance per id lets a Map lookup reuse its cached hash and `===`
 * compare a pointer. Hashed slots, not a round-robin of the last few: a client leases one session
 * per request in flight, so 64 ids interleave in every batch of commands.
 */
export class RecentStrings {
  /** Slot i's bytes live at [i * bytesMax, i * bytesMax + lengths[i]). */
  private readonly arena: Uint8Array;
  /** Each slot's byte length, -1 while empty. */
  private readonly lengths: Int32Array;
  private readonly texts: string[];

  /** Keeps `count` (a power of two) strings of at most `bytesMax` bytes each. */
  constructor(
    private readonly count: number,
    private readonly bytesMax: number,
  ) {
    assert(count >= 1 && (count & (count - 1)) === 0, "RecentStrings keeps a power of two of strings");
    assert(bytesMax >= 1, "RecentStrings keeps strings of at least one byte");
    this.arena = new Uint8Array(count * bytesMax);
    this.lengths = new Int32Array(count).fill(-1);
    this.texts = new Array<string>(count).fill("");
  }

  /** Reads a string field through the cache. */
  read(reader: ByteReader): string {
    return reader.cachedString(this);
  }

  /** The string of `data[start, start + length)`, from its slot when the slot holds those bytes. */
  lookup(data: Uint8Array, start: number, length: number): string {
    if (length > this.bytesMax) return textDecode(data.subarray(start, start + length));
    const hash = fnv1a32Range(data, start, start + length);
    const slot = (hash ^ (hash >>> 16)) & (this.count - 1);
    const at = slot * this.bytesMax;
    const arena = this.arena;
    if (this.lengths[slot] === length) {
      let j = 0;
      while (j < length && arena[at + j] === data[start + j]) j++;
      if (j === length) return this.texts[slot]!;
    }
    const bytes = data.subarray(start, start + length);
    const text = textDecode(bytes);
    arena.set(bytes, at);
    this.lengths[slot] = length;
    this.texts[slot] = text;
    return text;
  }
}

/** Decodes strict UTF-8; throws {@link CodecError} on anything else. */
export function utf8Decode(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new CodecError("string is not valid UTF-8");
  }
}
