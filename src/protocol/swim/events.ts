// What the membership layer tells the rest of the member (placement, the admin API): one event
// per change of another member's state, in the order the changes were applied.

import type { Address, NodeId } from "../../types.js";

/** The kinds of membership events. */
export const MembershipEventKind = {
  /** A member became known, or came back after being dead or gone. */
  Joined: "joined",
  /** An alive member changed its address or metadata. */
  Updated: "updated",
  /** A member is suspected of having failed. */
  Suspect: "suspect",
  /** A suspected member refuted the suspicion. */
  Alive: "alive",
  /** A member was declared failed. */
  Dead: "dead",
  /** A member left gracefully. */
  Left: "left",
} as const;

/** One of {@link MembershipEventKind}'s values. */
export type MembershipEventKind = (typeof MembershipEventKind)[keyof typeof MembershipEventKind];

/** One change in the membership as this member saw it. */
export interface MembershipEvent {
  readonly kind: MembershipEventKind;
  readonly member: NodeId;
  readonly address: Address;
  readonly incarnation: number;
  readonly metadata: Uint8Array;
  /** The local tick at which the change was applied. */
  readonly tick: number;
}

/** Returns a stable one-line text form of an event. */
export function describeMembershipEvent(event: MembershipEvent): string {
  return `${event.member} ${event.kind} incarnation=${event.incarnation} tick=${event.tick}`;
}
