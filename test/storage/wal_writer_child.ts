// A child process for the kill -9 test: appends entries to group 1 of a WAL in `argv[2]` in
// synced batches of 8, forever (bounded), printing "acked N" after each sync. The parent kills it
// with SIGKILL at a random moment and checks that every acknowledged entry survived.

import { NodeDisk } from "../../src/platform/node/node_disk.js";
import { nodeCrc32 } from "../../src/platform/node/node_checksum.js";
import { Wal } from "../../src/storage/wal.js";
import { groupId, logIndex, term } from "../../src/types.js";
import { killConfig, killPayload } from "./wal_kill_shared.js";

const root = process.argv[2];
if (root === undefined) throw new Error("usage: wal_writer_child.ts ROOT");
const { wal } = Wal.open(new NodeDisk({ root, descriptorsOpenMax: 8 }), killConfig, { checksum: nodeCrc32 });
let next = wal.lastIndex(groupId(1)) + 1;
for (let batch = 0; batch < 1_000_000; batch++) {
  const entries = Array.from({ length: 8 }, (_, i) => ({
    index: logIndex(next + i),
    term: term(1),
    payload: killPayload(next + i),
  }));
  wal.append(groupId(1), entries);
  wal.sync();
  next += 8;
  process.stdout.write(`acked ${next - 1}\n`);
  if (batch % 64 === 63) await new Promise((resolve) => setImmediate(resolve)); // Let stdout drain.
}
