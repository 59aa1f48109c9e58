// A ClientService on a fake member host for client tests: one partition replicated here, AP
// operations that succeed at once, and every frame the service sends recorded as it was handed
// to the host (payload unencoded: an object, or the bytes of the binary form).

import { silentLogger } from "../../src/env/logger.js";
import { limitsDefault } from "../../src/limits.js";
import type { Operation } from "../../src/protocol/client/operations.js";
import type { WireMessage } from "../../src/protocol/wire/index.js";
import { type ClientHost, ClientService } from "../../src/runtime/client_service.js";
import type { MachineResult } from "../../src/structures/machine.js";
import type { Address, NodeId } from "../../src/types.js";

const limits = limitsDefault();

/**
 * A client service whose AP operations succeed with the number of writes applied so far (7 for
 * reads); it records each frame it sends.
 */
export function serviceWithFakeHost(): {
  service: ClientService;
  frames: WireMessage<unknown>[];
  applied: () => number;
} {
  const frames: WireMessage<unknown>[] = [];
  let writes = 0;
  const later: (() => void)[] = [];
  const table = {
    version: 1,
    partitionCount: 1,
    partitions: [{ partition: 0, replicas: ["m1"] }],
  };
  const host = {
    nodeId: "m1" as NodeId,
    cluster: {
      clusterName: "shoal",
      members: [{ nodeId: "m1", address: "127.0.0.1:1", adminAddress: "" }],
      table,
    },
    groups: new Map(),
    options: { limits, requestTimeoutMsMax: 10_000, hooks: {} },
    environment: {
      clock: {
        nowMs: () => 0,
        wallMs: () => 0,
        after: (_ms: number, callback: () => void) => {
          later.push(callback);
          return () => {};
        },
      },
    },
    logger: silentLogger,
    stats: { proposals: 0 },
    ap: {
      replicates: () => true,
      operation: (_partition: number, _operation: Operation, readOnly: boolean): MachineResult => {
        if (readOnly) return { kind: "ok", result: 7 };
        writes += 1;
        return { kind: "ok", result: writes };
      },
    },
    addressOf: () => "127.0.0.1:1" as Address,
    frameSend: (_to: Address, message: WireMessage<unknown>) => {
      // A binary payload is a view of the service's encoder buffer, reused by its next answer: a
      // real host encodes it into a frame at once, so the record keeps a copy.
      const payload = message.payload;
      frames.push(payload instanceof Uint8Array ? { ...message, payload: payload.slice() } : message);
      return true;
    },
  } as unknown as ClientHost;
  return { service: new ClientService(host), frames, applied: () => writes };
}
