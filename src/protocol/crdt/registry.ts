// Encoding and decoding of any CRDT by its type tag, and the other type-generic operations the
// replication layer needs (bottom of a type, byte size, byte equality).

import { bytesEqual } from "../../lib/bytes.js";
import { ByteReader, ByteWriter, CodecError } from "./codec.js";
import { compareHlc, type HlcTimestamp } from "../clock/hlc.js";
import { CausalCrdt, Flag, LWWMap, MVRegister, ORMap, ORSet } from "./causal.js";
import { GCounter, PNCounter } from "./counters.js";
import { type Crdt, CrdtTag, type CrdtTypeName } from "./crdt.js";
import { type DotStore, decodeShape, encodeShape, type StoreShape } from "./dot_store.js";
import { GSet } from "./gset.js";
import { LWWRegister } from "./lww_register.js";

/** The outcome of decoding bytes from the network or disk. */
export type DecodeResult =
  | { readonly kind: "ok"; readonly value: Crdt }
  | { readonly kind: "malformed"; readonly reason: string };

/** Writes a CRDT as its type tag then its canonical body. */
export function encodeCrdtInto(writer: ByteWriter, value: Crdt): void {
  writer.uint(CrdtTag[value.type]);
  if (value instanceof ORMap) encodeShape(writer, value.valueShape);
  value.encodeBody(writer);
}

/** Encodes a CRDT canonically: equal states give equal bytes. */
export function encodeCrdt(value: Crdt): Uint8Array {
  const writer = new ByteWriter();
  encodeCrdtInto(writer, value);
  return writer.finish();
}

/** Reads one CRDT from `reader`; throws {@link CodecError} on malformed input. */
export function decodeCrdtFrom(reader: ByteReader): Crdt {
  const tag = reader.uint();
  switch (tag) {
    case CrdtTag.gcounter:
      return GCounter.decodeBody(reader);
    case CrdtTag.pncounter:
      return PNCounter.decodeBody(reader);
    case CrdtTag.gset:
      return GSet.decodeBody(reader);
    case CrdtTag.orset:
      return ORSet.decodeBody(reader);
    case CrdtTag.lwwregister:
      return LWWRegister.decodeBody(reader);
    case CrdtTag.mvregister:
      return MVRegister.decodeBody(reader);
    case CrdtTag.flag:
      return Flag.decodeBody(reader);
    case CrdtTag.ormap:
      return ORMap.decodeBody(reader, decodeShape(reader));
    case CrdtTag.lwwmap:
      return LWWMap.decodeBody(reader);
    default:
      throw new CodecError(`unknown CRDT tag ${tag}`);
  }
}

/** Decodes bytes written by {@link encodeCrdt}; malformed input is an outcome, not a crash. */
export function decodeCrdt(bytes: Uint8Array): DecodeResult {
  try {
    const reader = new ByteReader(bytes);
    const value = decodeCrdtFrom(reader);
    reader.expectDone();
    return { kind: "ok", value };
  } catch (error) {
    if (error instanceof CodecError) return { kind: "malformed", reason: error.message };
    throw error;
  }
}

/** Returns the bottom state of a type (an ORMap needs its value shape). */
export function bottomOf(type: Exclude<CrdtTypeName, "ormap">): Crdt;
export function bottomOf(type: "ormap", valueShape: StoreShape): Crdt;
export function bottomOf(type: CrdtTypeName, valueShape: StoreShape = "set"): Crdt {
  switch (type) {
    case "gcounter":
      return new GCounter();
    case "pncounter":
      return new PNCounter();
    case "gset":
      return new GSet();
    case "orset":
      return new ORSet();
    case "lwwregister":
      return new LWWRegister();
    case "mvregister":
      return new MVRegister();
    case "flag":
      return new Flag();
    case "ormap":
      return new ORMap(valueShape);
    case "lwwmap":
      return new LWWMap();
  }
}

/** The size of a state's canonical encoding, in bytes: values and metadata together. */
export function sizeBytes(value: Crdt): number {
  return encodeCrdt(value).byteLength;
}

/** Whether two states are equal, byte for byte (values and metadata). */
export function crdtEquals(a: Crdt, b: Crdt): boolean {
  return bytesEqual(encodeCrdt(a), encodeCrdt(b));
}

/**
 * The largest hybrid-logical-clock stamp a state carries (LWW and MV writes), or null if none.
 * Runs for every state received: types without stamps (counters, sets) return at once, and no
 * closure is made per call.
 */
export function latestStampOf(value: Crdt): HlcTimestamp | null {
  if (value instanceof LWWRegister) return value.latest === null ? null : value.latest.timestamp;
  if (value instanceof CausalCrdt) return latestStampIn(value.dotStore, null);
  return null;
}

function latestStampIn(store: DotStore, latest: HlcTimestamp | null): HlcTimestamp | null {
  if (store.kind === "fun") {
    for (const entry of store.entries)
      if (latest === null || compareHlc(entry.value, latest) > 0) latest = entry.value;
  } else if (store.kind === "map") {
    for (const nested of store.entries.values()) latest = latestStampIn(nested, latest);
  }
  return latest;
}
