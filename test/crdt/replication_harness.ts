// A small in-memory harness for Replicator tests: replicas by index, a pool of in-flight
// messages the test delivers, drops, duplicates or reorders at will, and a reliable drain.

import { Prng } from "../../src/lib/prng.js";
import { hlcConfigDefault } from "../../src/protocol/clock/index.js";
import { type CrdtMutants, MUTANTS_NONE } from "../../src/protocol/crdt/index.js";
import {
  type ReplicationMessage,
  Replicator,
  type ReplicatorConfig,
} from "../../src/protocol/replication/index.js";
import { replicaId } from "../../src/types.js";

/** A replicator configuration for tests; `overrides` replace single fields. */
export function testConfig(
  overrides: Partial<ReplicatorConfig> = {},
  mutants: CrdtMutants = MUTANTS_NONE,
): ReplicatorConfig {
  return {
    mode: "delta",
    gossipIntervalTicks: 1,
    antiEntropyIntervalTicks: 0,
    deltaBufferEntriesMax: 1_024,
    retransmitTicks: 1,
    leafStatesEntriesMax: 4_096,
    merkle: { fanout: 16, depth: 2 },
    hlc: hlcConfigDefault(),
    mutants,
    ...overrides,
  };
}

/** Wall time every test replica reports (the HLC needs one; drift is tested elsewhere). */
export const testWallMs = 1_000_000;

/** Replicas wired through an explicit message pool. */
export class TestCluster {
  readonly replicas: Replicator[];
  pool: ReplicationMessage[] = [];

  constructor(count: number, config: ReplicatorConfig, seed = 1) {
    this.replicas = Array.from(
      { length: count },
      (_, i) => new Replicator(replicaId(`r${i}`), config, Prng.derive(seed, `r${i}`)),
    );
    for (const replica of this.replicas) {
      replica.setPeers(this.replicas.filter((other) => other !== replica).map((other) => other.self));
    }
  }

  /** Ticks every replica and moves their output into the pool. */
  tick(): void {
    for (const replica of this.replicas) replica.tick();
    this.collect();
  }

  /** Delivers one message from the pool (by index), moving any replies into the pool. */
  deliver(index: number): void {
    const [message] = this.pool.splice(index, 1);
    if (message === undefined) return;
    this.byId(message.to)?.step(message, testWallMs);
    this.collect();
  }

  /** Ticks and delivers everything, reliably and in order, until every replica is quiet. */
  drain(roundsMax: number): number {
    for (let round = 0; round < roundsMax; round++) {
      if (this.pool.length === 0 && this.replicas.every((replica) => replica.isQuiet())) return round;
      this.tick();
      while (this.pool.length > 0) this.deliver(0);
    }
    throw new Error(`not quiet after ${roundsMax} rounds`);
  }

  private byId(id: string): Replicator | undefined {
    return this.replicas.find((replica) => replica.self === id);
  }

  private collect(): void {
    for (const replica of this.replicas) this.pool.push(...replica.takeOutbox());
  }
}
