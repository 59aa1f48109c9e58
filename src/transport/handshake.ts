// The connection handshake, sans I/O. Both ends send HELLO at once (magic, version, cluster name,
// their address, a fresh nonce). With a shared secret configured, each end then sends PROOF: an
// HMAC-SHA256 under the secret over a label, its own role, both nonces and both addresses. The
// secret never crosses the wire; the peer's fresh nonce defeats replay; the role in the MAC input
// defeats reflection (echoing a peer's own proof back to it). Proofs are compared in constant time.
// Frames of the handshake travel in ordinary frames; no application frame passes before it ends.

import { assert } from "../lib/assert.js";
import type { Address } from "../types.js";

/** The cryptography a handshake needs, injected by the platform (node:crypto in production). */
export interface HandshakeCrypto {
  /** HMAC-SHA256 of `data` under `key`: 32 bytes. */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** Compares two equal-length arrays without leaking where they differ. */
  equalConstantTime(a: Uint8Array, b: Uint8Array): boolean;
}

/** One end's settings. */
export interface HandshakeConfig {
  /** Both ends must name the same cluster. */
  readonly clusterName: string;
  /** This member's address as its peers dial it. */
  readonly localAddress: Address;
  /** The cluster's shared secret, or null when the cluster runs without one. */
  readonly secret: Uint8Array | null;
  readonly crypto: HandshakeCrypto;
}

/** Which end opened the connection. */
export type HandshakeRole = "dialer" | "acceptor";

/** Why a handshake failed; the connection must be closed. */
export type HandshakeFailure =
  | "malformed"
  | "bad-magic"
  | "bad-version"
  | "wrong-cluster"
  | "secret-mismatch"
  | "bad-proof"
  | "unexpected-message";

/** The outcome of one inbound handshake frame: frames to send, and whether the handshake ended. */
export type HandshakeStep =
  | { readonly kind: "continue"; readonly frames: Uint8Array[] }
  | { readonly kind: "established"; readonly frames: Uint8Array[]; readonly peerAddress: Address }
  | { readonly kind: "failed"; readonly failure: HandshakeFailure };

/** Bytes in a handshake nonce. */
export const handshakeNonceBytes = 32;
/** Largest handshake frame accepted; anything larger is hostile. */
export const handshakeFrameBytesMax = 1024;

const magic = [0x53, 0x48, 0x4f, 0x4c]; // "SHOL"
const version = 1;
const kindHello = 1;
const kindProof = 2;
const macBytes = 32;
const textBytesMax = 255;
const proofLabel = "shoal/handshake/v1";
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

interface Hello {
  readonly clusterName: string;
  readonly address: Address;
  readonly nonce: Uint8Array;
  readonly hasSecret: boolean;
}

/** One end of one connection's handshake. Feed it the peer's frames in order. */
export class Handshake {
  private state: "created" | "awaiting-hello" | "awaiting-proof" | "established" | "failed" = "created";
  private peer: Hello | null = null;

  /** `nonce` must be fresh random bytes, never reused. */
  constructor(
    private readonly config: HandshakeConfig,
    private readonly role: HandshakeRole,
    private readonly nonce: Uint8Array,
  ) {
    assert(nonce.byteLength === handshakeNonceBytes);
    assert(config.secret === null || config.secret.byteLength > 0, "an empty secret proves nothing");
    assert(encoder.encode(config.clusterName).byteLength <= textBytesMax);
    assert(encoder.encode(config.localAddress).byteLength <= textBytesMax);
  }

  /** Whether the handshake completed. */
  get isEstablished(): boolean {
    return this.state === "established";
  }

  /** Returns the frames to send as soon as the connection opens (HELLO). Call once. */
  start(): Uint8Array[] {
    assert(this.state === "created");
    this.state = "awaiting-hello";
    return [
      helloEncode({
        clusterName: this.config.clusterName,
        address: this.config.localAddress,
        nonce: this.nonce,
        hasSecret: this.config.secret !== null,
      }),
    ];
  }

  /** Consumes one inbound frame. */
  step(frame: Uint8Array): HandshakeStep {
    assert(this.state !== "created", "start() before step()");
    assert(this.state !== "established" && this.state !== "failed", "the handshake is over");
    if (frame.byteLength > handshakeFrameBytesMax) return this.fail("malformed");
    const headerFailure = headerCheck(frame);
    if (headerFailure !== null) return this.fail(headerFailure);
    const kind = frame[5];
    if (this.state === "awaiting-hello" && kind === kindHello) return this.helloReceived(frame);
    if (this.state === "awaiting-proof" && kind === kindProof) return this.proofReceived(frame);
    return this.fail("unexpected-message");
  }

  private helloReceived(frame: Uint8Array): HandshakeStep {
    const hello = helloDecode(frame);
    if (hello === null) return this.fail("malformed");
    if (hello.clusterName !== this.config.clusterName) return this.fail("wrong-cluster");
    if (hello.hasSecret !== (this.config.secret !== null)) return this.fail("secret-mismatch");
    this.peer = hello;
    if (this.config.secret === null) {
      this.state = "established";
      return { kind: "established", frames: [], peerAddress: hello.address };
    }
    this.state = "awaiting-proof";
    const mac = this.proofMac(this.role, this.nonce, hello.nonce, this.config.localAddress, hello.address);
    return { kind: "continue", frames: [proofEncode(mac)] };
  }

  private proofReceived(frame: Uint8Array): HandshakeStep {
    const peer = this.peer;
    assert(peer !== null && this.config.secret !== null);
    if (frame.byteLength !== 6 + macBytes) return this.fail("malformed");
    const peerRole: HandshakeRole = this.role === "dialer" ? "acceptor" : "dialer";
    const expected = this.proofMac(peerRole, peer.nonce, this.nonce, peer.address, this.config.localAddress);
    if (!this.config.crypto.equalConstantTime(frame.subarray(6), expected)) return this.fail("bad-proof");
    this.state = "established";
    return { kind: "established", frames: [], peerAddress: peer.address };
  }

  /** The MAC a sender in `senderRole` proves with: every input length-prefixed, so none is ambiguous. */
  private proofMac(
    senderRole: HandshakeRole,
    senderNonce: Uint8Array,
    receiverNonce: Uint8Array,
    senderAddress: Address,
    receiverAddress: Address,
  ): Uint8Array {
    assert(this.config.secret !== null);
    const input = fieldsEncode([
      encoder.encode(proofLabel),
      encoder.encode(senderRole),
      encoder.encode(this.config.clusterName),
      senderNonce,
      receiverNonce,
      encoder.encode(senderAddress),
      encoder.encode(receiverAddress),
    ]);
    const mac = this.config.crypto.hmacSha256(this.config.secret, input);
    assert(mac.byteLength === macBytes);
    return mac;
  }

  private fail(failure: HandshakeFailure): HandshakeStep {
    this.state = "failed";
    return { kind: "failed", failure };
  }
}

function headerCheck(frame: Uint8Array): HandshakeFailure | null {
  if (frame.byteLength < 6) return "malformed";
  for (let i = 0; i < magic.length; i++) if (frame[i] !== magic[i]) return "bad-magic";
  if (frame[4] !== version) return "bad-version";
  return null;
}

function fieldsEncode(fields: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const field of fields) total += 2 + field.byteLength;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const field of fields) {
    assert(field.byteLength <= 0xffff);
    out[offset] = field.byteLength >>> 8;
    out[offset + 1] = field.byteLength & 0xff;
    out.set(field, offset + 2);
    offset += 2 + field.byteLength;
  }
  assert(offset === total);
  return out;
}

function helloEncode(hello: Hello): Uint8Array {
  const cluster = encoder.encode(hello.clusterName);
  const address = encoder.encode(hello.address);
  const out = new Uint8Array(6 + handshakeNonceBytes + 1 + 1 + cluster.byteLength + 1 + address.byteLength);
  out.set(magic, 0);
  out[4] = version;
  out[5] = kindHello;
  out.set(hello.nonce, 6);
  let offset = 6 + handshakeNonceBytes;
  out[offset++] = hello.hasSecret ? 1 : 0;
  out[offset++] = cluster.byteLength;
  out.set(cluster, offset);
  offset += cluster.byteLength;
  out[offset++] = address.byteLength;
  out.set(address, offset);
  assert(offset + address.byteLength === out.byteLength);
  return out;
}

function helloDecode(frame: Uint8Array): Hello | null {
  let offset = 6 + handshakeNonceBytes;
  if (frame.byteLength < offset + 3) return null;
  const nonce = frame.slice(6, 6 + handshakeNonceBytes);
  const secretFlag = frame[offset++]!;
  if (secretFlag > 1) return null;
  const clusterName = textRead(frame, offset);
  if (clusterName === null) return null;
  offset = clusterName.end;
  const address = textRead(frame, offset);
  if (address === null || address.end !== frame.byteLength || address.text.length === 0) return null;
  return {
    clusterName: clusterName.text,
    address: address.text as Address,
    nonce,
    hasSecret: secretFlag === 1,
  };
}

function textRead(frame: Uint8Array, offset: number): { text: string; end: number } | null {
  if (offset >= frame.byteLength) return null;
  const length = frame[offset]!;
  const end = offset + 1 + length;
  if (end > frame.byteLength) return null;
  try {
    return { text: decoder.decode(frame.subarray(offset + 1, end)), end };
  } catch {
    return null; // Invalid UTF-8 from the peer is a malformed hello, not a crash.
  }
}

function proofEncode(mac: Uint8Array): Uint8Array {
  const out = new Uint8Array(6 + macBytes);
  out.set(magic, 0);
  out[4] = version;
  out[5] = kindProof;
  out.set(mac, 6);
  return out;
}
