// Validation of `client-request` payloads. A client passed the cluster handshake, but its payload is
// still input: every field is checked for type and against the limits (limits.ts) before anything
// reaches Raft or a machine. A bad request gets a typed error back; it never costs the member more.

import { isRecord } from "../protocol/wire/index.js";
import type { ClientRequest } from "../protocol/client/messages.js";
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

function isInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value);
}

/** How one operation field is checked: a string key, a safe integer, bytes, or bytes-or-null. */
export type FieldKind = "text" | "integer" | "bytes" | "bytes-or-null";

/** One field of an operation and how it is checked. */
export interface FieldSpec {
  readonly field: string;
  readonly kind: FieldKind;
}

const text = (field: string): FieldSpec => ({ field, kind: "text" });
const integer = (field: string): FieldSpec => ({ field, kind: "integer" });

/** The fields of each operation beyond `name` (always a text field), by structure and op. */
export const operationFields: Readonly<Record<string, Readonly<Record<string, readonly FieldSpec[]>>>> = {
  map: {
    get: [text("key")],
    put: [text("key"), { field: "value", kind: "bytes" }],
    delete: [text("key")],
    cas: [
      text("key"),
      { field: "expected", kind: "bytes-or-null" },
      { field: "value", kind: "bytes-or-null" },
    ],
  },
  "atomic-long": {
    get: [],
    add: [integer("delta")],
    set: [integer("value")],
    cas: [integer("expected"), integer("value")],
  },
  lock: {
    acquire: [text("owner"), integer("ttlMs")],
    renew: [text("owner"), integer("fence"), integer("ttlMs")],
    release: [text("owner"), integer("fence")],
    status: [],
  },
  counter: { add: [integer("delta")], get: [] },
  set: { add: [text("element")], remove: [text("element")], values: [] },
};

/** Why a field or request is refused: the error code and message the client gets. */
export type Problem = { code: "BAD_INPUT" | "LIMIT_EXCEEDED"; message: string };

/**
 * UTF-8 bytes of `value` when they exceed `bytesMax`, else null; the string is encoded only when
 * its length alone does not prove it short enough.
 */
export function utf8BytesOver(value: string, bytesMax: number): number | null {
  // A UTF-16 code unit takes at most 3 UTF-8 bytes.
  if (value.length * 3 <= bytesMax) return null;
  const bytes = encoder.encode(value).byteLength;
  return bytes > bytesMax ? bytes : null;
}

/** Returns why `value` is not a well-formed `spec` field within `limits`, or null. */
export function fieldProblem(spec: FieldSpec, value: unknown, limits: Limits): Problem | null {
  const { field } = spec;
  switch (spec.kind) {
    case "integer":
      return isInteger(value) ? null : { code: "BAD_INPUT", message: `${field} must be a safe integer` };
    case "text": {
      if (typeof value !== "string") return { code: "BAD_INPUT", message: `${field} must be a string` };
      const bytes = utf8BytesOver(value, limits.keyBytesMax);
      return bytes === null
        ? null
        : {
            code: "LIMIT_EXCEEDED",
            message: `${field} of ${bytes} bytes > keyBytesMax ${limits.keyBytesMax}`,
          };
    }
    case "bytes":
    case "bytes-or-null": {
      if (value === null && spec.kind === "bytes-or-null") return null;
      if (!(value instanceof Uint8Array))
        return {
          code: "BAD_INPUT",
          message: spec.kind === "bytes" ? `${field} must be bytes` : `${field} must be bytes or null`,
        };
      return value.byteLength <= limits.valueBytesMax
        ? null
        : {
            code: "LIMIT_EXCEEDED",
            message: `${field} of ${value.byteLength} bytes > valueBytesMax ${limits.valueBytesMax}`,
          };
    }
  }
}

/** Returns why `operation` is not a well-formed operation within `limits`, or null. */
function operationProblem(operation: Fields, limits: Limits): Problem | null {
  const structure = String(operation.structure);
  const op = String(operation.op);
  // Own properties only: "constructor" or "__proto__" must not reach Object.prototype.
  const ops = Object.hasOwn(operationFields, structure) ? operationFields[structure] : undefined;
  const fields = ops !== undefined && Object.hasOwn(ops, op) ? ops[op] : undefined;
  if (fields === undefined)
    return {
      code: "BAD_INPUT",
      message: `unknown operation ${String(operation.structure)}.${String(operation.op)}`,
    };
  if (typeof operation.name !== "string" || operation.name.length === 0)
    return { code: "BAD_INPUT", message: "name must be a non-empty string" };
  const nameProblem = fieldProblem(text("name"), operation.name, limits);
  if (nameProblem !== null) return nameProblem;
  for (const spec of fields) {
    const problem = fieldProblem(spec, operation[spec.field], limits);
    if (problem !== null) return problem;
  }
  return null;
}

function bad(requestId: number, code: "BAD_INPUT" | "LIMIT_EXCEEDED", message: string): ClientRequestCheck {
  return { kind: "bad", requestId, code, message };
}

/** Checks a decoded `client-request` payload; `requestId` is -1 when even that is missing. */
export function clientRequestCheck(payload: unknown, limits: Limits): ClientRequestCheck {
  if (!isRecord(payload)) return { kind: "bad", requestId: -1, code: "BAD_INPUT", message: "not an object" };
  const requestId = isInteger(payload.requestId) ? payload.requestId : -1;
  if (requestId < 0) return bad(requestId, "BAD_INPUT", "requestId must be a non-negative integer");
  if (payload.type === "routing") return { kind: "ok", request: { type: "routing", requestId } };
  if (payload.type !== "operation")
    return bad(requestId, "BAD_INPUT", `unknown request type ${String(payload.type)}`);
  if (typeof payload.clientId !== "string" || payload.clientId.length === 0)
    return bad(requestId, "BAD_INPUT", "clientId must be a non-empty string");
  if (utf8BytesOver(payload.clientId, limits.keyBytesMax) !== null)
    return bad(requestId, "LIMIT_EXCEEDED", "clientId longer than keyBytesMax");
  if (!isInteger(payload.sequence) || payload.sequence < 1)
    return bad(requestId, "BAD_INPUT", "sequence must be an integer >= 1");
  if (!isInteger(payload.timeoutMs) || payload.timeoutMs < 1)
    return bad(requestId, "BAD_INPUT", "timeoutMs must be a positive integer");
  if (!isRecord(payload.operation)) return bad(requestId, "BAD_INPUT", "operation must be an object");
  const problem = operationProblem(payload.operation, limits);
  if (problem !== null) return bad(requestId, problem.code, problem.message);
  // Every field the member reads was checked above: the decoded payload is the request (no copy).
  return { kind: "ok", request: payload as unknown as ClientRequest };
}

/** The outcome of {@link clientPayloadCheck}: one request's check, or one per request of a batch. */
export type ClientPayloadCheck =
  | { readonly kind: "single"; readonly check: ClientRequestCheck }
  | { readonly kind: "batch"; readonly checks: readonly ClientRequestCheck[] };

function requestIdOf(value: unknown): number {
  return isRecord(value) && isInteger(value.requestId) && value.requestId >= 0 ? value.requestId : -1;
}

/**
 * Checks a decoded `client-request` payload that may be a batch. Each request of a batch is checked
 * on its own, so one bad request costs only its own answer. A batch over `batchOperationsMax`
 * refuses every request in it with LIMIT_EXCEEDED; a nested batch is a bad request.
 */
export function clientPayloadCheck(payload: unknown, limits: Limits): ClientPayloadCheck {
  if (!isRecord(payload) || payload.type !== "batch")
    return { kind: "single", check: clientRequestCheck(payload, limits) };
  const requests = payload.requests;
  if (!Array.isArray(requests) || requests.length === 0) {
    const message = "a batch holds a non-empty array of requests";
    return { kind: "single", check: { kind: "bad", requestId: -1, code: "BAD_INPUT", message } };
  }
  if (requests.length > limits.batchOperationsMax) {
    const message = `batch of ${requests.length} requests > batchOperationsMax ${limits.batchOperationsMax}`;
    return {
      kind: "batch",
      checks: requests.map((request) => ({
        kind: "bad",
        requestId: requestIdOf(request),
        code: "LIMIT_EXCEEDED",
        message,
      })),
    };
  }
  const checks: ClientRequestCheck[] = [];
  for (const request of requests) {
    if (isRecord(request) && request.type === "batch") {
      const message = "a batch cannot hold a batch";
      checks.push({ kind: "bad", requestId: requestIdOf(request), code: "BAD_INPUT", message });
    } else checks.push(clientRequestCheck(request, limits));
  }
  return { kind: "batch", checks };
}
