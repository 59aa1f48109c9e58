// The contract every CRDT type meets: an in-place join (the least upper bound of two states),
// a copy, a canonical encoding and a bottom test. Delta-mutators are per type; each returns the
// delta it applied, so that m(X) = X ⊔ mδ(X) holds by construction and is checked by the laws.

import type { ReplicaId } from "../../types.js";
import type { ByteWriter } from "./codec.js";
import type { CrdtMutants } from "./mutants.js";

/** The name and wire tag of every CRDT type. Tags are part of the encoding: never renumber. */
export const CrdtTag = {
  gcounter: 1,
  pncounter: 2,
  gset: 3,
  orset: 4,
  lwwregister: 5,
  mvregister: 6,
  flag: 7,
  ormap: 8,
  lwwmap: 9,
} as const;

/** One of the CRDT type names. */
export type CrdtTypeName = keyof typeof CrdtTag;

/** A state-based CRDT: a join-semilattice with a canonical encoding. */
export interface Crdt {
  readonly type: CrdtTypeName;
  /** Whether this is the bottom element (the empty state). */
  readonly isBottom: boolean;
  /**
   * Joins `other` (of the same type) into this state. `mutants` switches on deliberately broken
   * behaviour for mutation testing (TESTING.md M10); production passes nothing. Returns whether
   * this state changed (false when `other` was already included: other ⊑ this).
   */
  join(other: Crdt, mutants?: CrdtMutants): boolean;
  /** Returns an independent deep copy. */
  clone(): Crdt;
  /** Writes the canonical body (without the type tag): equal states write equal bytes. */
  encodeBody(writer: ByteWriter): void;
  /** A short stable text form for logs and test failures. */
  describe(): string;
}

/**
 * A CRDT whose state splits by the replica that wrote it (the counters): `projection(r)` is the
 * part of the state `r`'s own mutations made, so every delta `r` ever applied is ⊑ projection(r)
 * ⊑ the state. A replica can then send projection(self) for all its writes to a key since some
 * point instead of keeping each write's delta (Replicator.mutateProjected). Not for causal types:
 * a projection of a dot store is not a delta-group a peer may join out of causal order.
 */
export interface ProjectableCrdt extends Crdt {
  /** A fresh state holding only what `replica`'s mutations contributed to this one. */
  projection(replica: ReplicaId): Crdt;
}
