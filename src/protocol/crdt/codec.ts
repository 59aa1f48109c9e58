// The canonical binary form of CRDT states. Equal states must give equal bytes, because the
// convergence checker compares replicas byte for byte: writers emit map entries in sorted key
// order and never depend on insertion order. Integers are unsigned LEB128 varints up to 2^53 - 1;
// strings are a byte length then UTF-8.

// The field codec itself is shared with the other binary formats (lib/byte_codec.ts).
export { ByteReader, ByteWriter, CodecError, FIELD_BYTES_MAX } from "../../lib/byte_codec.js";

/** Compares strings by UTF-16 code units: the one canonical order used by every encoder. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
