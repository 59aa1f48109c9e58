// Goal: the leader's commit rule reads the right index: quorumMatchIndex is the largest index that
// a majority of the voters has stored, whatever the voter count, order and ties. Method: fast-check
// against the definition (sort descending, take the majority-th), and by counting: a majority holds
// the answer, and no larger index is held by a majority.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { quorumMatchIndex, quorumSize } from "../../src/protocol/raft/membership.js";
import type { NodeId } from "../../src/types.js";

describe("quorumMatchIndex", () => {
  it("is the largest index a majority of the voters has stored", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 20 }), { minLength: 1, maxLength: 9 }), (matches) => {
        const voters = matches.map((_, i) => `n${i}` as NodeId);
        const byId = new Map(voters.map((id, i) => [id, matches[i]!]));
        const index = quorumMatchIndex(voters, (id) => byId.get(id)!);
        const quorum = quorumSize(voters.length);
        expect(index).toBe([...matches].sort((a, b) => b - a)[quorum - 1]);
        expect(matches.filter((m) => m >= index).length).toBeGreaterThanOrEqual(quorum);
        expect(matches.filter((m) => m > index).length).toBeLessThan(quorum);
      }),
      { numRuns: 2000 },
    );
  });
});
