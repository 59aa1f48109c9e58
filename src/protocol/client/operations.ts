// The operations a client asks of the cluster, as plain data (they travel in `client-request`
// frames and, for CP structures, inside Raft log entries). Each names its structure kind and
// instance; `consistencyOf` says whether it goes through Raft (CP) or a CRDT replica (AP). User
// values travel as bytes (the client encodes them), so state machines compare values as bytes and
// never depend on how a language represents them.

import { assertNever } from "../../lib/assert.js";

/** A CP map entry operation. Values are encoded bytes; `null` in a CAS means "absent". */
export type MapOperation =
  | { readonly structure: "map"; readonly op: "get"; readonly name: string; readonly key: string }
  | {
      readonly structure: "map";
      readonly op: "put";
      readonly name: string;
      readonly key: string;
      readonly value: Uint8Array;
    }
  | { readonly structure: "map"; readonly op: "delete"; readonly name: string; readonly key: string }
  | {
      readonly structure: "map";
      readonly op: "cas";
      readonly name: string;
      readonly key: string;
      readonly expected: Uint8Array | null;
      readonly value: Uint8Array | null;
    };

/** A CP atomic long operation. Values are safe integers. */
export type AtomicLongOperation =
  | { readonly structure: "atomic-long"; readonly op: "get"; readonly name: string }
  | { readonly structure: "atomic-long"; readonly op: "add"; readonly name: string; readonly delta: number }
  | { readonly structure: "atomic-long"; readonly op: "set"; readonly name: string; readonly value: number }
  | {
      readonly structure: "atomic-long";
      readonly op: "cas";
      readonly name: string;
      readonly expected: number;
      readonly value: number;
    };

/**
 * A CP fenced lock operation. `owner` is the client's session id plus a lease nonce; the fence is
 * assigned by the state machine (the log index of the granting entry), so it only grows. Lease
 * expiry is judged against the leader-assigned log time of each entry (hazard H11), never a
 * member's own clock.
 */
export type LockOperation =
  | {
      readonly structure: "lock";
      readonly op: "acquire";
      readonly name: string;
      readonly owner: string;
      readonly ttlMs: number;
    }
  | {
      readonly structure: "lock";
      readonly op: "renew";
      readonly name: string;
      readonly owner: string;
      readonly fence: number;
      readonly ttlMs: number;
    }
  | {
      readonly structure: "lock";
      readonly op: "release";
      readonly name: string;
      readonly owner: string;
      readonly fence: number;
    }
  | { readonly structure: "lock"; readonly op: "status"; readonly name: string };

/** An AP PN-counter operation. */
export type CounterOperation =
  | { readonly structure: "counter"; readonly op: "add"; readonly name: string; readonly delta: number }
  | { readonly structure: "counter"; readonly op: "get"; readonly name: string };

/** An AP add-wins OR-set operation. Elements are strings (the client encodes richer values). */
export type SetOperation =
  | { readonly structure: "set"; readonly op: "add"; readonly name: string; readonly element: string }
  | { readonly structure: "set"; readonly op: "remove"; readonly name: string; readonly element: string }
  | { readonly structure: "set"; readonly op: "values"; readonly name: string };

/** Every operation a client can ask. */
export type Operation = MapOperation | AtomicLongOperation | LockOperation | CounterOperation | SetOperation;

/** The structure kinds. */
export type StructureKind = Operation["structure"];

/** Which guarantee an operation's structure gives. */
export type Consistency = "cp" | "ap";

/** Returns the guarantee of `operation`'s structure. */
export function consistencyOf(operation: Operation): Consistency {
  switch (operation.structure) {
    case "map":
    case "atomic-long":
    case "lock":
      return "cp";
    case "counter":
    case "set":
      return "ap";
    default:
      return assertNever(operation);
  }
}

/** Whether `operation` only reads (served by ReadIndex on CP structures, never logged). */
export function isReadOnly(operation: Operation): boolean {
  return (
    (operation.structure === "map" && operation.op === "get") ||
    (operation.structure === "atomic-long" && operation.op === "get") ||
    (operation.structure === "lock" && operation.op === "status") ||
    (operation.structure === "counter" && operation.op === "get") ||
    (operation.structure === "set" && operation.op === "values")
  );
}

/**
 * The key that places `operation` on a partition: map entries by (name, key), so one map spreads
 * across partitions; every other structure by its name.
 */
export function placementKeyOf(operation: Operation): {
  readonly name: string;
  readonly entryKey: string | null;
} {
  if (operation.structure === "map") return { name: operation.name, entryKey: operation.key };
  return { name: operation.name, entryKey: null };
}
