// Three ApServices (the member's AP layer) in one process, on fake hosts whose frames go through
// the real wire codec and wait in `wire` until the caller delivers them; every partition is
// replicated on all three. Shared by the AP replication tests and scripts/ap_replication_cpu.ts.

import type { Environment } from "../../src/env/environment.js";
import { silentLogger } from "../../src/env/logger.js";
import type { PartitionTable } from "../../src/protocol/placement/index.js";
import type { WireCodec, WireMessage } from "../../src/protocol/wire/index.js";
import { ApService, memberReplicatorConfig } from "../../src/runtime/ap_service.js";
import { type Address, type NodeId, nodeId, type PartitionId } from "../../src/types.js";

/** One encoded frame on its way. */
export interface Sent {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly body: Uint8Array;
}

/** The three members' names, n1 to n3. */
export const trioNames = [nodeId("n1"), nodeId("n2"), nodeId("n3")] as const;

/** Three started ApServices replicating `partitions` partitions; seeds are seedBase + 0..2. */
export function apTrio(
  codec: WireCodec,
  partitions: number,
  seedBase: number,
): { services: Map<NodeId, ApService>; wire: Sent[] } {
  const wire: Sent[] = [];
  const services = new Map<NodeId, ApService>();
  const table: PartitionTable = {
    version: 1,
    partitionCount: partitions,
    replicaCountMax: 3,
    members: [...trioNames],
    partitions: Array.from({ length: partitions }, (_, p) => ({
      partition: p as PartitionId,
      version: 1,
      replicas: [...trioNames],
      learners: [],
    })),
  };
  trioNames.forEach((self, i) => {
    const environment = {
      seed: seedBase + i,
      logger: silentLogger,
      clock: { wallMs: () => 1_000, nowMs: () => 1_000 },
    };
    const host = {
      nodeId: self,
      environment: environment as unknown as Environment,
      addressOf: (node: NodeId) => node as string as Address,
      frameSend: (to: Address, message: WireMessage<unknown>) => {
        const encoded = codec.encode(message as WireMessage);
        if (encoded.kind !== "ok") return false;
        wire.push({ from: self, to: to as string as NodeId, body: encoded.body });
        return true;
      },
    };
    services.set(self, new ApService(host, memberReplicatorConfig()));
  });
  for (const service of services.values()) {
    service.start(table);
    for (const [node, other] of services) service.peerReplicaSeen(node, other.replicaId);
  }
  return { services, wire };
}
