// The public face of the hybrid logical clock.

export { timestampOrThrow } from "./drift_error.js";
export { compareHlc, describeHlc, Hlc, HLC_ZERO, hlcConfigDefault } from "./hlc.js";
export type { HlcConfig, HlcObserveResult, HlcTimestamp } from "./hlc.js";
