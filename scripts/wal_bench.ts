// Measures durable WAL appends per second on real files (NodeDisk): 1 KiB entries, one sync per
// batch of 1 and of 64 (group commit), plus the latency of one 1 KiB write + fdatasync. Each
// figure runs for a fixed time (bounded in count too) in a fresh temporary folder on the same file
// system as os.tmpdir(). Usage: npx tsx scripts/wal_bench.ts [secondsPerFigure]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { NodeDisk } from "../src/platform/node/node_disk.js";
import { nodeCrc32 } from "../src/platform/node/node_checksum.js";
import { Wal, walConfigDefault } from "../src/storage/wal.js";
import { groupId, logIndex, term } from "../src/types.js";

const secondsPerFigure = Number(process.argv[2] ?? 3);
const entryBytes = 1024;
const entriesMax = 2_000_000;

function withDisk<T>(body: (disk: NodeDisk) => T): T {
  const root = mkdtempSync(join(tmpdir(), "shoal-wal-bench-"));
  const disk = new NodeDisk({ root, descriptorsOpenMax: 16 });
  try {
    return body(disk);
  } finally {
    disk.close();
    rmSync(root, { recursive: true, force: true });
  }
}

function appendsPerSecond(batchCount: number): { rate: number; entries: number; segments: number } {
  return withDisk((disk) => {
    const { wal } = Wal.open(disk, walConfigDefault("bench"), { checksum: nodeCrc32 });
    const payload = new Uint8Array(entryBytes).fill(0x42);
    const groups = 8; // Entries spread over groups, as a member's log serves many.
    const nextIndex = new Array<number>(groups).fill(1);
    let entries = 0;
    const started = performance.now();
    const deadline = started + secondsPerFigure * 1000;
    while (performance.now() < deadline && entries < entriesMax) {
      for (let i = 0; i < batchCount; i++) {
        const group = (entries + i) % groups;
        wal.append(groupId(group), [{ index: logIndex(nextIndex[group]!), term: term(1), payload }]);
        nextIndex[group]! += 1;
      }
      wal.sync(); // Acknowledged only now: one fdatasync per batch.
      entries += batchCount;
    }
    const seconds = (performance.now() - started) / 1000;
    return { rate: entries / seconds, entries, segments: wal.stats.segmentsCreated };
  });
}

function fdatasyncLatency(): { medianMs: number; p99Ms: number; samples: number } {
  return withDisk((disk) => {
    const block = new Uint8Array(entryBytes).fill(7);
    disk.truncate("latency.bin", 64 * 1024 * 1024);
    disk.sync("latency.bin");
    const samples: number[] = [];
    const deadline = performance.now() + secondsPerFigure * 1000;
    for (let i = 0; performance.now() < deadline && i < 100_000; i++) {
      disk.write("latency.bin", (i * entryBytes) % (64 * 1024 * 1024), block);
      const started = performance.now();
      disk.sync("latency.bin");
      samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);
    const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
    return { medianMs: at(0.5), p99Ms: at(0.99), samples: samples.length };
  });
}

const format = (value: number) => Math.round(value).toLocaleString("en-US");
for (const batch of [1, 64]) {
  const result = appendsPerSecond(batch);
  console.log(
    `wal durable appends/s, ${entryBytes} B entries, batch ${batch}: ${format(result.rate)} (${format(result.entries)} entries, ${result.segments} segments)`,
  );
}
const latency = fdatasyncLatency();
console.log(
  `fdatasync after a ${entryBytes} B write: median ${latency.medianMs.toFixed(3)} ms, p99 ${latency.p99Ms.toFixed(3)} ms (${latency.samples} samples)`,
);
