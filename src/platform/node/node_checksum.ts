// CRC-32 from node:zlib: the same IEEE polynomial as lib/bytes.ts's portable crc32, computed
// natively (measured here about sixty times faster on 1 KiB). The WAL takes it as an option, so
// files written with either can be read with the other.

import { crc32 as zlibCrc32 } from "node:zlib";
import type { Checksum } from "../../storage/segment.js";

/** CRC-32 (IEEE) of `bytes`, continuing from `previous`. */
export const nodeCrc32: Checksum = (bytes: Uint8Array, previous = 0): number => zlibCrc32(bytes, previous);
