// Validation of `client-request` payloads. A client passed the cluster handshake, but its payload is
// still input: every field is checked for type and against the limits (limits.ts) before anything
// reaches Raft or a machine. A bad request gets a typed error back; it never costs the member more.

import type { ClientRequest } from "../protocol/client/messages.js";
import type { Operation } from "../protocol/client/operations.js";
import type { Limits } from "../limits.js";

/** The outcome of {@link clientRequestCheck}. */
export type ClientRequestCheck =
  | { readonly kind: "ok"; readonly request: ClientRequest }
  | {
      readonly kind: "bad";
      readonly requestId: number;
      readonly code: "BAD_INPUT" | "LIMIT_EXCEEDED";
      readonly message: string;
    };

const encoder = new TextEncoder();

type Fields = Record<string, unknown>;

function isRecord(value: unknown): value is Fields {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

function isInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value);
}

const operationFields: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  map: { get: ["key"], put: ["key", "value"], delete: ["key"], cas: ["key", "expected?", "value?"] },
  "atomic-long": { get: [], add: ["delta#"], set: ["value#"], cas: ["expected#", "value#"] },
  lock: {
    acquire: ["owner", "ttlMs#"],
    renew: ["owner", "fence#", "ttlMs#"],
    release: ["owner", "fence#"],
    status: [],
  },
  counter: { add: ["delta#"], get: [] },
  set: { add: ["element"], remove: ["element"], values: [] },
};

/** Returns why `operation` is not a well-formed operation within `limits`, or null. */
function operationProblem(
  operation: Fields,
  limits: Limits,
): { code: "BAD_INPUT" | "LIMIT_EXCEEDED"; message: string } | null {
  const ops = operationFields[String(operation.structure)];
  const fields = ops?.[String(operation.op)];
  if (fields === undefined)
    return {
      code: "BAD_INPUT",
      message: `unknown operation ${String(operation.structure)}.${String(operation.op)}`,
    };
  if (typeof operation.name !== "string" || operation.name.length === 0)
    return { code: "BAD_INPUT", message: "name must be a non-empty string" };
  for (const spec of ["name", ...fields]) {
    const field = spec.replace(/[?#]$/, "");
    const value = operation[field];
    if (spec.endsWith("#")) {
      if (!isInteger(value)) return { code: "BAD_INPUT", message: `${field} must be a safe integer` };
    } else if (spec.endsWith("?")) {
      if (value !== null && !(value instanceof Uint8Array))
        return { code: "BAD_INPUT", message: `${field} must be bytes or null` };
      if (value instanceof Uint8Array && value.byteLength > limits.valueBytesMax)
        return {
          code: "LIMIT_EXCEEDED",
          message: `${field} of ${value.byteLength} bytes > valueBytesMax ${limits.valueBytesMax}`,
        };
    } else if (field === "value") {
      if (!(value instanceof Uint8Array)) return { code: "BAD_INPUT", message: "value must be bytes" };
      if (value.byteLength > limits.valueBytesMax)
        return {
          code: "LIMIT_EXCEEDED",
          message: `value of ${value.byteLength} bytes > valueBytesMax ${limits.valueBytesMax}`,
        };
    } else {
      if (typeof value !== "string") return { code: "BAD_INPUT", message: `${field} must be a string` };
      const bytes = encoder.encode(value).byteLength;
      if (bytes > limits.keyBytesMax)
        return {
          code: "LIMIT_EXCEEDED",
          message: `${field} of ${bytes} bytes > keyBytesMax ${limits.keyBytesMax}`,
        };
    }
  }
  return null;
}

/** Checks a decoded `client-request` payload; `requestId` is -1 when even that is missing. */
export function clientRequestCheck(payload: unknown, limits: Limits): ClientRequestCheck {
  if (!isRecord(payload)) return { kind: "bad", requestId: -1, code: "BAD_INPUT", message: "not an object" };
  const requestId = isInteger(payload.requestId) ? payload.requestId : -1;
  const bad = (code: "BAD_INPUT" | "LIMIT_EXCEEDED", message: string): ClientRequestCheck => ({
    kind: "bad",
    requestId,
    code,
    message,
  });
  if (requestId < 0) return bad("BAD_INPUT", "requestId must be a non-negative integer");
  if (payload.type === "routing") return { kind: "ok", request: { type: "routing", requestId } };
  if (payload.type !== "operation") return bad("BAD_INPUT", `unknown request type ${String(payload.type)}`);
  if (typeof payload.clientId !== "string" || payload.clientId.length === 0)
    return bad("BAD_INPUT", "clientId must be a non-empty string");
  if (encoder.encode(payload.clientId).byteLength > limits.keyBytesMax)
    return bad("LIMIT_EXCEEDED", "clientId longer than keyBytesMax");
  if (!isInteger(payload.sequence) || payload.sequence < 1)
    return bad("BAD_INPUT", "sequence must be an integer >= 1");
  if (!isInteger(payload.timeoutMs) || payload.timeoutMs < 1)
    return bad("BAD_INPUT", "timeoutMs must be a positive integer");
  if (!isRecord(payload.operation)) return bad("BAD_INPUT", "operation must be an object");
  const problem = operationProblem(payload.operation, limits);
  if (problem !== null) return bad(problem.code, problem.message);
  return {
    kind: "ok",
    request: {
      type: "operation",
      requestId,
      clientId: payload.clientId,
      sequence: payload.sequence,
      timeoutMs: payload.timeoutMs,
      operation: payload.operation as unknown as Operation,
    },
  };
}
