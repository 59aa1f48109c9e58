// The public face of the client protocol: operations and the request/response messages that
// carry them between clients and members.

export { consistencyOf, isReadOnly, placementKeyOf } from "./operations.js";
export { PartitionMemo, partitionMemoEntriesMax } from "./partition_memo.js";
export type {
  AtomicLongOperation,
  Consistency,
  CounterOperation,
  LockOperation,
  MapOperation,
  Operation,
  SetOperation,
  StructureKind,
} from "./operations.js";
export type {
  ClientRequest,
  ClientRequestBatch,
  ClientRequestPayload,
  ClientResponse,
  ClientResponseBatch,
  ClientResponsePayload,
  ClientResult,
  RoutingMember,
  RoutingTable,
} from "./messages.js";
