// The structure handles a user holds: thin, typed faces over ClientCore.execute. They encode user
// values (msgpackr, plain data) and decode results; all routing and retrying is the core's. A
// handle is cheap and holds no state beyond its name, so `shoal.map("x")` may be called freely.

import { randomUUID } from "node:crypto";
import { Packr } from "msgpackr";
import { AbortedError, BadInputError, ShoalError, TimeoutError } from "../errors.js";
import type { ClientResult } from "../protocol/client/messages.js";
import type { Operation } from "../protocol/client/operations.js";
import type { OperationOptions } from "./client.js";

/** What a handle needs: something that runs operations (the remote client or an embedded member). */
export interface OperationRunner {
  execute(operation: Operation, options?: OperationOptions): Promise<ClientResult>;
  readonly timeoutMsDefault: number;
}

// Deterministic encoding (no records, no shared structures): equal plain values give equal bytes,
// which compareAndSet relies on.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, copyBuffers: true });

/** Encodes a map value. */
export function valueEncode(value: unknown): Uint8Array {
  if (value === undefined) throw new BadInputError("a map value cannot be undefined");
  return packr.pack(value);
}

/** Decodes a map value. */
export function valueDecode<V>(bytes: Uint8Array): V {
  return packr.unpack(bytes) as V;
}

function unexpected(what: string, result: ClientResult): ShoalError {
  return new ShoalError("INTERNAL", `unexpected ${what} result: ${JSON.stringify(result)}`);
}

function asNumber(what: string, result: ClientResult): number {
  if (typeof result !== "number") throw unexpected(what, result);
  return result;
}

function asBoolean(what: string, result: ClientResult): boolean {
  if (typeof result !== "boolean") throw unexpected(what, result);
  return result;
}

function checkInteger(label: string, value: number): void {
  if (!Number.isSafeInteger(value)) throw new BadInputError(`${label} must be a safe integer, not ${value}`);
}

/** A CP map: linearizable get/put/delete/compareAndSet per key. */
export class ShoalMap<V> {
  constructor(
    private readonly runner: OperationRunner,
    readonly name: string,
  ) {}

  /** The value of `key`, or undefined when absent. */
  async get(key: string, options?: OperationOptions): Promise<V | undefined> {
    const result = await this.runner.execute({ structure: "map", op: "get", name: this.name, key }, options);
    if (result === null) return undefined;
    if (!(result instanceof Uint8Array)) throw unexpected("map.get", result);
    return valueDecode<V>(result);
  }

  /** Sets `key` to `value`. */
  async put(key: string, value: V, options?: OperationOptions): Promise<void> {
    const operation: Operation = {
      structure: "map",
      op: "put",
      name: this.name,
      key,
      value: valueEncode(value),
    };
    await this.runner.execute(operation, options);
  }

  /** Deletes `key`; resolves whether it existed. */
  async delete(key: string, options?: OperationOptions): Promise<boolean> {
    const result = await this.runner.execute(
      { structure: "map", op: "delete", name: this.name, key },
      options,
    );
    return asBoolean("map.delete", result);
  }

  /**
   * Sets `key` to `value` if it currently holds `expected` (compared as encoded bytes; `undefined`
   * means absent, and a `value` of undefined deletes). Resolves whether it swapped.
   */
  async compareAndSet(
    key: string,
    expected: V | undefined,
    value: V | undefined,
    options?: OperationOptions,
  ): Promise<boolean> {
    const operation: Operation = {
      structure: "map",
      op: "cas",
      name: this.name,
      key,
      expected: expected === undefined ? null : valueEncode(expected),
      value: value === undefined ? null : valueEncode(value),
    };
    return asBoolean("map.compareAndSet", await this.runner.execute(operation, options));
  }
}

/** A CP 64-bit-safe integer (JavaScript safe integers; overflow is refused). */
export class AtomicLong {
  constructor(
    private readonly runner: OperationRunner,
    readonly name: string,
  ) {}

  /** The current value (0 if never set). */
  async get(options?: OperationOptions): Promise<number> {
    return asNumber(
      "atomic.get",
      await this.runner.execute({ structure: "atomic-long", op: "get", name: this.name }, options),
    );
  }

  /** Adds `delta` and resolves the new value. */
  async addAndGet(delta: number, options?: OperationOptions): Promise<number> {
    checkInteger("delta", delta);
    const operation: Operation = { structure: "atomic-long", op: "add", name: this.name, delta };
    return asNumber("atomic.add", await this.runner.execute(operation, options));
  }

  /** Adds one and resolves the new value. */
  incrementAndGet(options?: OperationOptions): Promise<number> {
    return this.addAndGet(1, options);
  }

  /** Subtracts one and resolves the new value. */
  decrementAndGet(options?: OperationOptions): Promise<number> {
    return this.addAndGet(-1, options);
  }

  /** Sets the value. */
  async set(value: number, options?: OperationOptions): Promise<void> {
    checkInteger("value", value);
    await this.runner.execute({ structure: "atomic-long", op: "set", name: this.name, value }, options);
  }

  /** Sets `value` if the current value is `expected`; resolves whether it swapped. */
  async compareAndSet(expected: number, value: number, options?: OperationOptions): Promise<boolean> {
    checkInteger("expected", expected);
    checkInteger("value", value);
    const operation: Operation = { structure: "atomic-long", op: "cas", name: this.name, expected, value };
    return asBoolean("atomic.compareAndSet", await this.runner.execute(operation, options));
  }
}

/** Options of {@link ShoalLock.acquire}. */
export interface AcquireOptions extends OperationOptions {
  /** How long the lease lasts unless renewed, judged by the cluster's log time. */
  readonly ttlMs: number;
}

/** A held lease. Pass `fence` to every resource you write: it only grows across holders. */
export class Lease {
  constructor(
    private readonly runner: OperationRunner,
    readonly name: string,
    readonly owner: string,
    /** The fencing token: the log index that granted the lease. */
    readonly fence: number,
    /** Cluster log time at which the lease lapses unless renewed. */
    public expiresAtMs: number,
  ) {}

  /** Extends the lease by `ttlMs` from now; resolves false if it was lost (expired or taken). */
  async renew(ttlMs: number, options?: OperationOptions): Promise<boolean> {
    checkInteger("ttlMs", ttlMs);
    const operation: Operation = {
      structure: "lock",
      op: "renew",
      name: this.name,
      owner: this.owner,
      fence: this.fence,
      ttlMs,
    };
    return asBoolean("lock.renew", await this.runner.execute(operation, options));
  }

  /** Releases the lease; resolves whether it was still held. */
  async release(options?: OperationOptions): Promise<boolean> {
    const operation: Operation = {
      structure: "lock",
      op: "release",
      name: this.name,
      owner: this.owner,
      fence: this.fence,
    };
    return asBoolean("lock.release", await this.runner.execute(operation, options));
  }
}

/** Most time between two tries of a contended acquire. */
const acquirePollMsMax = 250;

/** A CP lease-based lock with fencing tokens. */
export class ShoalLock {
  constructor(
    private readonly runner: OperationRunner,
    readonly name: string,
  ) {}

  /** One try: the lease, or null if another holder has it. */
  async tryAcquire(options: AcquireOptions): Promise<Lease | null> {
    return this.acquireAs(`${randomUUID()}`, options);
  }

  /**
   * Waits for the lock until the timeout (TimeoutError) or the signal (AbortedError), then
   * resolves the lease.
   */
  async acquire(options: AcquireOptions): Promise<Lease> {
    const timeoutMs = options.timeoutMs ?? this.runner.timeoutMsDefault;
    const deadlineMs = Date.now() + timeoutMs;
    const owner = randomUUID();
    for (let attempt = 0; ; attempt++) {
      const remainingMs = Math.floor(deadlineMs - Date.now());
      if (remainingMs <= 0) throw new TimeoutError(timeoutMs);
      const lease = await this.acquireAs(owner, { ...options, timeoutMs: remainingMs });
      if (lease !== null) return lease;
      const waitMs = Math.min(
        acquirePollMsMax,
        10 * 2 ** Math.min(attempt, 5),
        Math.max(0, deadlineMs - Date.now()),
      );
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      if (options.signal?.aborted === true) throw new AbortedError();
    }
  }

  private async acquireAs(owner: string, options: AcquireOptions): Promise<Lease | null> {
    checkInteger("ttlMs", options.ttlMs);
    const operation: Operation = {
      structure: "lock",
      op: "acquire",
      name: this.name,
      owner,
      ttlMs: options.ttlMs,
    };
    const result = await this.runner.execute(operation, options);
    if (typeof result !== "object" || result === null || !("acquired" in result))
      throw unexpected("lock.acquire", result);
    if (!result.acquired) return null;
    return new Lease(this.runner, this.name, owner, result.fence, result.expiresAtMs);
  }

  /** Whether the lock is held, and the fence of its latest grant. */
  async status(options?: OperationOptions): Promise<{ held: boolean; fence: number }> {
    const result = await this.runner.execute({ structure: "lock", op: "status", name: this.name }, options);
    if (typeof result !== "object" || result === null || !("held" in result))
      throw unexpected("lock.status", result);
    return { held: result.held, fence: result.fence };
  }
}

/** An AP counter (PN-counter): always writable, converges after partitions heal. */
export class ShoalCounter {
  constructor(
    private readonly runner: OperationRunner,
    readonly name: string,
  ) {}

  /** Adds `n` (default 1, may be negative); resolves the value seen at the contacted replica. */
  async increment(n = 1, options?: OperationOptions): Promise<number> {
    checkInteger("n", n);
    const operation: Operation = { structure: "counter", op: "add", name: this.name, delta: n };
    return asNumber("counter.add", await this.runner.execute(operation, options));
  }

  /** Subtracts `n` (default 1). */
  decrement(n = 1, options?: OperationOptions): Promise<number> {
    return this.increment(-n, options);
  }

  /** The value at the contacted replica. */
  async value(options?: OperationOptions): Promise<number> {
    return asNumber(
      "counter.get",
      await this.runner.execute({ structure: "counter", op: "get", name: this.name }, options),
    );
  }
}

/** An AP add-wins set of strings (OR-set). */
export class ShoalSet<T extends string = string> {
  constructor(
    private readonly runner: OperationRunner,
    readonly name: string,
  ) {}

  /** Adds `element`. */
  async add(element: T, options?: OperationOptions): Promise<void> {
    await this.runner.execute({ structure: "set", op: "add", name: this.name, element }, options);
  }

  /** Removes `element` (the adds this replica has seen; a concurrent add wins). */
  async remove(element: T, options?: OperationOptions): Promise<void> {
    await this.runner.execute({ structure: "set", op: "remove", name: this.name, element }, options);
  }

  /** The elements at the contacted replica, sorted. */
  async values(options?: OperationOptions): Promise<T[]> {
    const result = await this.runner.execute({ structure: "set", op: "values", name: this.name }, options);
    if (!Array.isArray(result)) throw unexpected("set.values", result);
    return [...(result as readonly T[])];
  }

  /** Whether `element` is in the set at the contacted replica. */
  async has(element: T, options?: OperationOptions): Promise<boolean> {
    return (await this.values(options)).includes(element);
  }
}
