// Length-prefixed frames: a 4-byte big-endian payload length, then the payload. The decoder is
// sans-I/O (nats.js's parser shape): the socket hands it whatever chunks the kernel returned and it
// hands back whole frames, however the bytes were split. A length above the limit is rejected from
// the header alone, before a single payload byte is buffered, so a hostile peer cannot make a
// member allocate more than `frameBytesMax`.

import { assert } from "../lib/assert.js";

/** Bytes in a frame header (the payload length, big-endian). */
export const frameHeaderBytes = 4;

/** Why a byte stream was rejected; the connection that carried it must be closed. */
export type FrameError =
  | { readonly kind: "frame-too-large"; readonly frameBytes: number; readonly frameBytesMax: number }
  | { readonly kind: "frame-empty" };

/**
 * The outcome of {@link FrameDecoder.push}: whole frames, or an error. A frame is a view of the
 * chunk it arrived in when it lies within one, else a new array; no one writes to either.
 */
export type DecodeResult =
  | { readonly kind: "frames"; readonly frames: Uint8Array[] }
  | { readonly kind: "error"; readonly error: FrameError };

/** The outcome of {@link FrameDecoder.next}: one whole frame, none complete yet, or an error. */
export type NextResult =
  | { readonly kind: "frame"; readonly frame: Uint8Array }
  | { readonly kind: "none" }
  | { readonly kind: "error"; readonly error: FrameError };

const none: NextResult = { kind: "none" };

/** Describes a frame error in one line, for the single log line of a closed connection. */
export function describeFrameError(error: FrameError): string {
  switch (error.kind) {
    case "frame-too-large":
      return `frame of ${error.frameBytes} bytes exceeds frameBytesMax ${error.frameBytesMax}`;
    case "frame-empty":
      return "empty frame";
  }
}

/** Writes the header of a frame carrying `payloadBytes` into `target` at `offset`. */
export function frameHeaderWrite(target: Uint8Array, offset: number, payloadBytes: number): void {
  assert(Number.isSafeInteger(payloadBytes) && payloadBytes > 0, "a frame carries at least one byte");
  assert(payloadBytes <= 0xffff_ffff, "payload length must fit in 32 bits");
  assert(offset >= 0 && offset + frameHeaderBytes <= target.byteLength);
  new DataView(target.buffer, target.byteOffset, target.byteLength).setUint32(offset, payloadBytes, false);
}

/** Encodes one frame (header plus a copy of `payload`) into a new array. */
export function frameEncode(payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(frameHeaderBytes + payload.byteLength);
  frameHeaderWrite(frame, 0, payload.byteLength);
  frame.set(payload, frameHeaderBytes);
  return frame;
}

/**
 * Reassembles frames from arbitrary chunks, which the caller hands over: it must not write to a
 * chunk afterwards, since a frame that lies within one chunk comes back as a view of it (no copy;
 * a socket's read buffers are its own, each filled once). After an error the decoder is poisoned:
 * every later push returns the same error, so a caller that forgets to close cannot resynchronise
 * on garbage.
 */
export class FrameDecoder {
  private readonly chunks: Uint8Array[] = [];
  private bytesBuffered = 0;
  private failure: FrameError | null = null;

  /** `frameBytesMax` bounds a whole frame, header included (limits.ts). */
  constructor(private frameBytesMax: number) {
    assert(Number.isSafeInteger(frameBytesMax) && frameBytesMax > frameHeaderBytes);
  }

  /**
   * Changes the limit for frames not yet decoded: a connection accepts only small frames until
   * its handshake ends, so an unauthenticated peer cannot make it buffer a large one.
   */
  limitSet(frameBytesMax: number): void {
    assert(Number.isSafeInteger(frameBytesMax) && frameBytesMax > frameHeaderBytes);
    this.frameBytesMax = frameBytesMax;
  }

  /** Bytes held for a frame not yet complete; never more than `frameBytesMax` plus one chunk. */
  get bufferedBytes(): number {
    return this.bytesBuffered;
  }

  /** Adds `chunk` (handed over: see the class) and returns every whole frame. */
  push(chunk: Uint8Array): DecodeResult {
    this.append(chunk);
    const frames: Uint8Array[] = [];
    for (;;) {
      const next = this.next();
      if (next.kind === "error") return next;
      if (next.kind === "none") return { kind: "frames", frames };
      frames.push(next.frame);
    }
  }

  /** Adds `chunk` (handed over: see the class) without decoding; see {@link next}. */
  append(chunk: Uint8Array): void {
    if (this.failure !== null || chunk.byteLength === 0) return;
    this.chunks.push(chunk);
    this.bytesBuffered += chunk.byteLength;
  }

  /**
   * Takes the next whole frame (a view of its chunk, or a new array when it spans chunks). Each
   * frame is checked against the limit in force when it is taken, so a caller that raises the limit
   * after a frame (the end of a handshake) applies the new limit to the frames behind it in the
   * same chunk.
   */
  next(): NextResult {
    if (this.failure !== null) return { kind: "error", error: this.failure };
    if (this.bytesBuffered < frameHeaderBytes) return none;
    const payloadBytes = this.peekLength();
    if (payloadBytes === 0) return this.fail({ kind: "frame-empty" });
    const frameBytes = frameHeaderBytes + payloadBytes;
    if (frameBytes > this.frameBytesMax) {
      return this.fail({ kind: "frame-too-large", frameBytes, frameBytesMax: this.frameBytesMax });
    }
    if (this.bytesBuffered < frameBytes) return none;
    this.skip(frameHeaderBytes);
    return { kind: "frame", frame: this.take(payloadBytes) };
  }

  private fail(error: FrameError): { readonly kind: "error"; readonly error: FrameError } {
    this.failure = error;
    this.chunks.length = 0;
    this.bytesBuffered = 0;
    return { kind: "error", error };
  }

  private peekLength(): number {
    const head = this.chunks[0];
    assert(head !== undefined);
    if (head.byteLength >= frameHeaderBytes)
      return ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
    let length = 0;
    let copied = 0;
    for (const chunk of this.chunks) {
      for (let i = 0; i < chunk.byteLength && copied < frameHeaderBytes; i++, copied++) {
        length = length * 256 + chunk[i]!;
      }
      if (copied === frameHeaderBytes) break;
    }
    assert(copied === frameHeaderBytes);
    return length;
  }

  /** Drops `count` bytes from the front. */
  private skip(count: number): void {
    assert(count <= this.bytesBuffered);
    let left = count;
    while (left > 0) {
      const head = this.chunks[0];
      assert(head !== undefined);
      const drop = Math.min(head.byteLength, left);
      if (drop === head.byteLength) this.chunks.shift();
      else this.chunks[0] = head.subarray(drop);
      left -= drop;
    }
    this.bytesBuffered -= count;
  }

  /** Removes `count` bytes from the front: a view when the head chunk holds them all, else a copy. */
  private take(count: number): Uint8Array {
    assert(count <= this.bytesBuffered);
    const first = this.chunks[0];
    assert(first !== undefined);
    let frame: Uint8Array;
    if (first.byteLength >= count) frame = first.subarray(0, count);
    else {
      frame = new Uint8Array(count);
      let filled = 0;
      for (let i = 0; filled < count; i++) {
        const chunk = this.chunks[i];
        assert(chunk !== undefined);
        const part = Math.min(chunk.byteLength, count - filled);
        frame.set(chunk.subarray(0, part), filled);
        filled += part;
      }
    }
    this.skip(count);
    return frame;
  }
}
