// Goal: a WAL writer killed with SIGKILL in the middle of its appends loses nothing it
// acknowledged, and its log reopens with contiguous, intact entries (issue 6: "survive kill -9").
// Method: a real child process (wal_writer_child.ts) appends synced batches to real files and
// prints each acknowledgement; this process kills it by PID once it has read enough of them (where
// in its write path the kill lands is up to the scheduler), then reopens the WAL and checks every entry up to the last acknowledgement it read, and that a second writer can
// carry on after the first one's tail.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { bytesEqual } from "../../src/lib/bytes.js";
import { nodeCrc32 } from "../../src/platform/node/node_checksum.js";
import { NodeDisk } from "../../src/platform/node/node_disk.js";
import { Wal } from "../../src/storage/wal.js";
import { groupId } from "../../src/types.js";
import { killConfig, killPayload } from "./wal_kill_shared.js";

function writerStart(root: string): { child: ChildProcess; acked: () => number } {
  const script = resolve(import.meta.dirname, "wal_writer_child.ts");
  const child = spawn(process.execPath, ["--import", "tsx", script, root], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let acked = 0;
  let pending = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    pending += chunk.toString("utf8");
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) acked = Math.max(acked, Number(line.slice("acked ".length)));
  });
  return { child, acked: () => acked };
}

async function killAfter(root: string, ackedAtLeast: number): Promise<number> {
  const { child, acked } = writerStart(root);
  try {
    const started = performance.now();
    while (acked() < ackedAtLeast) {
      if (child.exitCode !== null) throw new Error(`writer exited with ${child.exitCode}`);
      if (performance.now() - started > 30_000) throw new Error("writer too slow");
      await new Promise((done) => setTimeout(done, 2));
    }
  } finally {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGKILL");
  }
  await new Promise((done) => child.once("exit", done));
  return acked();
}

function verify(root: string, acked: number): number {
  const disk = new NodeDisk({ root, descriptorsOpenMax: 8 });
  try {
    const { recovery } = Wal.open(disk, killConfig, { checksum: nodeCrc32 });
    const entries = recovery.groups.find((group) => group.group === groupId(1))?.entries ?? [];
    expect(entries.length).toBeGreaterThanOrEqual(acked);
    const wrong = entries.filter(
      (entry, i) => entry.index !== i + 1 || !bytesEqual(entry.payload, killPayload(i + 1)),
    );
    expect(wrong.map((entry) => entry.index)).toEqual([]);
    return entries.length;
  } finally {
    disk.close();
  }
}

describe("WAL under kill -9 (real process, real files)", () => {
  it("keeps every acknowledged entry across two killed writers", async () => {
    const root = mkdtempSync(join(tmpdir(), "shoal-wal-kill-"));
    try {
      const firstAcked = await killAfter(root, 600);
      const firstKept = verify(root, firstAcked);
      const secondAcked = await killAfter(root, firstKept + 700);
      verify(root, secondAcked);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
