// Branded identifiers. A plain string or number never crosses a module boundary carrying an id
// (STYLE.md rule 8): the brand makes a NodeId and a ClientId different types at compile time.

declare const brand: unique symbol;

/** Attaches a compile-time brand to a primitive type. */
export type Brand<T, Name extends string> = T & { readonly [brand]: Name };

/** A cluster member's stable identity (its `--name`). Never reused. */
export type NodeId = Brand<string, "NodeId">;
/** A network address, `host:port` in production and a node name in the simulator. */
export type Address = Brand<string, "Address">;
/** A partition number in [0, P). */
export type PartitionId = Brand<number, "PartitionId">;
/** A Raft group id: 0 is the configuration group, 1 + p is partition p's group. */
export type GroupId = Brand<number, "GroupId">;
/** A Raft term. */
export type Term = Brand<number, "Term">;
/** A 1-based Raft log index; 0 means "before the first entry". */
export type LogIndex = Brand<number, "LogIndex">;
/** A client session's identity, for exactly-once commands. */
export type ClientId = Brand<string, "ClientId">;
/** A CRDT replica's identity; a replica that lost its state takes a new one. */
export type ReplicaId = Brand<string, "ReplicaId">;

/** Brands a string as a NodeId. */
export const nodeId = (value: string): NodeId => value as NodeId;
/** Brands a string as an Address. */
export const address = (value: string): Address => value as Address;
/** Brands a number as a PartitionId. */
export const partitionId = (value: number): PartitionId => value as PartitionId;
/** Brands a number as a GroupId. */
export const groupId = (value: number): GroupId => value as GroupId;
/** Brands a number as a Term. */
export const term = (value: number): Term => value as Term;
/** Brands a number as a LogIndex. */
export const logIndex = (value: number): LogIndex => value as LogIndex;
/** Brands a string as a ClientId. */
export const clientId = (value: string): ClientId => value as ClientId;
/** Brands a string as a ReplicaId. */
export const replicaId = (value: string): ReplicaId => value as ReplicaId;
