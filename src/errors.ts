// The public error family. Pure cores return outcomes as values; the async boundary (client,
// member, CLI) converts them to these typed errors exactly once. Callers match on `code`, which is
// stable across versions, never on message text.

/** Every stable error code Shoal reports. */
export const ErrorCode = {
  NotLeader: "NOT_LEADER",
  NoLeader: "NO_LEADER",
  Overloaded: "OVERLOADED",
  Timeout: "TIMEOUT",
  Aborted: "ABORTED",
  Closed: "CLOSED",
  LimitExceeded: "LIMIT_EXCEEDED",
  BadInput: "BAD_INPUT",
  BadFrame: "BAD_FRAME",
  Unauthorized: "UNAUTHORIZED",
  ClockDrift: "CLOCK_DRIFT",
  Unavailable: "UNAVAILABLE",
  Corrupt: "CORRUPT",
  Internal: "INTERNAL",
} as const;

/** One of {@link ErrorCode}'s values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The base of every error Shoal throws on purpose. */
export class ShoalError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The contacted member is not the leader; `leaderHint` names the one it believes leads. */
export class NotLeaderError extends ShoalError {
  constructor(
    readonly leaderHint: string | null,
    options?: ErrorOptions,
  ) {
    super(ErrorCode.NotLeader, `not the leader (leader hint: ${leaderHint ?? "unknown"})`, options);
  }
}

/** No leader is known: the group is electing one, or this member is on a minority side. */
export class NoLeaderError extends ShoalError {
  constructor(message = "no leader is known; retry later", options?: ErrorOptions) {
    super(ErrorCode.NoLeader, message, options);
  }
}

/** A queue or budget is full; retry with backoff. */
export class OverloadedError extends ShoalError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Overloaded, message, options);
  }
}

/** The operation did not complete in time. Its outcome is unknown: it may still take effect. */
export class TimeoutError extends ShoalError {
  constructor(
    readonly timeoutMs: number,
    options?: ErrorOptions,
  ) {
    super(ErrorCode.Timeout, `timed out after ${timeoutMs} ms; the outcome is unknown`, options);
  }
}

/** The caller's AbortSignal fired. Like a timeout, the outcome is unknown. */
export class AbortedError extends ShoalError {
  constructor(options?: ErrorOptions) {
    super(ErrorCode.Aborted, "aborted by the caller; the outcome is unknown", options);
  }
}

/** The client or member was closed. */
export class ClosedError extends ShoalError {
  constructor(what = "connection", options?: ErrorOptions) {
    super(ErrorCode.Closed, `${what} is closed`, options);
  }
}

/** A size or count limit was crossed; `limit` names it (see limits.ts). */
export class LimitExceededError extends ShoalError {
  constructor(
    readonly limit: string,
    readonly actual: number,
    readonly maximum: number,
    options?: ErrorOptions,
  ) {
    super(ErrorCode.LimitExceeded, `${limit} is ${actual}, above the maximum of ${maximum}`, options);
  }
}

/** The input is malformed; the message says where. */
export class BadInputError extends ShoalError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.BadInput, message, options);
  }
}

/** A frame on the wire was malformed; the connection that sent it is closed. */
export class BadFrameError extends ShoalError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.BadFrame, message, options);
  }
}

/** The peer did not prove the cluster's shared secret. */
export class UnauthorizedError extends ShoalError {
  constructor(message = "handshake failed: wrong cluster or secret", options?: ErrorOptions) {
    super(ErrorCode.Unauthorized, message, options);
  }
}

/** A timestamp was further in the future than the configured maximum clock drift. */
export class ClockDriftError extends ShoalError {
  constructor(
    readonly driftMs: number,
    readonly driftMsMax: number,
    options?: ErrorOptions,
  ) {
    super(
      ErrorCode.ClockDrift,
      `clock drift of ${driftMs} ms exceeds the maximum of ${driftMsMax} ms`,
      options,
    );
  }
}

/** Stored data failed its checksum or structure check. */
export class CorruptError extends ShoalError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Corrupt, message, options);
  }
}
