// Goal: the frame decoder returns exactly the frames that were encoded, however the byte stream is
// split, and refuses oversized or empty frames from the header alone. Method: fast-check round
// trips of random frame lists cut at random points; targeted cases for the limits and poisoning.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concatBytes } from "../../src/lib/bytes.js";
import { FrameDecoder, frameEncode, frameHeaderBytes } from "../../src/transport/framing.js";

function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.byteLength + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.byteLength]) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  return chunks;
}

describe("FrameDecoder", () => {
  it("round-trips any list of frames under any chunking", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (payloads, cuts) => {
          const stream = concatBytes(payloads.map(frameEncode));
          const decoder = new FrameDecoder(1024);
          const decoded: Uint8Array[] = [];
          for (const chunk of split(stream, cuts)) {
            const result = decoder.push(chunk);
            expect(result.kind).toBe("frames");
            if (result.kind === "frames") decoded.push(...result.frames);
          }
          expect(decoded).toEqual(payloads);
          expect(decoder.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("delivers frames byte by byte", () => {
    const stream = concatBytes([frameEncode(Uint8Array.of(1, 2, 3)), frameEncode(Uint8Array.of(9))]);
    const decoder = new FrameDecoder(64);
    const decoded: Uint8Array[] = [];
    for (let i = 0; i < stream.byteLength; i++) {
      const result = decoder.push(stream.subarray(i, i + 1));
      if (result.kind === "frames") decoded.push(...result.frames);
    }
    expect(decoded).toEqual([Uint8Array.of(1, 2, 3), Uint8Array.of(9)]);
  });

  it("rejects a length above frameBytesMax from the header alone", () => {
    const decoder = new FrameDecoder(100);
    // Header announcing 97 payload bytes: 101 bytes with its header, one above the limit.
    const result = decoder.push(Uint8Array.of(0, 0, 0, 97));
    expect(result).toEqual({
      kind: "error",
      error: { kind: "frame-too-large", frameBytes: 101, frameBytesMax: 100 },
    });
    expect(decoder.bufferedBytes).toBe(0);
  });

  it("accepts a frame exactly at frameBytesMax", () => {
    const decoder = new FrameDecoder(100);
    const payload = new Uint8Array(100 - frameHeaderBytes).fill(7);
    const result = decoder.push(frameEncode(payload));
    expect(result).toEqual({ kind: "frames", frames: [payload] });
  });

  it("rejects an empty frame and stays poisoned afterwards", () => {
    const decoder = new FrameDecoder(100);
    expect(decoder.push(Uint8Array.of(0, 0, 0, 0)).kind).toBe("error");
    const later = decoder.push(frameEncode(Uint8Array.of(1)));
    expect(later).toEqual({ kind: "error", error: { kind: "frame-empty" } });
  });

  it("returns a frame within one chunk as a view of it, and one split over chunks as a copy", () => {
    const chunk = concatBytes([frameEncode(Uint8Array.of(5, 6)), frameEncode(Uint8Array.of(7, 8, 9))]);
    const decoder = new FrameDecoder(64);
    const whole = decoder.push(chunk.subarray(0, 11)); // The first frame, and the second in part.
    expect(whole).toEqual({ kind: "frames", frames: [Uint8Array.of(5, 6)] });
    const [view] = (whole as { frames: Uint8Array[] }).frames;
    expect(view!.buffer).toBe(chunk.buffer); // No copy.
    expect(view!.byteOffset).toBe(4);
    const split = decoder.push(chunk.subarray(11));
    expect(split).toEqual({ kind: "frames", frames: [Uint8Array.of(7, 8, 9)] });
    expect((split as { frames: Uint8Array[] }).frames[0]!.buffer).not.toBe(chunk.buffer);
  });

  it("a lowered limit applies to frames not yet decoded", () => {
    const decoder = new FrameDecoder(1000);
    decoder.limitSet(10);
    expect(decoder.push(frameEncode(new Uint8Array(20))).kind).toBe("error");
  });

  it("checks each frame taken with next() against the limit in force when it is taken", () => {
    const small = new Uint8Array(10).fill(1);
    const large = new Uint8Array(5_000).fill(2);
    const chunk = concatBytes([frameEncode(small), frameEncode(large)]);
    // Taken one at a time, the large frame passes once the limit is raised after the small one.
    const stepwise = new FrameDecoder(1_024);
    stepwise.append(chunk);
    const firstTaken = stepwise.next();
    expect(firstTaken).toEqual({ kind: "frame", frame: small });
    stepwise.limitSet(16 * 1_024);
    expect(stepwise.next()).toEqual({ kind: "frame", frame: large });
    expect(stepwise.next()).toEqual({ kind: "none" });
    // Taken all at once under the first limit, the large frame is refused.
    const atOnce = new FrameDecoder(1_024);
    expect(atOnce.push(chunk)).toMatchObject({ kind: "error", error: { kind: "frame-too-large" } });
  });
});
