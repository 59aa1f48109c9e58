// The contracts between the member runtime and the data structures it hosts. The runtime owns
// Raft, sessions (exactly-once), networking and persistence; a machine owns only the meaning of
// operations. Both kinds are pure and deterministic: the same inputs give the same state and the
// same results on every replica, which is what makes replicas comparable by `digest()`.

import type { ClientResult } from "../protocol/client/messages.js";
import type { Operation } from "../protocol/client/operations.js";
import type { LogIndex } from "../types.js";

/** Where in the log a command is applied, and the leader-assigned time it carries (H11). */
export interface ApplyContext {
  /** The log index of the entry; strictly increasing across calls. Fences derive from it. */
  readonly index: LogIndex;
  /** The leader's clock when it proposed the entry; never goes back across calls. */
  readonly logTimeMs: number;
}

/** The outcome of a CP operation: a result, or a refusal the client sees as BAD_INPUT. */
export type MachineResult =
  | { readonly kind: "ok"; readonly result: ClientResult }
  | { readonly kind: "refused"; readonly message: string };

/**
 * The replicated state machine of one CP partition (every CP structure placed on it). Write
 * operations arrive through `apply` in log order, exactly once each (the runtime's session table
 * filters retries). Read-only operations arrive through `read` after a ReadIndex confirmed that
 * the applied state is current.
 */
export interface CpMachine {
  /** Applies one committed write operation. Must be deterministic. */
  apply(operation: Operation, context: ApplyContext): MachineResult;
  /** Answers one read-only operation from the applied state, changing nothing. */
  read(operation: Operation, context: ApplyContext): MachineResult;
  /** Serialises the whole state (for Raft snapshots); equal states give equal bytes. */
  snapshot(): Uint8Array;
  /** Replaces the whole state with a snapshot's. */
  restore(snapshot: Uint8Array): void;
  /** A hash of the state, equal on replicas that applied the same entries. */
  digest(): number;
}

/** Creates the empty CP machine of a partition. */
export type CpMachineFactory = () => CpMachine;
