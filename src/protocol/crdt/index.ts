// The public face of the CRDT layer.

export { Flag, LWWMap, MVRegister, ORMap, ORSet, CausalCrdt, causalView } from "./causal.js";
export { CausalContext, compareDots } from "./causal_context.js";
export { ByteReader, ByteWriter, CodecError } from "./codec.js";
export { GCounter, PNCounter } from "./counters.js";
export { CrdtTag } from "./crdt.js";
export { DotFun, DotMap, DotSet } from "./dot_store.js";
export { GSet } from "./gset.js";
export { compareWrites, LWWRegister } from "./lww_register.js";
export { MUTANTS_NONE, mutantsFromName } from "./mutants.js";
export {
  bottomOf,
  crdtEquals,
  decodeCrdt,
  decodeCrdtFrom,
  encodeCrdt,
  encodeCrdtInto,
  sizeBytes,
} from "./registry.js";
export type { CausalValue } from "./causal.js";
export type { Dot } from "./causal_context.js";
export type { Crdt, CrdtTypeName, ProjectableCrdt } from "./crdt.js";
export type { DotStore, Stamped, StoreShape } from "./dot_store.js";
export type { LwwWrite } from "./lww_register.js";
export type { CrdtMutants } from "./mutants.js";
export type { DecodeResult } from "./registry.js";
