// The contract every CRDT type meets: an in-place join (the least upper bound of two states),
// a copy, a canonical encoding and a bottom test. Delta-mutators are per type; each returns the
// delta it applied, so that m(X) = X ⊔ mδ(X) holds by construction and is checked by the laws.

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
