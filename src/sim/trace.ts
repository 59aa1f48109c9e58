// The run's trace: every event the simulator delivers is folded into a running hash, so two runs
// of one seed can be compared with one number (TESTING.md T12), and optionally written out line by
// line (`shoal sim --seed S --trace`) to find where two runs diverge.

import { fnv1a32, mix32, utf8 } from "../lib/hash.js";

/** A running hash of simulator events, with an optional line sink. */
export class Trace {
  private hash = 0x811c9dc5;
  private count = 0;

  constructor(private readonly sink: ((line: string) => void) | null = null) {}

  /** Folds one event, described at virtual time `timeMs`, into the hash. */
  record(timeMs: number, line: string): void {
    this.count += 1;
    this.hash = mix32(this.hash, fnv1a32(utf8(line), Math.floor(timeMs * 1000) >>> 0));
    if (this.sink !== null) this.sink(`${timeMs.toFixed(3)} ${line}`);
  }

  /** Number of recorded events. */
  get eventCount(): number {
    return this.count;
  }

  /** Whether lines are being written somewhere (callers may skip building costly lines if not). */
  get isVerbose(): boolean {
    return this.sink !== null;
  }

  /** The hash so far as 8 hex digits. */
  digest(): string {
    return mix32(this.hash, this.count).toString(16).padStart(8, "0");
  }
}
