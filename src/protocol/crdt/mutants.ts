// Deliberately broken behaviours that the test suites must catch (TESTING.md, mutation testing).
// They are switched on only by tests and by `shoal sim --workload crdt --param mutant=...`.

/** Mutant switches of the CRDT layer; every field false in production. */
export interface CrdtMutants {
  /** M10: counter joins add the two sides' entries instead of taking the maximum. */
  readonly mergeAddsCounters: boolean;
  /** M11: an ORSet remove also deletes dots it has not seen (the next dot of every known replica). */
  readonly removeUnseenDots: boolean;
}

/** No mutant: correct behaviour. */
export const MUTANTS_NONE: CrdtMutants = { mergeAddsCounters: false, removeUnseenDots: false };

/** Parses a mutant name ("m10", "m11", or "none") into switches; null for an unknown name. */
export function mutantsFromName(name: string): CrdtMutants | null {
  if (name === "none" || name === "") return MUTANTS_NONE;
  if (name === "m10") return { ...MUTANTS_NONE, mergeAddsCounters: true };
  if (name === "m11") return { ...MUTANTS_NONE, removeUnseenDots: true };
  return null;
}
