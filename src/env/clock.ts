/** Cancels a scheduled callback; calling it twice is harmless. */
export type Cancel = () => void;

/**
 * The only source of time. `nowMs()` is monotonic (it never goes back, though in the simulator it
 * may run fast or slow against other members' clocks); `wallMs()` is the member's wall clock, used
 * only as the physical part of hybrid logical clocks and never for safety.
 */
export interface Clock {
  /** Milliseconds on a monotonic clock with an arbitrary origin. */
  nowMs(): number;
  /** Milliseconds since the Unix epoch on this member's wall clock (may be skewed). */
  wallMs(): number;
  /** Calls `callback` after `delayMs`, once. Callbacks never run re-entrantly. */
  after(delayMs: number, callback: () => void): Cancel;
  /** Calls `callback` every `intervalMs` until cancelled. */
  every(intervalMs: number, callback: () => void): Cancel;
}
