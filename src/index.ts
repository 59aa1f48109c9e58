// Shoal's public API: `connect` to a cluster or `startMember` in this process; both return a
// `Shoal` with maps, atomic longs and fenced locks (CP, through Raft) and counters and sets (AP,
// delta CRDTs). Errors are ShoalError subclasses with stable `code`s.

export {
  AtomicLong,
  connect,
  Lease,
  Shoal,
  ShoalCounter,
  ShoalLock,
  ShoalMap,
  ShoalSet,
  startMember,
} from "./client/index.js";
export type {
  AcquireOptions,
  ConnectOptions,
  EmbeddedShoal,
  OperationOptions,
  StartMemberOptions,
} from "./client/index.js";
export {
  AbortedError,
  BadInputError,
  ClosedError,
  ErrorCode,
  LimitExceededError,
  NoLeaderError,
  NotLeaderError,
  OverloadedError,
  ShoalError,
  TimeoutError,
  UnauthorizedError,
} from "./errors.js";
