// The public face of the member runtime: the multi-Raft host that wires the pure cores to an
// Environment. See README.md for the tick loop, formation, durability and the client protocol.

export { ApService, memberReplicatorConfig } from "./ap_service.js";
export { ClientService } from "./client_service.js";
export { clientRequestCheck } from "./client_request.js";
export { clusterConfigBuild, configGroupVoters, configGroupVotersMax, Formation } from "./formation.js";
export { Member } from "./member.js";
export { memberOptionsDefault } from "./member_options.js";
export { RaftGroup } from "./raft_group.js";
export { memberStatusOf } from "./status.js";
export type { ApHost } from "./ap_service.js";
export type { ClientHost } from "./client_service.js";
export type { ClientRequestCheck } from "./client_request.js";
export type { ClusterConfig, ClusterMember, Command, DataSnapshot, Hello, RaftBatch } from "./codec.js";
export type { MemberHooks, MemberOptions, MemberStats } from "./member_options.js";
export type { Applied, RaftGroupOptions } from "./raft_group.js";
export type { MemberStatus, MemberStatusGroup, MemberStatusPeer, StatusSource } from "./status.js";
