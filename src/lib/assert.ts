// Assertions that stay on in production (TigerBeetle style): a failed assertion is a programmer
// error, never an expected outcome, and it stops the member before it can corrupt state.

/** Thrown by {@link assert}; carries no recovery semantics, only the broken invariant. */
export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

/** Throws an {@link AssertionError} unless `condition` holds. */
export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Marks a branch the type checker proves unreachable; reaching it at run time is a bug. */
export function assertNever(value: never, message = "unexpected value"): never {
  throw new AssertionError(`${message}: ${JSON.stringify(value)}`);
}

/** Asserts that `value` is a safe non-negative integer and returns it. */
export function assertCount(value: number, name = "count"): number {
  assert(Number.isSafeInteger(value), `${name} must be a safe integer, got ${value}`);
  assert(value >= 0, `${name} must be non-negative, got ${value}`);
  return value;
}
