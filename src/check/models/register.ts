// Register models: `register` (read, write), `cas-register` (plus compare-and-set) and `kv`
// (a string or scalar value per key: get, put and append as in Jepsen's kv histories, plus read,
// write and cas for Shoal's own map). All three hold one scalar per object; the checker's split by
// key makes `kv` a map. A key never written reads as nil (`read`) or as "" (`get`).

import { assertNever } from "../../lib/index.js";
import { hashScalar, isScalar, type Model, type Prepared, showScalar } from "../model.js";
import type { HistoryOperation } from "../operation.js";

type Scalar = string | number | boolean | null;

/** One register operation, as the model reads it. */
export type RegisterOperation =
  | { readonly f: "read"; readonly value: Scalar }
  | { readonly f: "get"; readonly value: string }
  | { readonly f: "write" | "put"; readonly value: Scalar }
  | { readonly f: "append"; readonly value: string }
  /** `swapped` is null when the outcome is unknown. */
  | { readonly f: "cas"; readonly from: Scalar; readonly to: Scalar; readonly swapped: boolean | null };

type RegisterF = RegisterOperation["f"];

/** The value a completion reports: its own, or the invoke's when it omitted one. */
export function completionValue(operation: HistoryOperation): unknown {
  return operation.output === undefined ? operation.input : operation.output;
}

function casArguments(input: unknown): [Scalar, Scalar] | null {
  if (Array.isArray(input) && input.length === 2 && isScalar(input[0]) && isScalar(input[1])) {
    return [input[0], input[1]];
  }
  if (typeof input === "object" && input !== null && "from" in input && "to" in input) {
    const { from, to } = input as { from: unknown; to: unknown };
    if (isScalar(from) && isScalar(to)) return [from, to];
  }
  return null;
}

function prepareRegister(
  operation: HistoryOperation,
  allowed: readonly RegisterF[],
): Prepared<RegisterOperation> {
  const f = operation.f as RegisterF;
  if (!allowed.includes(f)) return { kind: "bad", reason: `unknown operation :${operation.f}` };
  const known = operation.outcome === "ok";
  switch (f) {
    case "read":
    case "get": {
      if (!known) return { kind: "drop" }; // A read of unknown outcome constrains nothing.
      const value = completionValue(operation);
      if (f === "get" && typeof value !== "string")
        return { kind: "bad", reason: "get must return a string" };
      if (!isScalar(value))
        return { kind: "bad", reason: `read must return a scalar, got ${JSON.stringify(value)}` };
      return { kind: "keep", operation: { f, value } as RegisterOperation };
    }
    case "write":
    case "put":
    case "append": {
      const value = operation.input;
      if (f === "append" && typeof value !== "string")
        return { kind: "bad", reason: "append takes a string" };
      if (!isScalar(value))
        return { kind: "bad", reason: `${f} takes a scalar, got ${JSON.stringify(value)}` };
      return { kind: "keep", operation: { f, value } as RegisterOperation };
    }
    case "cas": {
      const args = casArguments(operation.input);
      if (args === null) return { kind: "bad", reason: "cas takes [from, to] or {from, to}" };
      const swapped = known ? operation.output !== false : null;
      return { kind: "keep", operation: { f, from: args[0], to: args[1], swapped } };
    }
    default:
      return assertNever(f);
  }
}

function stepRegister(state: Scalar, operation: RegisterOperation): readonly Scalar[] {
  switch (operation.f) {
    case "read":
      return state === operation.value ? [state] : [];
    case "get":
      return (state === null ? "" : state) === operation.value ? [state] : [];
    case "write":
    case "put":
      return [operation.value];
    case "append":
      return [(state === null ? "" : String(state)) + operation.value];
    case "cas":
      if (state === operation.from) return operation.swapped === false ? [] : [operation.to];
      return operation.swapped === true ? [] : [state];
    default:
      return assertNever(operation);
  }
}

function describeRegister(operation: RegisterOperation): string {
  switch (operation.f) {
    case "read":
    case "get":
      return `${operation.f} → ${showScalar(operation.value)}`;
    case "write":
    case "put":
    case "append":
      return `${operation.f} ${showScalar(operation.value)}`;
    case "cas": {
      const outcome = operation.swapped === null ? "?" : operation.swapped ? "ok" : "failed";
      return `cas ${showScalar(operation.from)}→${showScalar(operation.to)} ${outcome}`;
    }
    default:
      return assertNever(operation);
  }
}

function registerFamily(
  name: string,
  description: string,
  allowed: readonly RegisterF[],
): Model<Scalar, RegisterOperation> {
  return {
    name,
    description,
    prepare: (operation) => prepareRegister(operation, allowed),
    init: () => null,
    step: stepRegister,
    hash: hashScalar,
    equal: (a, b) => a === b,
    describeOperation: describeRegister,
    describeState: showScalar,
  };
}

/** A read/write register. */
export function registerModel(): Model<Scalar, RegisterOperation> {
  return registerFamily("register", "read/write register, initially nil", ["read", "write"]);
}

/** A compare-and-set register: a `cas` completed `ok` swapped unless its output is `false`. */
export function casRegisterModel(): Model<Scalar, RegisterOperation> {
  return registerFamily("cas-register", "read/write/cas register, initially nil", ["read", "write", "cas"]);
}

/** A map checked key by key: get/put/append (strings, missing reads "") and read/write/cas. */
export function kvModel(): Model<Scalar, RegisterOperation> {
  return registerFamily("kv", "map, one register per key: get/put/append, read/write/cas", [
    "read",
    "write",
    "cas",
    "get",
    "put",
    "append",
  ]);
}
