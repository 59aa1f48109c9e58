// Goal: the CPU cost of encoding and decoding one CP command (a 100-byte map put), binary layout vs
// the legacy MessagePack form. Method: process CPU time (not wall time: the host is shared) over
// many calls, several rounds; read the minimum. Run: npx tsx test/runtime/command_codec_bench.ts
// (not a vitest file: it asserts nothing and is not part of `npm test`).

import { Packr } from "msgpackr";
import { type Command, commandDecode, commandEncode } from "../../src/runtime/command_codec.js";
import type { ClientId } from "../../src/types.js";

const packr = new Packr({ useRecords: false, mapsAsObjects: true, copyBuffers: true });
const value = new TextEncoder().encode("x".repeat(100));
const command: Command = {
  clientId: "client-1234-abcd" as ClientId,
  sequence: 123_456,
  logTimeMs: 1_764_000_000_000,
  operation: { structure: "map", op: "put", name: "bench", key: "k123", value },
};
const legacyEncode = (): Uint8Array =>
  packr.pack({ c: command.clientId, s: command.sequence, t: command.logTimeMs, o: command.operation });
const calls = 200_000;
const rounds = 6;

/** CPU µs per call of `f`. */
function cpuPerCall(f: () => unknown): number {
  const start = process.cpuUsage();
  for (let i = 0; i < calls; i++) f();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / calls;
}

const legacyBytes = legacyEncode();
const binaryBytes = commandEncode(command);
const best = {
  legacyEncode: Infinity,
  legacyDecode: Infinity,
  binaryEncode: Infinity,
  binaryDecode: Infinity,
};
for (let round = 0; round < rounds; round++) {
  best.legacyEncode = Math.min(best.legacyEncode, cpuPerCall(legacyEncode));
  best.legacyDecode = Math.min(
    best.legacyDecode,
    cpuPerCall(() => commandDecode(legacyBytes)),
  );
  best.binaryEncode = Math.min(
    best.binaryEncode,
    cpuPerCall(() => commandEncode(command)),
  );
  best.binaryDecode = Math.min(
    best.binaryDecode,
    cpuPerCall(() => commandDecode(binaryBytes)),
  );
}
const f = (n: number): string => n.toFixed(3);
console.log(
  `legacy (${legacyBytes.byteLength} B): encode ${f(best.legacyEncode)} µs, decode ${f(best.legacyDecode)} µs; ` +
    `binary (${binaryBytes.byteLength} B): encode ${f(best.binaryEncode)} µs, decode ${f(best.binaryDecode)} µs`,
);
