// Shared fast-check generators for the wire tests (not a test file itself): arbitrary plain data
// and arbitrary well-formed messages of every kind.

import fc from "fast-check";
import {
  groupIdMax,
  type MessageKind,
  messageKindGroupRules,
  messageKindPayloadForms,
  messageKinds,
  type WireMessage,
  type WireValue,
  wireVersion,
} from "../../src/protocol/wire/index.js";
import { groupId } from "../../src/types.js";
import { unicodeString } from "../placement/arbitraries.js";

/** Finite doubles; -0 becomes 0, since the wire carries -0 as 0 (tested on its own). */
const finiteNumber = fc
  .double({ noNaN: true, noDefaultInfinity: true })
  .map((value) => (Object.is(value, -0) ? 0 : value));

const leaf: fc.Arbitrary<WireValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.maxSafeInteger(),
  finiteNumber,
  unicodeString(0, 24),
  fc.uint8Array({ maxLength: 64 }),
);

const objectKey = unicodeString(0, 8).filter((key) => key !== "__proto__");

/** Arbitrary plain data, at most 6 levels deep (well inside payloadDepthMax). */
export const wireValue: fc.Arbitrary<WireValue> = fc.letrec<{
  value: WireValue;
  array: WireValue[];
  object: Record<string, WireValue>;
}>((tie) => ({
  value: fc.oneof({ maxDepth: 6, depthSize: "small" }, leaf, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 6 }),
  object: fc.dictionary(objectKey, tie("value"), { maxKeys: 6, noNullPrototype: true }),
})).value;

/** An arbitrary group id, over the whole range the header carries. */
const group = fc.integer({ min: 0, max: groupIdMax }).map((value) => groupId(value));

/** Bytes for a kind whose payload form is "bytes": never empty (an empty payload is refused). */
const payloadBytes: fc.Arbitrary<WireValue> = fc.uint8Array({ minLength: 1, maxLength: 256 });

/**
 * An arbitrary message of `kind`, with a group exactly when the kind's rule allows one, and a
 * payload of its form: plain data, or bytes.
 */
export function messageOf(kind: MessageKind): fc.Arbitrary<WireMessage> {
  const rule = messageKindGroupRules[kind];
  const payload = messageKindPayloadForms[kind] === "bytes" ? payloadBytes : wireValue;
  const withGroup = fc
    .record({ group, payload })
    .map(({ group, payload }): WireMessage => ({ version: wireVersion, kind, group, payload }));
  const withoutGroup = payload.map((payload): WireMessage => ({ version: wireVersion, kind, payload }));
  if (rule === "required") return withGroup;
  if (rule === "forbidden") return withoutGroup;
  return fc.oneof(withGroup, withoutGroup);
}

/** An arbitrary message of any kind. */
export const wireMessage: fc.Arbitrary<WireMessage> = fc.constantFrom(...messageKinds).chain(messageOf);
