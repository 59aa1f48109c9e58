// Measures the CPU cost of one raft-batch frame, sent and received, in the binary layout against
// the legacy MessagePack form (as members sent it before: plain-data walk, pack, copy into the body;
// on receipt unpack, plain-data walk, shape checks). Not a test: run it by hand with
// `npx tsx test/runtime/raft_batch_codec_bench.ts`. Method: two batch shapes of a loaded CP
// cluster (leader to follower: appends of two ~150-byte entries in 4 groups; follower to leader:
// 16 append-responses and heartbeat-responses), warm up, then five timed rounds of each form,
// interleaved; the median of this process's CPU time (process.cpuUsage) per frame is reported.

import type { Entry, Message } from "../../src/protocol/raft/index.js";
import { WireCodec } from "../../src/protocol/wire/index.js";
import type { RaftBatch } from "../../src/runtime/codec.js";
import { RaftBatchEncoder, raftBatchDecode } from "../../src/runtime/raft_batch_codec.js";
import { type GroupId, groupId, type LogIndex, nodeId, type Term } from "../../src/types.js";

const framesPerRound = 20_000;
const rounds = 5;
const leader = nodeId("n1");
const follower = nodeId("n2");

function entry(index: number): Entry {
  const data = new Uint8Array(150);
  for (let i = 0; i < data.length; i++) data[i] = (index * 31 + i * 7) & 0xff;
  return { type: "normal", term: 7 as Term, index: index as LogIndex, data };
}

function appends(): RaftBatch {
  const messages: [GroupId, Message][] = [];
  for (let g = 1; g <= 4; g++) {
    const base = 1000 * g;
    const append: Message = {
      type: "append",
      from: leader,
      to: follower,
      term: 7 as Term,
      prevIndex: base as LogIndex,
      prevTerm: 7 as Term,
      entries: [entry(base + 1), entry(base + 2)],
      commit: (base - 1) as LogIndex,
    };
    messages.push([groupId(g), append]);
  }
  return { from: leader, replica: "n1@1764412345678", hello: null, messages };
}

function responses(): RaftBatch {
  const messages: [GroupId, Message][] = [];
  for (let g = 1; g <= 16; g++) {
    const envelope = { from: follower, to: leader, term: 7 as Term };
    const message: Message =
      g % 2 === 0
        ? {
            ...envelope,
            type: "append-response",
            reject: false,
            index: (1000 * g + 2) as LogIndex,
            hintIndex: 0 as LogIndex,
            hintTerm: 0 as Term,
          }
        : { ...envelope, type: "heartbeat-response", context: 4321 };
    messages.push([groupId(g), message]);
  }
  return { from: follower, replica: "n2@1764412345679", hello: null, messages };
}

const legacyCodec = new WireCodec({ frameBytesMax: 1 << 20, verify: true });
const binaryCodec = new WireCodec({ frameBytesMax: 1 << 20, verify: false });
const encoder = new RaftBatchEncoder();

function roundTrip(batch: RaftBatch, binary: boolean): number {
  const to = batch.messages[0]![1].to;
  const codec = binary ? binaryCodec : legacyCodec;
  const payload = binary ? encoder.encode(batch) : batch;
  const encoded = codec.encode({ version: 1, kind: "raft-batch", payload });
  if (encoded.kind !== "ok") throw new Error("too large");
  const decoded = codec.decode(encoded.body);
  if (decoded.kind !== "ok") throw new Error("bad frame");
  const back = raftBatchDecode(decoded.message.payload, to);
  if (back === null) throw new Error("refused");
  return encoded.body.byteLength;
}

function round(batch: RaftBatch, binary: boolean): number {
  const start = process.cpuUsage();
  for (let i = 0; i < framesPerRound; i++) roundTrip(batch, binary);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / framesPerRound;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

for (const [name, batch] of [
  ["appends (4 groups x 2 entries of 150 B)", appends()],
  ["responses (16 groups)", responses()],
] as const) {
  round(batch, false);
  round(batch, true);
  const legacy: number[] = [];
  const binary: number[] = [];
  for (let r = 0; r < rounds; r++) {
    legacy.push(round(batch, false));
    binary.push(round(batch, true));
  }
  const legacyBytes = roundTrip(batch, false);
  const binaryBytes = roundTrip(batch, true);
  console.log(
    `${name}: legacy ${median(legacy).toFixed(2)} µs/frame (${legacyBytes} B), ` +
      `binary ${median(binary).toFixed(2)} µs/frame (${binaryBytes} B): ` +
      `${(median(legacy) / median(binary)).toFixed(1)}x less CPU`,
  );
}
