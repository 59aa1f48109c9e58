// What an asynchronous fdatasync costs the calling thread: writes 4 KiB to a scratch file and
// hands fs.fdatasync to libuv's thread pool, N times in a row, timing the call itself (the
// hand-off: queueing the request and waking a pool thread), the write before it and the whole
// sync. On a small VM the hand-off alone is tens of µs, paid on the member's event loop per WAL sync.
// Run: npx tsx scripts/fsync_handoff.ts [rounds=300]

import { closeSync, fdatasync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const roundsMax = 10_000;
const rounds = Number(process.argv[2] ?? 300);
if (!(Number.isSafeInteger(rounds) && rounds >= 1 && rounds <= roundsMax)) throw new Error("bad rounds");
const folder = mkdtempSync(join(tmpdir(), "shoal-fsync-"));
const fd = openSync(join(folder, "probe"), "w");
const block = Buffer.alloc(4096, 1);
let callNs = 0;
let writeNs = 0;
let syncNs = 0;

function round(done: number): void {
  const writeStart = process.hrtime.bigint();
  writeSync(fd, block);
  const callStart = process.hrtime.bigint();
  fdatasync(fd, (error) => {
    if (error !== null) throw error;
    syncNs += Number(process.hrtime.bigint() - callStart);
    if (done + 1 < rounds) return round(done + 1);
    closeSync(fd);
    rmSync(folder, { recursive: true, force: true });
    const us = (ns: number): string => (ns / rounds / 1_000).toFixed(1);
    console.log(
      `${rounds} rounds: fdatasync hand-off ${us(callNs)} µs, 4 KiB write ${us(writeNs)} µs, ` +
        `sync until its callback ${us(syncNs)} µs (means)`,
    );
  });
  const callEnd = process.hrtime.bigint();
  callNs += Number(callEnd - callStart);
  writeNs += Number(callStart - writeStart);
}

round(0);
