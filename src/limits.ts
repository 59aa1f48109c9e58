// Every size has a named limit (DESIGN.md, "Bad input and limits"). Crossing one gives the caller
// a LimitExceededError naming the limit; it never crashes a member.

/** The limits a member and its clients enforce, with units last in each name. */
export interface Limits {
  /** Largest frame accepted on any connection, header included. */
  readonly frameBytesMax: number;
  /** Largest key (structure name or map key), UTF-8 bytes. */
  readonly keyBytesMax: number;
  /** Largest encoded value. */
  readonly valueBytesMax: number;
  /** Most operations in one client batch. */
  readonly batchOperationsMax: number;
  /** Most requests a client may have pending on one member. */
  readonly pendingRequestsMax: number;
  /** Most frames queued towards one peer. */
  readonly sendQueueFramesMax: number;
  /** Most bytes queued towards one peer. */
  readonly sendQueueBytesMax: number;
}

/** Returns the default limits. */
export function limitsDefault(): Limits {
  return {
    frameBytesMax: 16 * 1024 * 1024,
    keyBytesMax: 1024,
    valueBytesMax: 1024 * 1024,
    batchOperationsMax: 1024,
    pendingRequestsMax: 10_000,
    sendQueueFramesMax: 16_384,
    sendQueueBytesMax: 64 * 1024 * 1024,
  };
}
