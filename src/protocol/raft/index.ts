// The public face of the Raft core. See README.md for the state diagram and the driver loop.

export { raftConfigDefault, raftConfigValidate, raftMutantsNone } from "./config.js";
export { confChangeApply, confChangeRefusal, describeConfig, quorumSize } from "./membership.js";
export { RaftNode } from "./raft.js";
export { entryBytes } from "./raft_log.js";
export { configOfVoters, MemoryStorage } from "./storage.js";
export type { RaftConfig, RaftMutants, ReadMode } from "./config.js";
export type { PeerUnreachableResult, TransferResult } from "./raft.js";
export type { Storage } from "./storage.js";
export type {
  ConfChange,
  ConfigState,
  Entry,
  HardState,
  LeaseReadResult,
  Message,
  MessageType,
  ProgressState,
  ProposeResult,
  Ready,
  ReadResult,
  ReadState,
  Role,
  Snapshot,
  SnapshotMeta,
  SoftState,
  Status,
} from "./types.js";
