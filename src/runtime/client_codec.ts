// The binary form of `client-request` and `client-response` payloads. Every client operation
// crosses the wire twice; as MessagePack each request is a map of named fields that the member
// unpacks, walks to check it is plain data, then walks again to check its shape. Requests and
// answers are a closed set of shapes, so a hand-written layout carries them instead: no field
// names, no plain-data walk, one pass that reads and checks each field. User values are already
// bytes (operations.ts); only the rare result shapes with no fast case (lock results) and the
// routing table travel as MessagePack inside.
//
// Layout (every number a varint: unsigned LEB128, minimal, at most 2^53 - 1; an "int" a zigzag
// varint, a signed integer in [-2^52, 2^52 - 1]; a string a varint byte length then UTF-8; bytes a
// varint length then the bytes):
//
//   u8      0xc1 (binaryPayloadMagic): a byte MessagePack never uses, so a receiver tells this form
//           from a MessagePack payload of an older client or member by the first byte
//   u8      layout version (1)
//   u8      form: 1 a single request (answer), 2 a batch; a batch then has a varint count >= 1
//   then each request:
//     varint  requestId
//     u8      1 routing (nothing follows); 2 operation; 3 operation with the clientId of the
//             previous operation in this payload (a client batches its own requests: one id)
//     operation: [string clientId, for 2], varint sequence, varint timeoutMs, u8 operation code
//             (operationCodes position + 1), string name, then the operation's fields in
//             client_request.ts operationFields order: text a string, integer an int, bytes
//             bytes, bytes-or-null a u8 (0 null, 1 bytes follow) then bytes
//   or each response:
//     u8      type, with bit 7 set when the answer has no request id (-1: the request had none)
//     varint  requestId, when bit 7 is clear
//     then by type (bits 0-6): 1 result null, 2 false, 3 true; 4 an int; 5 bytes; 6 a varint count of
//             strings; 7 varint length + MessagePack of any other result; 8 routing, varint
//             length + MessagePack of the table; 9 error: string code, string message; 10 the
//             same, then string leaderAddress
//
// Decoders never throw on a peer's bytes. A request payload that is not well formed (truncated,
// trailing bytes, an unknown code, bad UTF-8) is one bad request without an id, as a payload that
// is not an object is; a well-formed request is checked against the limits exactly as
// clientRequestCheck checks a MessagePack one, with the same codes and messages. A response
// payload that is not well formed decodes as null; an error code this version does not know is
// read as INTERNAL with the code in its message, so a newer member's answer still settles. A
// request the encoder cannot carry (a field of the wrong type, an unknown operation, an integer out
// of range) makes it return null: the caller sends MessagePack, and the member answers it with the
// error it always gave.

import { Packr } from "msgpackr";
import { ErrorCode } from "../errors.js";
import { assert } from "../lib/assert.js";
import { ByteReader, ByteWriter, CodecError } from "../lib/byte_codec.js";
import type { Limits } from "../limits.js";
import type {
  ClientRequest,
  ClientRequestPayload,
  ClientResponse,
  ClientResponsePayload,
  ClientResult,
  RoutingTable,
} from "../protocol/client/messages.js";
import { consistencyOf, type Operation } from "../protocol/client/operations.js";
import { binaryPayloadMagic, isCount, isPlainData, isRecord } from "../protocol/wire/index.js";
import {
  type ClientPayloadCheck,
  type ClientRequestCheck,
  clientPayloadCheck,
  type FieldSpec,
  fieldProblem,
  operationFields,
  type Problem,
  utf8BytesOver,
} from "./client_request.js";

/** The layout version, the payload's second byte. */
export const clientCodecLayout = 1;

/** Payload forms: one request or answer, or a batch of them. */
const formSingle = 1;
const formBatch = 2;

/** Request kinds. */
const requestRouting = 1;
const requestOperation = 2;
const requestOperationSameClient = 3;

/** Response types. */
const resultNull = 1;
const resultFalse = 2;
const resultTrue = 3;
const resultInteger = 4;
const resultBytes = 5;
const resultStrings = 6;
const resultPacked = 7;
const responseRouting = 8;
const responseError = 9;
const responseErrorWithLeader = 10;
/** The type byte's flag of an answer without a request id. */
const noRequestId = 0x80;

/** The largest magnitude an int field carries (zigzag keeps it within a safe varint). */
const intMax = 2 ** 52 - 1;
const intMin = -(2 ** 52);

/** The encoders' buffers start this large and double as a payload needs. */
const encodeBufferBytesInitial = 16 * 1024;

/** Operation codes: position + 1. Part of the format: append only, never reorder. */
export const operationCodes = [
  ["map", "get"],
  ["map", "put"],
  ["map", "delete"],
  ["map", "cas"],
  ["atomic-long", "get"],
  ["atomic-long", "add"],
  ["atomic-long", "set"],
  ["atomic-long", "cas"],
  ["lock", "acquire"],
  ["lock", "renew"],
  ["lock", "release"],
  ["lock", "status"],
  ["counter", "add"],
  ["counter", "get"],
  ["set", "add"],
  ["set", "remove"],
  ["set", "values"],
] as const satisfies readonly (readonly [Operation["structure"], string])[];

interface OperationSpec {
  readonly code: number;
  readonly structure: Operation["structure"];
  readonly op: string;
  readonly fields: readonly FieldSpec[];
}

/** Each operation's code and fields, by code (index 0 unused). */
const specsByCode: readonly (OperationSpec | undefined)[] = [
  undefined,
  ...operationCodes.map(([structure, op], i): OperationSpec => {
    const fields = operationFields[structure]?.[op];
    assert(fields !== undefined, `no fields for ${structure}.${op}`);
    // Byte fields are read as views of the frame (fieldRead): a CP operation's bytes only go into
    // the command its leader encodes (a copy) while the request is pending. An AP structure keeps
    // what it is given in its state, which must not pin a frame and the socket read it came in.
    assert(
      consistencyOf({ structure } as Operation) === "cp" ||
        fields.every((f) => f.kind !== "bytes" && f.kind !== "bytes-or-null"),
      `${structure}.${op}: an AP operation with byte fields must have them copied on decode`,
    );
    return { code: i + 1, structure, op, fields };
  }),
];

const nameField: FieldSpec = { field: "name", kind: "text" };

/** Each operation's spec by structure, then op (own properties only). */
const specsByName = new Map<string, Map<string, OperationSpec>>();
for (const spec of specsByCode) {
  if (spec === undefined) continue;
  let ops = specsByName.get(spec.structure);
  if (ops === undefined) {
    ops = new Map();
    specsByName.set(spec.structure, ops);
  }
  ops.set(spec.op, spec);
}

const errorCodes: ReadonlySet<string> = new Set(Object.values(ErrorCode));

const packr = new Packr({ useRecords: false, mapsAsObjects: true, copyBuffers: true });

function isInt(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= intMin && value <= intMax;
}

function isUint(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function intWrite(writer: ByteWriter, value: number): void {
  writer.uint(value >= 0 ? value * 2 : -value * 2 - 1);
}

function intRead(reader: ByteReader): number {
  const zigzag = reader.uint();
  return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
}

// ------------------------------------------------------------------------------------------------
// Requests.

/**
 * Encodes `client-request` payloads into one growing buffer, reused from call to call: one per
 * client. The returned view is valid until the next call; the wire codec copies it into the frame.
 */
export class ClientRequestEncoder {
  private readonly writer = new ByteWriter(encodeBufferBytesInitial);
  private previousClientId: string | null = null;

  /** Encodes `payload`, or returns null when a request has a field this layout cannot carry. */
  encode(payload: ClientRequestPayload): Uint8Array | null {
    const w = this.writer;
    w.reset();
    this.previousClientId = null;
    w.byte(binaryPayloadMagic);
    w.byte(clientCodecLayout);
    if (payload.type !== "batch") {
      w.byte(formSingle);
      return this.request(payload) ? w.view() : null;
    }
    const requests: readonly unknown[] = payload.requests;
    if (!Array.isArray(requests) || requests.length === 0) return null;
    w.byte(formBatch);
    w.uint(requests.length);
    for (const request of requests) if (!this.request(request as ClientRequest)) return null;
    return w.view();
  }

  private request(request: ClientRequest): boolean {
    const w = this.writer;
    if (!isUint(request.requestId)) return false;
    w.uint(request.requestId);
    if (request.type === "routing") {
      w.byte(requestRouting);
      return true;
    }
    if (request.type !== "operation") return false;
    const { clientId, sequence, timeoutMs, operation } = request;
    if (typeof clientId !== "string" || !isUint(sequence) || !isUint(timeoutMs)) return false;
    if (clientId === this.previousClientId) w.byte(requestOperationSameClient);
    else {
      w.byte(requestOperation);
      w.string(clientId);
      this.previousClientId = clientId;
    }
    w.uint(sequence);
    w.uint(timeoutMs);
    return this.operation(operation);
  }

  private operation(operation: Operation): boolean {
    if (!isRecord(operation)) return false;
    const spec = specsByName.get(operation.structure)?.get(operation.op);
    if (spec === undefined || typeof operation.name !== "string") return false;
    const w = this.writer;
    w.byte(spec.code);
    w.string(operation.name);
    const fields = operation as unknown as Readonly<Record<string, unknown>>;
    for (const field of spec.fields) if (!fieldWrite(w, field, fields[field.field])) return false;
    return true;
  }
}

/** Writes one operation field; false when `value` is not of the field's kind. */
function fieldWrite(w: ByteWriter, spec: FieldSpec, value: unknown): boolean {
  switch (spec.kind) {
    case "text":
      if (typeof value !== "string") return false;
      w.string(value);
      return true;
    case "integer":
      if (!isInt(value)) return false;
      intWrite(w, value);
      return true;
    case "bytes":
      if (!(value instanceof Uint8Array)) return false;
      w.bytes(value);
      return true;
    case "bytes-or-null":
      if (value === null) {
        w.byte(0);
        return true;
      }
      if (!(value instanceof Uint8Array)) return false;
      w.byte(1);
      w.bytes(value);
      return true;
  }
}

/**
 * Decodes and checks a `client-request` payload as the wire codec hands it over: the binary form
 * (a Uint8Array starting with binaryPayloadMagic) or a decoded MessagePack value of an older
 * client (checked by {@link clientPayloadCheck}). Never throws.
 */
export function clientPayloadDecode(payload: unknown, limits: Limits): ClientPayloadCheck {
  // Bytes without the magic byte came as a MessagePack value: not a request, as before.
  if (!(payload instanceof Uint8Array && payload[0] === binaryPayloadMagic))
    return clientPayloadCheck(payload, limits);
  try {
    return requestsRead(new ByteReader(payload), limits);
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
    return malformed(error.message);
  }
}

function malformed(why: string): ClientPayloadCheck {
  const message = `malformed request payload: ${why}`;
  return { kind: "single", check: { kind: "bad", requestId: -1, code: "BAD_INPUT", message } };
}

/** A request as read, before its limits are checked; a clientId of "" is checked as such. */
type RequestRead = ClientRequest;

function requestsRead(reader: ByteReader, limits: Limits): ClientPayloadCheck {
  reader.byte(); // The magic byte, checked by the caller.
  const layout = reader.byte();
  if (layout !== clientCodecLayout) return malformed(`layout ${layout}`);
  const form = reader.byte();
  const clientIds: { previous: string | null } = { previous: null };
  if (form === formSingle) {
    const request = requestRead(reader, clientIds);
    reader.expectDone();
    return { kind: "single", check: requestCheck(request, limits) };
  }
  if (form !== formBatch) return malformed(`form ${form}`);
  const count = reader.uint();
  // Every request takes at least two bytes: a bound on the count before anything is allocated.
  if (count === 0 || count * 2 > reader.remaining) return malformed(`batch of ${count} requests`);
  const requests: RequestRead[] = [];
  for (let i = 0; i < count; i++) requests.push(requestRead(reader, clientIds));
  reader.expectDone();
  if (count > limits.batchOperationsMax) {
    const message = `batch of ${count} requests > batchOperationsMax ${limits.batchOperationsMax}`;
    const checks = requests.map(
      (request): ClientRequestCheck => ({
        kind: "bad",
        requestId: request.requestId,
        code: "LIMIT_EXCEEDED",
        message,
      }),
    );
    return { kind: "batch", checks };
  }
  return { kind: "batch", checks: requests.map((request) => requestCheck(request, limits)) };
}

function requestRead(reader: ByteReader, clientIds: { previous: string | null }): RequestRead {
  const requestId = reader.uint();
  const kind = reader.byte();
  if (kind === requestRouting) return { type: "routing", requestId };
  let clientId: string;
  if (kind === requestOperation) {
    clientId = reader.string();
    clientIds.previous = clientId;
  } else if (kind === requestOperationSameClient && clientIds.previous !== null) {
    clientId = clientIds.previous;
  } else throw new CodecError(`request kind ${kind}`);
  const sequence = reader.uint();
  const timeoutMs = reader.uint();
  const operation = operationRead(reader);
  return { type: "operation", requestId, clientId, sequence, timeoutMs, operation };
}

function operationRead(reader: ByteReader): Operation {
  const code = reader.byte();
  const spec = specsByCode[code];
  if (spec === undefined) throw new CodecError(`operation code ${code}`);
  const operation: Record<string, unknown> = {
    structure: spec.structure,
    op: spec.op,
    name: reader.string(),
  };
  for (const field of spec.fields) operation[field.field] = fieldRead(reader, field);
  return operation as unknown as Operation;
}

function fieldRead(reader: ByteReader, spec: FieldSpec): string | number | Uint8Array | null {
  switch (spec.kind) {
    case "text":
      return reader.string();
    case "integer":
      return intRead(reader);
    case "bytes":
      return reader.lengthPrefixedView();
    case "bytes-or-null":
      return reader.boolean() ? reader.lengthPrefixedView() : null;
  }
}

/**
 * Checks a request read from the binary form against `limits`, in clientRequestCheck's order and
 * with its codes and messages. The layout fixes every field's type; what is left are the ranges.
 */
function requestCheck(request: RequestRead, limits: Limits): ClientRequestCheck {
  if (request.type === "routing") return { kind: "ok", request };
  const problem = operationRequestProblem(request, limits);
  return problem === null
    ? { kind: "ok", request }
    : { kind: "bad", requestId: request.requestId, code: problem.code, message: problem.message };
}

function operationRequestProblem(
  request: Extract<RequestRead, { type: "operation" }>,
  limits: Limits,
): Problem | null {
  if (request.clientId.length === 0)
    return { code: "BAD_INPUT", message: "clientId must be a non-empty string" };
  if (utf8BytesOver(request.clientId, limits.keyBytesMax) !== null)
    return { code: "LIMIT_EXCEEDED", message: "clientId longer than keyBytesMax" };
  if (request.sequence < 1) return { code: "BAD_INPUT", message: "sequence must be an integer >= 1" };
  if (request.timeoutMs < 1) return { code: "BAD_INPUT", message: "timeoutMs must be a positive integer" };
  const operation = request.operation;
  if (operation.name.length === 0) return { code: "BAD_INPUT", message: "name must be a non-empty string" };
  const nameProblem = fieldProblem(nameField, operation.name, limits);
  if (nameProblem !== null) return nameProblem;
  const fields = specsByName.get(operation.structure)?.get(operation.op)?.fields ?? [];
  const values = operation as unknown as Readonly<Record<string, unknown>>;
  for (const field of fields) {
    const problem = fieldProblem(field, values[field.field], limits);
    if (problem !== null) return problem;
  }
  return null;
}

// ------------------------------------------------------------------------------------------------
// Responses.

/**
 * Encodes `client-response` payloads into one growing buffer, reused from call to call: one per
 * member. The returned view is valid until the next call; the wire codec copies it into the frame.
 */
export class ClientResponseEncoder {
  private readonly writer = new ByteWriter(encodeBufferBytesInitial);

  /**
   * Encodes `payload`. Every answer has a layout; a requestId below -1 or an unknown response type
   * is a bug in this member and fails an assertion.
   */
  encode(payload: ClientResponsePayload): Uint8Array {
    const w = this.writer;
    w.reset();
    w.byte(binaryPayloadMagic);
    w.byte(clientCodecLayout);
    if (payload.type !== "batch") {
      w.byte(formSingle);
      this.response(payload);
      return w.view();
    }
    assert(payload.responses.length > 0, "an empty batch of responses");
    w.byte(formBatch);
    w.uint(payload.responses.length);
    for (const response of payload.responses) this.response(response);
    return w.view();
  }

  private response(response: ClientResponse): void {
    const w = this.writer;
    const requestId = response.requestId;
    if (!(Number.isSafeInteger(requestId) && requestId >= -1)) assert(false, `bad requestId ${requestId}`);
    switch (response.type) {
      case "result":
        this.result(requestId, response.result);
        return;
      case "routing":
        this.head(responseRouting, requestId);
        w.bytes(packr.pack(response.table));
        return;
      case "error":
        this.head(response.leaderAddress === undefined ? responseError : responseErrorWithLeader, requestId);
        w.string(response.code);
        w.string(response.message);
        if (response.leaderAddress !== undefined) w.string(response.leaderAddress);
        return;
      default:
        assert(false, `unknown response type ${(response as { type: unknown }).type}`);
    }
  }

  /** The type byte, then the request id unless it is -1 (flagged in the type byte instead). */
  private head(type: number, requestId: number): void {
    if (requestId < 0) this.writer.byte(type | noRequestId);
    else {
      this.writer.byte(type);
      this.writer.uint(requestId);
    }
  }

  private result(requestId: number, result: ClientResult): void {
    const w = this.writer;
    if (result === null) this.head(resultNull, requestId);
    else if (result === false) this.head(resultFalse, requestId);
    else if (result === true) this.head(resultTrue, requestId);
    else if (isInt(result)) {
      this.head(resultInteger, requestId);
      intWrite(w, result);
    } else if (result instanceof Uint8Array) {
      this.head(resultBytes, requestId);
      w.bytes(result);
    } else if (Array.isArray(result) && result.every((element) => typeof element === "string")) {
      this.head(resultStrings, requestId);
      w.uint(result.length);
      for (const element of result) w.string(element);
    } else {
      this.head(resultPacked, requestId);
      w.bytes(packr.pack(result));
    }
  }
}

/**
 * Decodes a `client-response` payload as the wire codec hands it over: the binary form, or a
 * decoded MessagePack value of an older member (passed through when it is an object; its answers
 * are matched by requestId, as before). Returns null when the payload is not well formed. Never
 * throws.
 */
export function clientResponsesDecode(payload: unknown): ClientResponsePayload | null {
  if (!(payload instanceof Uint8Array))
    return isRecord(payload) ? (payload as unknown as ClientResponsePayload) : null;
  try {
    return responsesRead(new ByteReader(payload));
  } catch (error) {
    if (error instanceof CodecError) return null; // Truncated or malformed: the member's fault.
    throw error;
  }
}

function responsesRead(reader: ByteReader): ClientResponsePayload | null {
  if (reader.byte() !== binaryPayloadMagic || reader.byte() !== clientCodecLayout) return null;
  const form = reader.byte();
  if (form === formSingle) {
    const response = responseRead(reader);
    reader.expectDone();
    return response;
  }
  if (form !== formBatch) return null;
  const count = reader.uint();
  // Every response takes at least one byte: a bound on the count before anything is allocated.
  if (count === 0 || count > reader.remaining) return null;
  const responses: ClientResponse[] = [];
  for (let i = 0; i < count; i++) {
    const response = responseRead(reader);
    if (response === null) return null;
    responses.push(response);
  }
  reader.expectDone();
  return { type: "batch", responses };
}

function responseRead(reader: ByteReader): ClientResponse | null {
  const head = reader.byte();
  const type = head & ~noRequestId;
  const requestId = (head & noRequestId) !== 0 ? -1 : reader.uint();
  if (type === responseRouting) {
    const table = packedRead(reader);
    return routingTableValid(table) ? { type: "routing", requestId, table } : null;
  }
  if (type === responseError || type === responseErrorWithLeader) {
    const code = reader.string();
    const text = reader.string();
    // A code this version does not know (a newer member's) is still an answer: INTERNAL, named.
    const known = errorCodes.has(code);
    const errorCode = known ? (code as ErrorCode) : ErrorCode.Internal;
    const message = known ? text : `${code}: ${text}`;
    if (type === responseError) return { type: "error", requestId, code: errorCode, message };
    return { type: "error", requestId, code: errorCode, message, leaderAddress: reader.string() };
  }
  const result = resultRead(reader, type);
  return result === undefined ? null : { type: "result", requestId, result };
}

/** A result of `type`, or undefined when the type is unknown or the value malformed. */
function resultRead(reader: ByteReader, type: number): ClientResult | undefined {
  switch (type) {
    case resultNull:
      return null;
    case resultFalse:
      return false;
    case resultTrue:
      return true;
    case resultInteger:
      return intRead(reader);
    case resultBytes:
      return reader.bytes();
    case resultStrings: {
      const count = reader.uint();
      // Every string takes at least one byte.
      if (count > reader.remaining) return undefined;
      const elements: string[] = [];
      for (let i = 0; i < count; i++) elements.push(reader.string());
      return elements;
    }
    case resultPacked: {
      const value = packedRead(reader);
      return value === undefined ? undefined : (value as ClientResult);
    }
    default:
      return undefined;
  }
}

/** A MessagePack value in a byte field, checked to be plain data; undefined when it is not. */
function packedRead(reader: ByteReader): unknown {
  const bytes = reader.lengthPrefixedView();
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch {
    return undefined; // msgpackr throws on truncation and bad data: the member's fault.
  }
  return isPlainData(value, "decode") ? value : undefined;
}

function isStringOrNull(value: unknown): value is string | null {
  return value === null || typeof value === "string";
}

function isStrings(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((element) => typeof element === "string");
}

/** Whether a decoded value has the routing table's shape. */
export function routingTableValid(value: unknown): value is RoutingTable {
  if (!isRecord(value) || !isCount(value.partitionCount) || !isCount(value.version)) return false;
  const { members, leaders, replicas } = value;
  return (
    Array.isArray(members) &&
    members.every(
      (member) =>
        isRecord(member) && typeof member.nodeId === "string" && typeof member.clientAddress === "string",
    ) &&
    Array.isArray(leaders) &&
    leaders.every(isStringOrNull) &&
    Array.isArray(replicas) &&
    replicas.every(isStrings)
  );
}
