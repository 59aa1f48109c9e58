// The plain-data check: one walk over a payload that says whether msgpackr will carry it
// unchanged. The encoder runs it on what our own cores produce (a failure is a bug there); the
// decoder runs it on what msgpackr made of a peer's bytes (a failure is a bad frame: msgpackr
// turns extension types into Dates, typed arrays, bigints and the like, none of which a protocol
// message may hold).

import type { WireValue } from "./message.js";

/** The deepest nesting of arrays and objects a payload may have. Bounds the walk's recursion. */
export const payloadDepthMax = 32;

/** How strict the walk is about bytes: what we send may be a Buffer; what we decode is exact. */
export type PlainDataMode = "encode" | "decode";

/**
 * Returns null when `value` is plain data ({@link WireValue}) nested at most `payloadDepthMax`
 * deep, or else a one-line description of the first offending spot, with its path
 * (`payload.entries[2].data: bigint`).
 */
export function plainDataProblem(value: unknown, mode: PlainDataMode): string | null {
  const problem = problemAt(value, mode, 0);
  return problem === null ? null : `payload${problem}`;
}

/** Narrows `value` to a WireValue when {@link plainDataProblem} finds nothing. */
export function isPlainData(value: unknown, mode: PlainDataMode): value is WireValue {
  return problemAt(value, mode, 0) === null;
}

/**
 * Matches a UTF-16 surrogate that is not half of a pair. UTF-8 cannot carry one: msgpackr would
 * send replacement characters, and the string would arrive changed.
 */
const loneSurrogate = /\p{Cs}/u;

// Each helper returns null, or the problem as "<path below value>: <what>". The path is built only
// on the way back up from a failure, so the walk over a good payload allocates no strings.

function problemAt(value: unknown, mode: PlainDataMode, depth: number): string | null {
  switch (typeof value) {
    case "string":
      return loneSurrogate.test(value) ? ": string with a lone surrogate" : null;
    case "boolean":
      return null;
    case "number":
      return Number.isFinite(value) ? null : `: non-finite number ${value}`;
    case "object":
      if (value === null) return null;
      if (depth >= payloadDepthMax) return `: nested deeper than ${payloadDepthMax}`;
      if (Array.isArray(value)) return arrayProblem(value, mode, depth);
      if (value instanceof Uint8Array) return bytesProblem(value, mode);
      return objectProblem(value, mode, depth);
    default:
      return `: ${typeof value}`;
  }
}

function arrayProblem(value: readonly unknown[], mode: PlainDataMode, depth: number): string | null {
  if (Object.getPrototypeOf(value) !== Array.prototype) return ": array subclass";
  // An index loop, not for-of: a hole must be seen (msgpackr would send it as undefined).
  for (let i = 0; i < value.length; i++) {
    if (!(i in value)) return `[${i}]: hole`;
    const problem = problemAt(value[i], mode, depth + 1);
    if (problem !== null) return `[${i}]${problem}`;
  }
  return null;
}

function bytesProblem(value: Uint8Array, mode: PlainDataMode): string | null {
  // Decoded bytes must be a plain Uint8Array; a Buffer (a subclass) is fine to send.
  if (mode === "decode" && Object.getPrototypeOf(value) !== Uint8Array.prototype) {
    return `: ${value.constructor.name}`;
  }
  return null;
}

function objectProblem(value: object, mode: PlainDataMode, depth: number): string | null {
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return `: ${typeof name === "string" ? name : "object with a prototype"}`;
  }
  for (const key of Object.keys(value)) {
    // msgpackr renames a "__proto__" key on decode (a prototype-pollution guard): it cannot travel.
    if (key === "__proto__") return ".__proto__: reserved key";
    if (loneSurrogate.test(key)) return ": key with a lone surrogate";
    const problem = problemAt((value as Record<string, unknown>)[key], mode, depth + 1);
    if (problem !== null) return `.${key}${problem}`;
  }
  return null;
}

/** Whether a decoded value is a map (an object that is neither an array nor bytes). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

/** Whether a decoded value is a count: a non-negative safe integer. */
export function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
