// The public face of the wire codec: the versioned envelope, the list of message kinds, and the
// codec that turns one message into one frame body and back without ever throwing on bad input.

export {
  describeBadFrame,
  describeEnvelope,
  groupIdMax,
  headerBytesWithGroup,
  headerBytesWithoutGroup,
  lengthPrefixBytes,
  peekEnvelope,
  WireCodec,
  wireEncodeVerifySet,
} from "./codec.js";
export {
  binaryPayloadMagic,
  messageKindCode,
  messageKindGroupRules,
  messageKindOfCode,
  messageKindPayloadForms,
  messageKinds,
  wireVersion,
} from "./message.js";
export { isCount, isPlainData, isRecord, payloadDepthMax, plainDataProblem } from "./plain_data.js";
export type { BadFrameReason, DecodeResult, EncodeResult, HeaderResult, WireCodecConfig } from "./codec.js";
export type {
  GroupRule,
  MessageKind,
  PayloadForm,
  WireMessage,
  WireObject,
  WireValue,
  WireVersion,
} from "./message.js";
export type { PlainDataMode } from "./plain_data.js";
