// Full-state exchange (memberlist's push-pull): what a member sends, cut to a byte limit, and how a
// received record turns into an ordinary update so that the precedence rules apply unchanged.

import type { NodeId } from "../../types.js";
import { isActiveState } from "./member_state.js";
import {
  type MemberRecord,
  MemberState,
  memberRecordSizeBytes,
  messageBaseSizeBytes,
  type Update,
} from "./messages.js";

/**
 * Returns `self` followed by `others`, alive and suspect members first (if the state must be cut,
 * the dead are the least useful), within `bytesMax` by the size estimate.
 */
export function stateRecords(
  self: MemberRecord,
  others: readonly MemberRecord[],
  bytesMax: number,
): MemberRecord[] {
  const records: MemberRecord[] = [self];
  let bytes = messageBaseSizeBytes({ kind: "gossip", source: self.member, piggyback: [] });
  bytes += memberRecordSizeBytes(self);
  const ordered = [...others].sort((a, b) => Number(isActiveState(b.state)) - Number(isActiveState(a.state)));
  for (const record of ordered) {
    const size = memberRecordSizeBytes(record);
    if (bytes + size > bytesMax) break;
    bytes += size;
    records.push(record);
  }
  return records;
}

/**
 * Turns a record received from `source` into an update. A remote death is taken as a suspicion:
 * the member gets its own chance to refute rather than importing a verdict (memberlist's
 * mergeState).
 */
export function updateFromRecord(record: MemberRecord, source: NodeId): Update {
  switch (record.state) {
    case MemberState.Alive:
      return {
        kind: "alive",
        member: record.member,
        address: record.address,
        incarnation: record.incarnation,
        metadata: record.metadata,
      };
    case MemberState.Suspect:
    case MemberState.Dead:
      return { kind: "suspect", member: record.member, incarnation: record.incarnation, from: source };
    case MemberState.Left:
      return { kind: "left", member: record.member, incarnation: record.incarnation };
  }
}
