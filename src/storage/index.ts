export { atomicFileRead, atomicFileWrite, AtomicFileKind } from "./atomic_file.js";
export { Wal, walConfigDefault } from "./wal.js";
export type { HardState, Snapshot } from "./hard_state.js";
export type { Checksum } from "./segment.js";
export type { SnapshotLogMode, WalConfig, WalOptions, WalRecovery, WalStats } from "./wal.js";
export type { GroupRecovery, WalEntry, WalTaggedEntry } from "./wal_recovery.js";
