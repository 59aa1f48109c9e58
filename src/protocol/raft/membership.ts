// Membership changes, one server at a time (thesis §4.1, §4.2.1): learners join first, catch up, and
// are promoted; at most one change may be uncommitted; removed ids are remembered and never reused
// (etcd README). Also the quorum arithmetic the core uses for votes, commitment and reads.

import { assert } from "../../lib/assert.js";
import type { LogIndex, NodeId } from "../../types.js";
import type { ConfChange, ConfigState } from "./types.js";

/** Most ids a configuration remembers as retired; ids beyond it are refused rather than forgotten. */
export const retiredIdsMax = 1024;

/** Returns why `change` cannot apply to `config`, or null when it can. */
export function confChangeRefusal(config: ConfigState, change: ConfChange): string | null {
  const node = change.node;
  const isVoter = config.voters.includes(node);
  const isLearner = config.learners.includes(node);
  switch (change.type) {
    case "add-learner":
      if (config.retired.includes(node)) return `${node} was removed before; ids are never reused`;
      if (isVoter || isLearner) return `${node} is already a member`;
      return null;
    case "promote":
      return isLearner ? null : `${node} is not a learner`;
    case "remove":
      if (!isVoter && !isLearner) return `${node} is not a member`;
      if (isVoter && config.voters.length === 1) return "cannot remove the last voter";
      if (config.retired.length >= retiredIdsMax) return "too many retired ids";
      return null;
  }
}

/** Applies a change that {@link confChangeRefusal} accepted; returns the new configuration. */
export function confChangeApply(config: ConfigState, change: ConfChange): ConfigState {
  assert(confChangeRefusal(config, change) === null, `invalid change ${change.type} ${change.node}`);
  const node = change.node;
  const without = (list: readonly NodeId[]) => list.filter((id) => id !== node);
  switch (change.type) {
    case "add-learner":
      return { voters: config.voters, learners: [...config.learners, node].sort(), retired: config.retired };
    case "promote":
      return {
        voters: [...config.voters, node].sort(),
        learners: without(config.learners),
        retired: config.retired,
      };
    case "remove":
      return {
        voters: without(config.voters),
        learners: without(config.learners),
        retired: [...config.retired, node].sort(),
      };
  }
}

/** The size of a majority of `voterCount` voters. */
export function quorumSize(voterCount: number): number {
  assert(voterCount > 0, "no voters");
  return Math.floor(voterCount / 2) + 1;
}

/** The largest index stored on a majority of voters, given each voter's match index. */
export function quorumMatchIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): LogIndex {
  // Insertion into descending order: voter sets are small (3 to 7), and a leader asks on every
  // append response, where a sort with a comparator callback cost more than the rest of the step.
  const matches: number[] = [];
  for (const voter of voters) {
    const match = matchOf(voter);
    let i = matches.length;
    matches.push(match);
    while (i > 0 && matches[i - 1]! < match) {
      matches[i] = matches[i - 1]!;
      i--;
    }
    matches[i] = match;
  }
  return matches[quorumSize(voters.length) - 1]! as LogIndex;
}

/** The result of counting votes: won, lost, or still pending. */
export type VoteTally = "won" | "lost" | "pending";

/** Counts granted and rejected votes among the voters. */
export function tallyVotes(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteTally {
  let granted = 0;
  let rejected = 0;
  for (const voter of voters) {
    const vote = votes.get(voter);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  const quorum = quorumSize(voters.length);
  if (granted >= quorum) return "won";
  if (rejected > voters.length - quorum) return "lost";
  return "pending";
}

/** Describes a configuration in one line, for logs and golden files. */
export function describeConfig(config: ConfigState): string {
  const learners = config.learners.length > 0 ? ` learners=[${config.learners.join(",")}]` : "";
  const retired = config.retired.length > 0 ? ` retired=[${config.retired.join(",")}]` : "";
  return `voters=[${config.voters.join(",")}]${learners}${retired}`;
}
