// The precedence rules between alive, suspect, dead and left, as one pure function. Every update
// about another member goes through `updateVerdict`; updates about oneself are handled by the
// refutation path of the core instead.
//
// For a member known at incarnation i in state S, an update at incarnation j:
//
//   update \ S    alive        suspect           dead          left
//   alive(j)      apply j>i    apply j>i         apply j>i     apply j>i     (rejoin needs a higher incarnation)
//   suspect(j)    apply j>=i   apply j>i,        ignore        ignore
//                              confirm j=i
//   dead(j)       apply j>=i   apply j>=i        ignore        ignore
//   left(j)       apply j>=i   apply j>=i        apply j>=i    ignore        (a goodbye explains a failure)
//
// Anything with j < i is stale and ignored. An unknown member is added only by alive.

import { assertNever } from "../../lib/assert.js";
import { MemberState, type Update } from "./messages.js";

/** What to do with an update, given what is known about its member. */
export type UpdateVerdict = "apply" | "confirm" | "ignore";

/** What one member knows of another, as far as precedence is concerned. */
export interface KnownState {
  readonly state: MemberState;
  readonly incarnation: number;
}

/** Decides whether `update` changes `known` (null: member unknown). Pure; see the table above. */
export function updateVerdict(known: KnownState | null, update: Update): UpdateVerdict {
  if (known === null) return update.kind === "alive" ? "apply" : "ignore";
  const j = update.incarnation;
  const i = known.incarnation;
  if (j < i) return "ignore";
  switch (update.kind) {
    case "alive":
      return j > i ? "apply" : "ignore";
    case "suspect":
      if (known.state === MemberState.Alive) return "apply";
      if (known.state === MemberState.Suspect) return j > i ? "apply" : "confirm";
      return "ignore";
    case "dead":
      return known.state === MemberState.Alive || known.state === MemberState.Suspect ? "apply" : "ignore";
    case "left":
      return known.state === MemberState.Left ? "ignore" : "apply";
    default:
      return assertNever(update, "unknown update kind");
  }
}

/** Whether a member in `state` takes part in probing and gossip. */
export function isActiveState(state: MemberState): boolean {
  return state === MemberState.Alive || state === MemberState.Suspect;
}
