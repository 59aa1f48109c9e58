// The message codec: one WireMessage <-> one frame body. The 4-byte length prefix around the body
// belongs to the transport (transport/framing.ts); this file sees whole bodies only.
//
// Body layout (all of it part of the format; golden bytes in test/wire/testdata pin it):
//
//   offset 0   u8      schema version (wireVersion)
//   offset 1   u8      kind code (messageKinds position + 1)
//   offset 2   u8      flags: bit 0 = a group follows; every other bit must be zero
//   offset 3   u32 BE  group id, only when flag bit 0 is set
//   then               the payload, to the end of the body: exactly one MessagePack value, or for
//                      a kind whose payload form is "bytes" (message.ts) the payload's own bytes,
//                      or for a "binary-or-msgpack" kind either of the two, told apart by the
//                      first payload byte (binaryPayloadMagic: bytes; anything else: MessagePack)
//
// A fixed binary header lets a reader route or count a frame by kind and group without decoding
// the payload, and lets a future version change the payload encoding behind the version byte.
// The decoder never throws on a peer's bytes: every failure is a value, "bad-frame", and the
// caller closes that one connection.

import { Packr, RESERVE_START_SPACE } from "msgpackr";
import { assert } from "../../lib/assert.js";
import { type GroupId, groupId } from "../../types.js";
import {
  binaryPayloadMagic,
  type MessageKind,
  messageKindCode,
  messageKindGroupRules,
  messageKindOfCode,
  messageKindPayloadForms,
  type WireMessage,
  type WireValue,
  wireVersion,
} from "./message.js";
import { isPlainData, plainDataProblem } from "./plain_data.js";

/** Bytes of the transport's length prefix, counted in frameBytesMax (limits.ts) with the body. */
export const lengthPrefixBytes = 4;

/** Bytes of the envelope header without a group: version, kind, flags. */
export const headerBytesWithoutGroup = 3;
/** Bytes of the envelope header with a group: version, kind, flags, then the group as a u32. */
export const headerBytesWithGroup = 7;

/** The largest group id the header can carry. */
export const groupIdMax = 0xffff_ffff;

const flagGroup = 0b0000_0001;

/**
 * Whether encode checks that a MessagePack payload is plain data. The check walks the whole payload
 * and guards against bugs in our own cores, not against input (decode always checks what a peer
 * sent), so production skips it and the tests turn it on for every codec
 * (test/support/wire_verify.ts, a vitest setup file). A codec's config may override it.
 */
let encodeVerifyDefault = false;

/** Turns the plain-data check at encode on or off for codecs whose config does not choose. */
export function wireEncodeVerifySet(on: boolean): void {
  encodeVerifyDefault = on;
}

/** What a codec needs to know. */
export interface WireCodecConfig {
  /** Largest frame on the wire, length prefix included (limits.ts `frameBytesMax`). */
  readonly frameBytesMax: number;
  /** Whether encode checks payloads are plain data; absent: {@link wireEncodeVerifySet}'s choice. */
  readonly verify?: boolean;
}

/** The outcome of {@link WireCodec.encode}. */
export type EncodeResult =
  | { readonly kind: "ok"; readonly body: Uint8Array }
  | { readonly kind: "too-large"; readonly bodyBytes: number; readonly bodyBytesMax: number };

/** Why a frame body was refused. Stable names, for metrics and logs. */
export type BadFrameReason =
  | "too-short"
  | "too-large"
  | "unknown-version"
  | "unknown-kind"
  | "bad-flags"
  | "group-missing"
  | "group-unexpected"
  | "bad-payload"
  | "not-plain";

/** The outcome of {@link WireCodec.decode}: a message, or why the body is not one. */
export type DecodeResult =
  | { readonly kind: "ok"; readonly message: WireMessage }
  | { readonly kind: "bad-frame"; readonly reason: BadFrameReason; readonly detail: string };

/**
 * Encodes and decodes frame bodies. Holds one msgpackr Packr, configured for plain data: no
 * records (a peer would need the same predeclared structures), maps decoded as plain objects,
 * decoded bytes copied out of the receive buffer (STACK.md's msgpackr traps). One codec per member
 * or client; it keeps no state between calls.
 */
export class WireCodec {
  private readonly packr: Packr;
  private readonly verify: boolean | undefined;
  /** The largest body that fits in a frame: frameBytesMax less the length prefix. */
  readonly bodyBytesMax: number;

  constructor(config: WireCodecConfig) {
    assert(Number.isSafeInteger(config.frameBytesMax), "frameBytesMax must be an integer");
    assert(config.frameBytesMax > lengthPrefixBytes + headerBytesWithGroup, "frameBytesMax too small");
    this.bodyBytesMax = config.frameBytesMax - lengthPrefixBytes;
    this.verify = config.verify;
    this.packr = new Packr({ useRecords: false, mapsAsObjects: true, copyBuffers: true });
  }

  /**
   * Encodes `message` into a new frame body, or returns "too-large" when the body would not fit
   * in a frame (the caller splits the message or fails the request). A Uint8Array payload of a
   * kind whose payload form is "bytes", or one that starts with binaryPayloadMagic for a kind whose
   * form is "binary-or-msgpack", is copied in as it is; any other payload is packed as
   * MessagePack. A payload that is not plain data (checked only when verify is on), or a group that
   * breaks its kind's rule, is a bug in the caller and fails an assertion. The caller owns the
   * returned body's bytes (a MessagePack body is a view of a larger buffer; no other body shares
   * its bytes).
   */
  encode(message: WireMessage<unknown>): EncodeResult {
    // Messages of failed assertions are built only on failure: this runs for every frame.
    if (message.version !== wireVersion) assert(false, `cannot encode version ${message.version}`);
    const code = messageKindCode(message.kind);
    if (code < 1) assert(false, `unknown message kind ${message.kind}`);
    const group = message.group;
    assertGroupRule(message.kind, group);
    const headerBytes = group === undefined ? headerBytesWithoutGroup : headerBytesWithGroup;
    const body = carriedAsBytes(message.kind, message.payload)
      ? this.bodyOfBytes(message.kind, headerBytes, message.payload)
      : this.bodyOfValue(message.kind, headerBytes, message.payload);
    if (body.byteLength > this.bodyBytesMax)
      return { kind: "too-large", bodyBytes: body.byteLength, bodyBytesMax: this.bodyBytesMax };
    body[0] = wireVersion;
    body[1] = code;
    body[2] = group === undefined ? 0 : flagGroup;
    if (group !== undefined) new DataView(body.buffer, body.byteOffset).setUint32(3, group, false);
    return { kind: "ok", body };
  }

  /** A new body: room for the header, then a copy of the payload. */
  private bodyOfBytes(kind: MessageKind, headerBytes: number, payload: Uint8Array): Uint8Array {
    if (payload.byteLength === 0) assert(false, `${kind}: an empty payload cannot be decoded`);
    const body = new Uint8Array(headerBytes + payload.byteLength);
    body.set(payload, headerBytes);
    return body;
  }

  /**
   * The payload packed as MessagePack behind room for the header, with no copy: msgpackr writes
   * into a slab of its own and never writes over what it returned, so the body is a view of it.
   */
  private bodyOfValue(kind: MessageKind, headerBytes: number, payload: unknown): Uint8Array {
    if (this.verify ?? encodeVerifyDefault) {
      const problem = plainDataProblem(payload, "encode");
      assert(problem === null, `${kind}: not plain data: ${problem}`);
    }
    const packed = this.packr.pack(payload, RESERVE_START_SPACE | headerBytes);
    return new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength);
  }

  /**
   * Decodes one frame body. Never throws on any input: garbage, a truncated body, an unknown
   * version or kind, a body over the limit or a payload that is not plain data all return
   * "bad-frame". A MessagePack payload shares no memory with `body`: the caller may reuse the
   * buffer. The payload of a kind whose form is "bytes" (or of a "binary-or-msgpack" kind, when it
   * starts with binaryPayloadMagic) comes back unread, as a view of `body` (a
   * plain Uint8Array, no copy): its core decodes and validates it and may keep views of it, so pass
   * a body no one writes to afterwards, as the transports' frames are (framing.ts hands over a view
   * of a socket read buffer that is filled once, or a new array).
   */
  decode(body: Uint8Array): DecodeResult {
    if (body.byteLength > this.bodyBytesMax) {
      return bad("too-large", `body of ${body.byteLength} bytes > ${this.bodyBytesMax}`);
    }
    const header = decodeHeader(body);
    if (header.kind === "bad-frame") return header;
    const payloadBytes = body.byteLength - header.headerBytes;
    if (payloadBytes === 0) return bad("too-short", "no payload");
    const offset = body.byteOffset + header.headerBytes;
    const form = messageKindPayloadForms[header.messageKind];
    if (
      form === "bytes" ||
      (form === "binary-or-msgpack" && body[header.headerBytes] === binaryPayloadMagic)
    ) {
      const payload = new Uint8Array(body.buffer, offset, payloadBytes);
      return { kind: "ok", message: envelopeOf(header.messageKind, header.group, payload) };
    }
    let payload: unknown;
    try {
      // A plain Uint8Array view of our own (msgpackr caches a DataView on its source): bytes then
      // decode as Uint8Array even when the body is a Buffer.
      payload = this.packr.unpack(new Uint8Array(body.buffer, offset, payloadBytes));
    } catch (error) {
      // msgpackr throws on truncation, trailing bytes, bad extension data and deep nesting
      // (a RangeError from the stack): all of them are the peer's fault, none is ours.
      return bad("bad-payload", error instanceof Error ? error.message : String(error));
    }
    if (!isPlainData(payload, "decode")) return bad("not-plain", plainDataProblem(payload, "decode") ?? "");
    return { kind: "ok", message: envelopeOf(header.messageKind, header.group, payload) };
  }
}

/** Whether `payload` travels as its own bytes (else it is packed as MessagePack). */
function carriedAsBytes(kind: MessageKind, payload: unknown): payload is Uint8Array {
  if (!(payload instanceof Uint8Array)) return false;
  const form = messageKindPayloadForms[kind];
  return form === "bytes" || (form === "binary-or-msgpack" && payload[0] === binaryPayloadMagic);
}

function envelopeOf(kind: MessageKind, group: GroupId | null, payload: WireValue): WireMessage {
  return group === null
    ? { version: wireVersion, kind, payload }
    : { version: wireVersion, kind, group, payload };
}

/** Describes a bad frame in one line, for the single log line of a closed connection. */
export function describeBadFrame(result: {
  readonly reason: BadFrameReason;
  readonly detail: string;
}): string {
  return `bad frame (${result.reason}): ${result.detail}`;
}

/** Describes a message's envelope in one line, ids first: `raft g3 v1 41 bytes`. */
export function describeEnvelope(message: WireMessage<unknown>, bodyBytes: number): string {
  const group = message.group === undefined ? "" : ` g${message.group}`;
  return `${message.kind}${group} v${message.version} ${bodyBytes} bytes`;
}

/** The outcome of {@link peekEnvelope}: the envelope's header fields, or why they are bad. */
export type HeaderResult =
  | {
      readonly kind: "ok";
      readonly messageKind: MessageKind;
      readonly group: GroupId | null;
      readonly headerBytes: number;
    }
  | { readonly kind: "bad-frame"; readonly reason: BadFrameReason; readonly detail: string };

/**
 * Reads a body's header (kind and group) without decoding its payload, for routing or counting a
 * frame. Never throws. A body that passes here may still be refused by {@link WireCodec.decode}.
 */
export function peekEnvelope(body: Uint8Array): HeaderResult {
  return decodeHeader(body);
}

function decodeHeader(body: Uint8Array): HeaderResult {
  if (body.byteLength < headerBytesWithoutGroup) return bad("too-short", `${body.byteLength} bytes`);
  const version = body[0]!;
  if (version !== wireVersion) return bad("unknown-version", `version ${version}`);
  const messageKind = messageKindOfCode(body[1]!);
  if (messageKind === null) return bad("unknown-kind", `kind code ${body[1]}`);
  const flags = body[2]!;
  if ((flags & ~flagGroup) !== 0) return bad("bad-flags", `flags 0x${flags.toString(16)}`);
  const hasGroup = (flags & flagGroup) !== 0;
  const rule = messageKindGroupRules[messageKind];
  if (rule === "required" && !hasGroup) return bad("group-missing", `${messageKind} needs a group`);
  if (rule === "forbidden" && hasGroup) return bad("group-unexpected", `${messageKind} takes no group`);
  if (!hasGroup) return { kind: "ok", messageKind, group: null, headerBytes: headerBytesWithoutGroup };
  if (body.byteLength < headerBytesWithGroup)
    return bad("too-short", `${body.byteLength} bytes with a group`);
  const group = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(3, false);
  return { kind: "ok", messageKind, group: groupId(group), headerBytes: headerBytesWithGroup };
}

function assertGroupRule(kind: MessageKind, group: GroupId | undefined): void {
  const rule = messageKindGroupRules[kind];
  if (rule === "required" && group === undefined) assert(false, `${kind} needs a group`);
  if (rule === "forbidden" && group !== undefined) assert(false, `${kind} takes no group`);
  if (group === undefined) return;
  if (!(Number.isSafeInteger(group) && group >= 0 && group <= groupIdMax))
    assert(false, `bad group ${group}`);
}

function bad(
  reason: BadFrameReason,
  detail: string,
): { kind: "bad-frame"; reason: BadFrameReason; detail: string } {
  return { kind: "bad-frame", reason, detail };
}
