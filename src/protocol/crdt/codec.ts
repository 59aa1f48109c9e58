// The canonical binary form of CRDT states. Equal states must give equal bytes, because the
// convergence checker compares replicas byte for byte: writers emit map entries in sorted key
// order and never depend on insertion order. Integers are unsigned LEB128 varints up to 2^53 - 1;
// strings are a byte length then UTF-8.

import { assert } from "../../lib/assert.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** The most bytes one decoded string or byte field may claim, to refuse hostile lengths early. */
export const FIELD_BYTES_MAX = 16 * 1024 * 1024;

/** Raised by {@link ByteReader} on malformed input; decode entry points turn it into an outcome. */
export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CodecError";
  }
}

/** Appends canonical fields to a growing buffer. */
export class ByteWriter {
  private buffer = new Uint8Array(64);
  private length = 0;

  /** Appends a non-negative safe integer as a varint. */
  uint(value: number): void {
    // The message is built only on failure: this runs for every number of every encoding.
    if (!(Number.isSafeInteger(value) && value >= 0)) assert(false, `varint out of range: ${value}`);
    this.reserve(8);
    while (value >= 0x80) {
      this.buffer[this.length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buffer[this.length++] = value;
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

  constructor(private readonly data: Uint8Array) {}

  /** Reads a varint. */
  uint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.offset >= this.data.byteLength) throw new CodecError("varint runs past the end");
      const byte = this.data[this.offset++]!;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
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

  /** Reads a string field. */
  string(): string {
    const first = this.data[this.offset];
    if (first !== undefined && first < 0x20 && this.offset + 1 + first <= this.data.byteLength) {
      // Fast path for short ASCII; anything else goes through the strict UTF-8 decoder.
      let text = "";
      let ascii = true;
      for (let i = 0; i < first; i++) {
        const code = this.data[this.offset + 1 + i]!;
        if (code >= 0x80) {
          ascii = false;
          break;
        }
        text += String.fromCharCode(code);
      }
      if (ascii) {
        this.offset += 1 + first;
        return text;
      }
    }
    const raw = this.bytes();
    try {
      return decoder.decode(raw);
    } catch {
      throw new CodecError("string is not valid UTF-8");
    }
  }

  /** Reads a byte field; the result is a copy. */
  bytes(): Uint8Array {
    const length = this.uintAtMost(FIELD_BYTES_MAX, "field length");
    if (this.offset + length > this.data.byteLength) throw new CodecError("field runs past the end");
    const out = this.data.slice(this.offset, this.offset + length);
    this.offset += length;
    return out;
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

/** Compares strings by UTF-16 code units: the one canonical order used by every encoder. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
