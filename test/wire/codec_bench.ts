// Measures encode + decode round trips per second of one AppendEntries-like message (7 scalars,
// 4 entries of 128 B), the figure STACK.md measured for plain msgpackr (160k/s). Not a test: run
// it by hand with `npx tsx test/wire/codec_bench.ts [roundTripsPerBatch]`. Method: warm up, then
// time five batches of round trips and report the median rate by wall clock and by this process's
// CPU time (process.cpuUsage), with the body size. On a shared machine the CPU-time rate is the
// steadier of the two.

import { limitsDefault } from "../../src/limits.js";
import { type WireMessage, WireCodec, wireVersion } from "../../src/protocol/wire/index.js";
import { groupId } from "../../src/types.js";

/** Builds the benchmark message: 7 scalars and 4 entries of 128 bytes each. */
export function appendEntriesLike(): WireMessage {
  const entries = [];
  for (let i = 0; i < 4; i++) {
    const data = new Uint8Array(128);
    for (let j = 0; j < data.length; j++) data[j] = (i * 31 + j * 7) & 0xff;
    entries.push({ term: 7, index: 1042 + i, data });
  }
  const payload = {
    type: "append-entries",
    term: 7,
    from: "n1",
    to: "n2",
    prevLogIndex: 1041,
    prevLogTerm: 6,
    commitIndex: 1039,
    entries,
  };
  return { version: wireVersion, kind: "raft", group: groupId(12), payload };
}

function roundTrips(codec: WireCodec, message: WireMessage, count: number): number {
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const encoded = codec.encode(message);
    if (encoded.kind !== "ok") throw new Error("benchmark message does not fit");
    const decoded = codec.decode(encoded.body);
    if (decoded.kind !== "ok") throw new Error(`benchmark message does not decode: ${decoded.detail}`);
    bytes += encoded.body.byteLength;
  }
  return bytes;
}

function main(): void {
  const count = Number(process.argv[2] ?? 200_000);
  const codec = new WireCodec({ frameBytesMax: limitsDefault().frameBytesMax });
  const message = appendEntriesLike();
  roundTrips(codec, message, Math.min(count, 50_000));
  const rates: number[] = [];
  const cpuRates: number[] = [];
  for (let batch = 0; batch < 5; batch++) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    roundTrips(codec, message, count);
    const cpu = process.cpuUsage(cpuStart);
    rates.push(count / ((performance.now() - start) / 1000));
    cpuRates.push(count / ((cpu.user + cpu.system) / 1e6));
  }
  rates.sort((a, b) => a - b);
  cpuRates.sort((a, b) => a - b);
  const encoded = codec.encode(message);
  const bodyBytes = encoded.kind === "ok" ? encoded.body.byteLength : -1;
  const median = Math.round(rates[2]!);
  console.log(`wire round trips/s (encode+decode, AppendEntries-like, ${bodyBytes} B body): ${median}`);
  console.log(`per CPU second: ${Math.round(cpuRates[2]!)}`);
  console.log(`batches: ${rates.map((rate) => Math.round(rate)).join(" ")}`);
}

main();
