// Measures the CPU cost of the client protocol's frames, sent and received, in the binary layout
// (runtime/client_codec.ts) against MessagePack (as clients and members sent them before: pack,
// copy into the body; on receipt unpack, plain-data walk, then clientPayloadCheck's shape walk for
// requests). Not a test: run it by hand with `npx tsx test/client/client_codec_bench.ts`. Method:
// the frames of a loaded client at c=64: a batch of 64 map puts (16-byte keys, 100-byte values) and
// its 64 null answers; a batch of 64 counter increments and its 64 integer answers. Each side's
// work is done in full (encode, WireCodec frame, WireCodec decode, payload decode and check); warm
// up, then five timed rounds of each form, interleaved; the median of this process's CPU time
// (process.cpuUsage) per frame is reported.

import { limitsDefault } from "../../src/limits.js";
import type {
  ClientRequest,
  ClientRequestPayload,
  ClientResponse,
  ClientResponsePayload,
} from "../../src/protocol/client/messages.js";
import type { Operation } from "../../src/protocol/client/operations.js";
import { WireCodec } from "../../src/protocol/wire/index.js";
import {
  ClientRequestEncoder,
  ClientResponseEncoder,
  clientPayloadDecode,
  clientResponsesDecode,
} from "../../src/runtime/client_codec.js";
import { clientPayloadCheck } from "../../src/runtime/client_request.js";

const framesPerRound = 5_000;
const rounds = 5;
const batchSize = 64;
const limits = limitsDefault();
const codec = new WireCodec({ frameBytesMax: limits.frameBytesMax, verify: false });
const requestEncoder = new ClientRequestEncoder();
const responseEncoder = new ClientResponseEncoder();

function requests(make: (i: number) => Operation): ClientRequestPayload {
  const list: ClientRequest[] = [];
  for (let i = 0; i < batchSize; i++)
    list.push({
      type: "operation",
      requestId: 100_000 + i,
      clientId: "3f2a9c1e5b7d4a60b1c2d3e4f5a6b7c8",
      sequence: 50_000 + i,
      timeoutMs: 5_000,
      operation: make(i),
    });
  return { type: "batch", requests: list };
}

function responses(result: (i: number) => number | null): ClientResponsePayload {
  const list: ClientResponse[] = [];
  for (let i = 0; i < batchSize; i++)
    list.push({ type: "result", requestId: 100_000 + i, result: result(i) });
  return { type: "batch", responses: list };
}

const value = new Uint8Array(100).fill(7);
const puts = requests((i) => ({
  structure: "map",
  op: "put",
  name: "bench",
  key: `key-${1000 + i}-abcdefg`,
  value,
}));
const incrs = requests((i) => ({ structure: "counter", op: "add", name: `counter-${i % 16}`, delta: 1 }));
const putAnswers = responses(() => null);
const incrAnswers = responses((i) => 40_000 + i);

/** One request frame and its answer frame, encoded and decoded; returns the bodies' bytes. */
function exchange(request: ClientRequestPayload, answer: ClientResponsePayload, binary: boolean): number {
  const sent = codec.encode({
    version: 1,
    kind: "client-request",
    payload: binary ? requestEncoder.encode(request) : request,
  });
  if (sent.kind !== "ok") throw new Error("too large");
  const received = codec.decode(sent.body);
  if (received.kind !== "ok") throw new Error("bad frame");
  const payload = received.message.payload;
  const checked = binary ? clientPayloadDecode(payload, limits) : clientPayloadCheck(payload, limits);
  if (checked.kind !== "batch" || checked.checks.some((check) => check.kind !== "ok"))
    throw new Error("refused");
  const reply = codec.encode({
    version: 1,
    kind: "client-response",
    payload: binary ? responseEncoder.encode(answer) : answer,
  });
  if (reply.kind !== "ok") throw new Error("too large");
  const back = codec.decode(reply.body);
  if (back.kind !== "ok" || clientResponsesDecode(back.message.payload) === null)
    throw new Error("bad answer");
  return sent.body.byteLength + reply.body.byteLength;
}

function round(request: ClientRequestPayload, answer: ClientResponsePayload, binary: boolean): number {
  const start = process.cpuUsage();
  for (let i = 0; i < framesPerRound; i++) exchange(request, answer, binary);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / framesPerRound;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

for (const [name, request, answer] of [
  ["64 map puts + 64 null answers", puts, putAnswers],
  ["64 counter adds + 64 integer answers", incrs, incrAnswers],
] as const) {
  round(request, answer, false);
  round(request, answer, true);
  const legacy: number[] = [];
  const binary: number[] = [];
  for (let r = 0; r < rounds; r++) {
    legacy.push(round(request, answer, false));
    binary.push(round(request, answer, true));
  }
  console.log(
    `${name}: msgpack ${median(legacy).toFixed(1)} µs/exchange (${exchange(request, answer, false)} B), ` +
      `binary ${median(binary).toFixed(1)} µs/exchange (${exchange(request, answer, true)} B): ` +
      `${(median(legacy) / median(binary)).toFixed(1)}x less CPU`,
  );
}
