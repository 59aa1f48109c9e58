// Adapters from the bench's operations to each system's client: Shoal through `connect()`, etcd
// through the etcd3 client (linearizable gets, its default), Redis through ioredis. One client
// per system, shared by every worker, as an application would hold it.

import { Etcd3 } from "etcd3";
import { Redis } from "ioredis";
import { connect, type Shoal } from "../src/index.js";
import type { Target } from "./scenarios.js";

/** Bounds of the adapters; units last. */
export const targetLimits = {
  /** Operation timeout given to every client. */
  operationTimeoutMs: 10_000,
  /** Most compare-and-swap rounds of the etcd transaction counter before it gives up. */
  etcdTxnRetriesMax: 1_000,
  /** Lease of a lock acquired by the lock scenario. */
  lockTtlMs: 10_000,
  /** Distinct elements the set scenario adds to each set, in turn (bounds every set's size). */
  setElements: 100,
} as const;

/** The element of the `n`-th set add: both sides add the same sequence of elements. */
export function setElement(n: number): string {
  return `m${n % targetLimits.setElements}`;
}

/** The Shoal map the bench writes. */
export const benchMapName = "bench-map";

/** Shoal's operations over one connected client. */
export function shoalTarget(shoal: Shoal): Target {
  const map = shoal.map<string>(benchMapName);
  let adds = 0;
  return {
    name: "Shoal",
    ops: {
      put: (key, value) => map.put(key, value),
      get: async (key) => {
        await map.get(key);
      },
      incr: async (key) => {
        await shoal.counter(`ctr-${key}`).increment(1);
      },
      sadd: (key) => shoal.set(`set-${key}`).add(setElement(adds++)),
      atomic: async (key) => {
        await shoal.atomicLong(`seq-${key}`).incrementAndGet();
      },
      lock: async (key) => {
        const lease = await shoal.lock(`lock-${key}`).acquire({ ttlMs: targetLimits.lockTtlMs });
        await lease.release();
      },
    },
  };
}

/** Connects a Shoal client to `endpoints`. */
export function connectShoal(endpoints: readonly string[], secret: string): Promise<Shoal> {
  return connect({ endpoints, secret, timeoutMs: targetLimits.operationTimeoutMs });
}

/** An etcd client for `hosts`. */
export function etcdClient(hosts: readonly string[]): Etcd3 {
  return new Etcd3({ hosts: [...hosts], dialTimeout: targetLimits.operationTimeoutMs });
}

/** Counter by transaction: read value and mod revision, then put if the revision is unchanged. */
async function etcdTxnIncrement(client: Etcd3, key: string): Promise<void> {
  for (let attempt = 0; attempt < targetLimits.etcdTxnRetriesMax; attempt++) {
    const response = await client.get(key).exec();
    const kv = response.kvs[0];
    const current = kv === undefined ? 0 : Number(kv.value.toString());
    const revision = kv === undefined ? "0" : kv.mod_revision;
    const txn = await client
      .if(key, "Mod", "==", revision)
      .then(client.put(key).value(String(current + 1)))
      .commit();
    if (txn.succeeded) return;
  }
  throw new Error(`etcd txn counter: ${targetLimits.etcdTxnRetriesMax} conflicting rounds on ${key}`);
}

/** etcd's operations over one client. */
export function etcdTarget(client: Etcd3): Target {
  return {
    name: "etcd",
    ops: {
      put: async (key, value) => {
        await client.put(`map/${key}`).value(value);
      },
      get: async (key) => {
        await client.get(`map/${key}`).string();
      },
      atomic: (key) => etcdTxnIncrement(client, `seq/${key}`),
      lock: async (key) => {
        const lock = client.lock(`lock/${key}`).ttl(Math.ceil(targetLimits.lockTtlMs / 1_000));
        await lock.acquire();
        await lock.release();
      },
    },
  };
}

/** Whether the etcd cluster at `hosts` accepts a write and a linearizable read. */
export async function etcdReady(hosts: readonly string[]): Promise<boolean> {
  const client = etcdClient(hosts);
  try {
    await client.put("bench/ready").value("1");
    return (await client.get("bench/ready").string()) === "1";
  } finally {
    client.close();
  }
}

/** A Redis client for `port` on 127.0.0.1. */
export function redisClient(port: number): Redis {
  const client = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 1 });
  // Connection errors surface as rejected commands; without a listener ioredis also prints them.
  client.on("error", () => undefined);
  return client;
}

/** Redis's operations over one client; `label` names the fsync mode. */
export function redisTarget(client: Redis, label: string): Target {
  let adds = 0;
  return {
    name: `Redis ${label}`,
    ops: {
      incr: async (key) => {
        await client.incr(`ctr/${key}`);
      },
      sadd: async (key) => {
        await client.sadd(`set/${key}`, setElement(adds++));
      },
    },
  };
}

/** Whether a redis-server answers PING on `port`. */
export async function redisReady(port: number): Promise<boolean> {
  const client = redisClient(port);
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } finally {
    client.disconnect();
  }
}
