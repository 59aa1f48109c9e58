// The CP state machine of one partition: every map entry, atomic long and fenced lock placed on it.
// Pure and deterministic: state changes only through `apply` (committed entries, in log order), time
// is the leader-assigned log time in the ApplyContext (H11), and a lock's fence is the log index of
// the entry that granted it, so fences strictly increase across grants on every replica. Snapshots
// list every table sorted by key, so equal states give equal bytes and equal digests.

import { Packr } from "msgpackr";
import { assert, assertNever } from "../lib/assert.js";
import { bytesEqual } from "../lib/bytes.js";
import { murmur3_32 } from "../lib/hash.js";
import type {
  AtomicLongOperation,
  LockOperation,
  MapOperation,
  Operation,
} from "../protocol/client/operations.js";
import type { ClientResult } from "../protocol/client/messages.js";
import type { ApplyContext, CpMachine, MachineResult } from "./machine.js";

/** Longest lease a lock grants; a longer ttlMs is refused (a lost holder would block for that long). */
export const lockTtlMsMax = 24 * 60 * 60 * 1000;

/** One granted lease. */
interface Lease {
  readonly owner: string;
  /** The log index of the granting entry. */
  readonly fence: number;
  /** Log time at which the lease lapses; at or after it the lock is free. */
  expiresAtMs: number;
}

/** The snapshot layout: every table as sorted rows. */
interface SnapshotData {
  readonly v: 1;
  readonly maps: readonly (readonly [string, string, Uint8Array])[];
  readonly longs: readonly (readonly [string, number])[];
  readonly locks: readonly (readonly [string, string, number, number])[];
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true, copyBuffers: true });

function ok(result: ClientResult): MachineResult {
  return { kind: "ok", result };
}

/** The answer of every put: shared, as results are read-only. */
const okNull: MachineResult = ok(null);

function refused(message: string): MachineResult {
  return { kind: "refused", message };
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every CP structure of one partition. */
export class CpStructures implements CpMachine {
  /** Map entries by map name, then key. */
  private maps = new Map<string, Map<string, Uint8Array>>();
  private longs = new Map<string, number>();
  private locks = new Map<string, Lease>();
  private lastIndex = 0;
  private lastLogTimeMs = 0;

  apply(operation: Operation, context: ApplyContext): MachineResult {
    assert(context.index > this.lastIndex, "entries are applied in log order, once");
    assert(context.logTimeMs >= this.lastLogTimeMs, "log time never goes back");
    this.lastIndex = context.index;
    this.lastLogTimeMs = context.logTimeMs;
    switch (operation.structure) {
      case "map":
        return this.mapApply(operation);
      case "atomic-long":
        return this.longApply(operation);
      case "lock":
        return this.lockApply(operation, context);
      case "counter":
      case "set":
        return refused(`${operation.structure} is an AP structure; it is not replicated through Raft`);
      default:
        return assertNever(operation);
    }
  }

  read(operation: Operation, context: ApplyContext): MachineResult {
    switch (operation.structure) {
      case "map":
        if (operation.op !== "get") return refused(`map.${operation.op} is not a read`);
        return ok(this.maps.get(operation.name)?.get(operation.key) ?? null);
      case "atomic-long":
        if (operation.op !== "get") return refused(`atomic-long.${operation.op} is not a read`);
        return ok(this.longs.get(operation.name) ?? 0);
      case "lock": {
        if (operation.op !== "status") return refused(`lock.${operation.op} is not a read`);
        const lease = this.locks.get(operation.name);
        const held = lease !== undefined && lease.expiresAtMs > context.logTimeMs;
        return ok({ held, fence: lease?.fence ?? 0 });
      }
      case "counter":
      case "set":
        return refused(`${operation.structure} is an AP structure; it is not replicated through Raft`);
      default:
        return assertNever(operation);
    }
  }

  private mapApply(operation: MapOperation): MachineResult {
    const key = operation.key;
    switch (operation.op) {
      case "get":
        return ok(this.maps.get(operation.name)?.get(key) ?? null);
      case "put":
        this.entrySet(operation.name, key, operation.value);
        return okNull;
      case "delete":
        return ok(this.entrySet(operation.name, key, null));
      case "cas": {
        const current = this.maps.get(operation.name)?.get(key) ?? null;
        const matches =
          operation.expected === null
            ? current === null
            : current !== null && bytesEqual(current, operation.expected);
        if (!matches) return ok(false);
        this.entrySet(operation.name, key, operation.value);
        return ok(true);
      }
      default:
        return assertNever(operation);
    }
  }

  /** Sets (or with null, deletes) one entry; returns whether it existed. Empty maps are dropped. */
  private entrySet(name: string, key: string, value: Uint8Array | null): boolean {
    let entries = this.maps.get(name);
    if (value === null) {
      const existed = entries?.delete(key) ?? false;
      if (entries?.size === 0) this.maps.delete(name);
      return existed;
    }
    if (entries === undefined) {
      entries = new Map();
      this.maps.set(name, entries);
    }
    const size = entries.size;
    entries.set(key, value);
    return entries.size === size;
  }

  private longApply(operation: AtomicLongOperation): MachineResult {
    const current = this.longs.get(operation.name) ?? 0;
    switch (operation.op) {
      case "get":
        return ok(current);
      case "add": {
        const next = current + operation.delta;
        if (!Number.isSafeInteger(operation.delta) || !Number.isSafeInteger(next))
          return refused(`atomic-long ${operation.name}: ${current} + ${operation.delta} overflows`);
        this.longSet(operation.name, next);
        return ok(next);
      }
      case "set":
        if (!Number.isSafeInteger(operation.value)) return refused("atomic-long values are safe integers");
        this.longSet(operation.name, operation.value);
        return ok(operation.value);
      case "cas":
        if (!Number.isSafeInteger(operation.value)) return refused("atomic-long values are safe integers");
        if (current !== operation.expected) return ok(false);
        this.longSet(operation.name, operation.value);
        return ok(true);
      default:
        return assertNever(operation);
    }
  }

  private longSet(name: string, value: number): void {
    // Zero is the value of an absent long: dropping it keeps equal states byte-equal.
    if (value === 0) this.longs.delete(name);
    else this.longs.set(name, value);
  }

  private lockApply(operation: LockOperation, context: ApplyContext): MachineResult {
    const nowMs = context.logTimeMs;
    const lease = this.locks.get(operation.name);
    const live = lease !== undefined && lease.expiresAtMs > nowMs ? lease : null;
    switch (operation.op) {
      case "acquire": {
        const problem = ttlProblem(operation.ttlMs);
        if (problem !== null) return refused(problem);
        if (live !== null && live.owner !== operation.owner)
          return ok({ acquired: false, holderFence: live.fence });
        if (live !== null) {
          // The same owner asking again (a new request for the lease it holds) extends it.
          live.expiresAtMs = nowMs + operation.ttlMs;
          return ok({ acquired: true, fence: live.fence, expiresAtMs: live.expiresAtMs });
        }
        const granted: Lease = {
          owner: operation.owner,
          fence: context.index,
          expiresAtMs: nowMs + operation.ttlMs,
        };
        assert(lease === undefined || granted.fence > lease.fence, "fences strictly increase");
        this.locks.set(operation.name, granted);
        return ok({ acquired: true, fence: granted.fence, expiresAtMs: granted.expiresAtMs });
      }
      case "renew": {
        const problem = ttlProblem(operation.ttlMs);
        if (problem !== null) return refused(problem);
        if (live === null || live.owner !== operation.owner || live.fence !== operation.fence)
          return ok(false);
        live.expiresAtMs = nowMs + operation.ttlMs;
        return ok(true);
      }
      case "release": {
        const owns =
          lease !== undefined && lease.owner === operation.owner && lease.fence === operation.fence;
        // An expired lease of the caller is dropped too, but the caller no longer held it.
        if (owns) this.locks.delete(operation.name);
        return ok(owns && live !== null);
      }
      case "status":
        return ok({ held: live !== null, fence: lease?.fence ?? 0 });
      default:
        return assertNever(operation);
    }
  }

  snapshot(): Uint8Array {
    const data: SnapshotData = {
      v: 1,
      maps: [...this.maps.entries()]
        .sort(([a], [b]) => compareKeys(a, b))
        .flatMap(([name, entries]) =>
          [...entries.entries()]
            .sort(([a], [b]) => compareKeys(a, b))
            .map(([key, value]) => [name, key, value] as const),
        ),
      longs: [...this.longs.entries()].sort(([a], [b]) => compareKeys(a, b)),
      locks: [...this.locks.entries()]
        .sort(([a], [b]) => compareKeys(a, b))
        .map(([name, lease]) => [name, lease.owner, lease.fence, lease.expiresAtMs] as const),
    };
    return packr.pack(data);
  }

  restore(snapshot: Uint8Array): void {
    const data = packr.unpack(snapshot) as SnapshotData;
    assert(data.v === 1 && Array.isArray(data.maps) && Array.isArray(data.locks), "bad CP machine snapshot");
    this.maps = new Map();
    for (const [name, key, value] of data.maps) this.entrySet(name, key, value);
    this.longs = new Map(data.longs.map(([name, value]) => [name, value]));
    this.locks = new Map(
      data.locks.map(([name, owner, fence, expiresAtMs]) => [name, { owner, fence, expiresAtMs }]),
    );
    // A restored machine continues from wherever the log continues; the ordering checks restart.
    this.lastIndex = 0;
    this.lastLogTimeMs = 0;
  }

  digest(): number {
    return murmur3_32(this.snapshot());
  }
}

function ttlProblem(ttlMs: number): string | null {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) return "ttlMs must be a positive integer";
  if (ttlMs > lockTtlMsMax) return `ttlMs ${ttlMs} > lockTtlMsMax ${lockTtlMsMax}`;
  return null;
}

/** Creates the empty CP machine of one partition (maps, atomic longs, fenced locks). */
export function createCpMachine(): CpMachine {
  return new CpStructures();
}
