// The contract every sequential specification implements for the linearizability checker. A
// model is single-object: the checker splits a history by `key` and checks each object on its own
// (P-compositionality), so a map is "one register per key" and several locks are several objects.

import { hashString, mix32 } from "../lib/index.js";
import type { HistoryOperation } from "./operation.js";

/** What a model makes of one history operation before the search. */
export type Prepared<Operation> =
  | { readonly kind: "keep"; readonly operation: Operation }
  /** The operation cannot constrain anything (e.g. a read of unknown outcome). */
  | { readonly kind: "drop" }
  /** The operation is malformed for this model; `reason` is shown with the operation's line. */
  | { readonly kind: "bad"; readonly reason: string };

/**
 * A sequential specification. `step` returns every state the object may be in after `operation`
 * runs atomically in `state` with the recorded outcome; an empty array means the operation is
 * illegal there. Several states model nondeterminism (the checker then tracks a set of states, as
 * Porcupine does). States must be immutable: `step` returns new ones.
 */
export interface Model<State, Operation> {
  readonly name: string;
  readonly description: string;
  /** Converts a history operation whose outcome is `ok` or `unknown` (`fail` ones never come here). */
  prepare(operation: HistoryOperation): Prepared<Operation>;
  init(): State;
  step(state: State, operation: Operation): readonly State[];
  /** A 32-bit hash consistent with `equal`. */
  hash(state: State): number;
  equal(a: State, b: State): boolean;
  describeOperation(operation: Operation): string;
  describeState(state: State): string;
}

/** A model of any state and operation type, as the registry and the CLI hold them. */
// biome-ignore lint/suspicious/noExplicitAny: the registry erases each model's own types.
export type AnyModel = Model<any, any>;

/** Whether `value` is a scalar a register can hold and a hash can cover. */
export function isScalar(value: unknown): value is string | number | boolean | null {
  return value === null || typeof value === "string" || typeof value === "boolean" || Number.isFinite(value);
}

/** Renders a scalar for messages: strings quoted, null as `nil`. */
export function showScalar(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

/** Hashes a scalar so that equal scalars (by `===`) hash equal. */
export function hashScalar(value: string | number | boolean | null): number {
  if (value === null) return 0x6e756c6c;
  if (typeof value === "string") return hashString(value, 0x51);
  if (typeof value === "boolean") return value ? 0x7472 : 0x6661;
  const high = Math.floor(value / 0x1_0000_0000);
  return mix32(mix32(value >>> 0, high >>> 0), value % 1 === 0 ? 0x494e54 : hashString(String(value)));
}
