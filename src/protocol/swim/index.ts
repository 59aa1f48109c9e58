// The public face of the SWIM membership core. Anything not exported here is private to it.

export { Awareness } from "./awareness.js";
export { BroadcastQueue } from "./broadcast_queue.js";
export {
  failureDetectionBoundTicks,
  pushPullIntervalScaledTicks,
  retransmitLimit,
  suspicionConfirmationsNeeded,
  suspicionMaxTicks,
  suspicionMinTicks,
  swimConfigCheck,
  swimConfigLan,
  swimConfigWithoutLifeguard,
  swimLanDefaultsMs,
  ticksFromMs,
} from "./config.js";
export { describeMembershipEvent, MembershipEventKind } from "./events.js";
export { isActiveState, updateVerdict } from "./member_state.js";
export {
  describeSwimMessage,
  identifierLengthMax,
  MemberState,
  memberRecordSizeBytes,
  messageBaseSizeBytes,
  piggybackCountMax,
  updateSizeBytes,
} from "./messages.js";
export { parseSwimMessage } from "./parse.js";
export { Suspicion, suspicionTimeoutTicks } from "./suspicion.js";
export { SwimMember } from "./swim_member.js";

export type { SwimConfig } from "./config.js";
export type { MembershipEvent } from "./events.js";
export type { KnownState, UpdateVerdict } from "./member_state.js";
export type {
  AckMessage,
  AliveUpdate,
  DeadUpdate,
  GossipMessage,
  LeftUpdate,
  MemberRecord,
  NackMessage,
  PingMessage,
  PingRequestMessage,
  PushPullMessage,
  SuspectUpdate,
  SwimMessage,
  SwimMessageLimits,
  Update,
} from "./messages.js";
export type { MemberView, Outbound, SwimCounters, SwimMemberOptions } from "./swim_member.js";
