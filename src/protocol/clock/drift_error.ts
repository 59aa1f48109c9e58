// The public boundary of the clock: a refused observation becomes the typed ClockDriftError
// exactly once, where an asynchronous API hands the outcome to a caller.

import { ClockDriftError } from "../../errors.js";
import type { HlcObserveResult, HlcTimestamp } from "./hlc.js";

/** Returns the accepted timestamp, or throws {@link ClockDriftError} for a refused one. */
export function timestampOrThrow(result: HlcObserveResult): HlcTimestamp {
  switch (result.kind) {
    case "ok":
      return result.timestamp;
    case "drift":
      throw new ClockDriftError(result.driftMs, result.driftMsMax);
  }
}
