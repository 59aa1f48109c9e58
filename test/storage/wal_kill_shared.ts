// What the kill -9 test and its child agree on: the WAL's sizes and each entry's payload.

import type { WalConfig } from "../../src/storage/wal.js";

/** Small segments, so the child rolls many times before it is killed. */
export const killConfig: WalConfig = {
  folder: "member",
  segmentBytes: 64 * 1024,
  recordPayloadBytesMax: 4 * 1024,
  bufferBytesMax: 16 * 1024,
  groupsMax: 4,
  hardStateSlotBytes: 4096,
};

/** The payload of entry `index`: its own index, so any misplaced or altered entry shows. */
export function killPayload(index: number): Uint8Array {
  const payload = new Uint8Array(64 + (index % 200));
  new DataView(payload.buffer).setUint32(0, index);
  payload.fill(index % 251, 4);
  return payload;
}
