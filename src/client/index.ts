// The public face of the client: connect to a cluster or start an embedded member, and the
// structure handles both return.

export { clientTuning, ClientCore, errorOf } from "./client.js";
export {
  AtomicLong,
  Lease,
  ShoalCounter,
  ShoalLock,
  ShoalMap,
  ShoalSet,
  valueDecode,
  valueEncode,
} from "./handles.js";
export { connect, Shoal, startMember } from "./shoal.js";
export type { ConnectOptions, OperationOptions } from "./client.js";
export type { AcquireOptions, OperationRunner } from "./handles.js";
export type { EmbeddedShoal, StartMemberOptions } from "./shoal.js";
