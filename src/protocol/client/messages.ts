// The client protocol: what a client and a member say to each other inside `client-request` and
// `client-response` frames (protocol/wire carries them). A request names its session (client id and
// sequence number) so a retried write is applied once (H10): a client retries a timed-out request
// with the SAME sequence number, and the member's session table answers the retry from memory.
//
// Pipelining: a client may put every request it issues in one turn of its event loop into one
// frame, a {@link ClientRequestBatch}, and a member answers the requests of batches in
// {@link ClientResponseBatch} frames, several answers per frame. A batch changes nothing per
// request: each keeps its own requestId, session and sequence, and gets its own answer, result or
// error (answers may come in any order and across several frames). A batch holds at most
// `batchOperationsMax` requests (limits.ts) and fits in one frame. A member answers a single
// request with a single response, so a client that never batches never sees a batch.

import type { ErrorCode } from "../../errors.js";
import type { Operation } from "./operations.js";

/** A request from a client. */
export type ClientRequest =
  | {
      readonly type: "operation";
      /** Matches the response to the request on this connection. */
      readonly requestId: number;
      /** The client's session id, unique per client instance. */
      readonly clientId: string;
      /** The session's sequence number of this request; starts at 1, +1 per new request. */
      readonly sequence: number;
      /** How long the member may work on it before answering TIMEOUT. */
      readonly timeoutMs: number;
      readonly operation: Operation;
    }
  | {
      /** Asks for the cluster's routing table: members, their client addresses, partition leaders. */
      readonly type: "routing";
      readonly requestId: number;
    };

/** Requests sent together in one `client-request` frame; each is answered on its own. */
export interface ClientRequestBatch {
  readonly type: "batch";
  /** One or more requests (a batch is never nested), at most `batchOperationsMax` of them. */
  readonly requests: readonly ClientRequest[];
}

/** What a `client-request` frame carries: one request or a batch. */
export type ClientRequestPayload = ClientRequest | ClientRequestBatch;

/** One member as a client sees it. */
export interface RoutingMember {
  readonly nodeId: string;
  /** Where clients reach it, `host:port`. */
  readonly clientAddress: string;
}

/** The routing table: enough for a client to send each operation to the right member first. */
export interface RoutingTable {
  readonly partitionCount: number;
  readonly members: readonly RoutingMember[];
  /** Per partition, the node id of its Raft leader as this member knows it, or null. */
  readonly leaders: readonly (string | null)[];
  /** Per partition, its replicas' node ids. */
  readonly replicas: readonly (readonly string[])[];
  /** Increases whenever the table changes. */
  readonly version: number;
}

/** A member's answer. */
export type ClientResponse =
  | { readonly type: "result"; readonly requestId: number; readonly result: ClientResult }
  | { readonly type: "routing"; readonly requestId: number; readonly table: RoutingTable }
  | {
      readonly type: "error";
      readonly requestId: number;
      readonly code: ErrorCode;
      readonly message: string;
      /** With NOT_LEADER: the client address of the member believed to lead, if known. */
      readonly leaderAddress?: string;
    };

/** Answers to requests that came in batches, sent together in one `client-response` frame. */
export interface ClientResponseBatch {
  readonly type: "batch";
  readonly responses: readonly ClientResponse[];
}

/** What a `client-response` frame carries: one answer or a batch of answers. */
export type ClientResponsePayload = ClientResponse | ClientResponseBatch;

/**
 * The result of an operation, by structure and op:
 * - map get: the value bytes or null; put: null; delete: whether it existed; cas: whether it swapped.
 * - atomic-long get/add/set: the value after; cas: whether it swapped.
 * - lock acquire: `{ acquired: true, fence, expiresAtMs }` or `{ acquired: false, holderFence }`;
 *   renew/release: whether the caller still held it; status: `{ held, fence }`.
 * - counter get/add: the value (after the add, at the contacted replica).
 * - set add/remove: null; values: the sorted elements.
 */
export type ClientResult =
  | null
  | boolean
  | number
  | Uint8Array
  | readonly string[]
  | { readonly acquired: true; readonly fence: number; readonly expiresAtMs: number }
  | { readonly acquired: false; readonly holderFence: number }
  | { readonly held: boolean; readonly fence: number };
