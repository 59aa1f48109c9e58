// Goal: the CP machine (maps, atomic longs, fenced locks) behaves as its sequential specification
// on every sequence of operations, its snapshots round-trip, fences strictly increase, and leases
// expire by log time only. Method: fast-check generates operation sequences with log indices and
// log times; each is run against the machine and a plain-object model written from the contract,
// comparing every result; snapshots are taken at random points and restored into fresh machines.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ClientResult } from "../../src/protocol/client/messages.js";
import type { Operation } from "../../src/protocol/client/operations.js";
import { createCpMachine, lockTtlMsMax } from "../../src/structures/index.js";
import type { CpMachine, MachineResult } from "../../src/structures/index.js";
import { type LogIndex, logIndex } from "../../src/types.js";

const names = ["a", "b"];
const keys = ["x", "y", "z"];
const owners = ["o1", "o2", "o3"];
const bytes = (n: number): Uint8Array => new Uint8Array([n]);

const valueArb = fc.option(fc.integer({ min: 0, max: 2 }).map(bytes), { nil: null });
const nameArb = fc.constantFrom(...names);
const keyArb = fc.constantFrom(...keys);
const ownerArb = fc.constantFrom(...owners);

const operationArb: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ structure: fc.constant("map"), op: fc.constant("get"), name: nameArb, key: keyArb }),
  fc.record({
    structure: fc.constant("map"),
    op: fc.constant("put"),
    name: nameArb,
    key: keyArb,
    value: fc.integer({ min: 0, max: 2 }).map(bytes),
  }),
  fc.record({ structure: fc.constant("map"), op: fc.constant("delete"), name: nameArb, key: keyArb }),
  fc.record({
    structure: fc.constant("map"),
    op: fc.constant("cas"),
    name: nameArb,
    key: keyArb,
    expected: valueArb,
    value: valueArb,
  }),
  fc.record({ structure: fc.constant("atomic-long"), op: fc.constant("get"), name: nameArb }),
  fc.record({
    structure: fc.constant("atomic-long"),
    op: fc.constant("add"),
    name: nameArb,
    delta: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant(Number.MAX_SAFE_INTEGER)),
  }),
  fc.record({
    structure: fc.constant("atomic-long"),
    op: fc.constant("set"),
    name: nameArb,
    value: fc.integer({ min: -3, max: 3 }),
  }),
  fc.record({
    structure: fc.constant("atomic-long"),
    op: fc.constant("cas"),
    name: nameArb,
    expected: fc.integer({ min: -1, max: 2 }),
    value: fc.integer({ min: -3, max: 3 }),
  }),
  fc.record({
    structure: fc.constant("lock"),
    op: fc.constant("acquire"),
    name: nameArb,
    owner: ownerArb,
    ttlMs: fc.integer({ min: 1, max: 50 }),
  }),
  fc.record({
    structure: fc.constant("lock"),
    op: fc.constant("renew"),
    name: nameArb,
    owner: ownerArb,
    fence: fc.integer({ min: 0, max: 40 }),
    ttlMs: fc.integer({ min: 1, max: 50 }),
  }),
  fc.record({
    structure: fc.constant("lock"),
    op: fc.constant("release"),
    name: nameArb,
    owner: ownerArb,
    fence: fc.integer({ min: 0, max: 40 }),
  }),
  fc.record({ structure: fc.constant("lock"), op: fc.constant("status"), name: nameArb }),
) as fc.Arbitrary<Operation>;

/** A step: an operation and how much log time passes before its entry. */
const stepsArb = fc.array(fc.tuple(operationArb, fc.integer({ min: 0, max: 20 })), { maxLength: 60 });

/** The sequential specification, written from the contract independently of the machine. */
class Model {
  maps = new Map<string, number[]>();
  longs = new Map<string, number>();
  locks = new Map<string, { owner: string; fence: number; until: number }>();

  run(op: Operation, index: number, now: number): MachineResult {
    const okay = (result: ClientResult): MachineResult => ({ kind: "ok", result });
    const id = `${op.name}|${"key" in op ? op.key : ""}`;
    const stored = this.maps.get(id);
    const current = stored === undefined ? null : new Uint8Array(stored);
    const same = (a: Uint8Array | null, b: Uint8Array | null): boolean =>
      a === null || b === null ? a === b : a.length === b.length && a.every((v, i) => v === b[i]);
    const long = this.longs.get(op.name) ?? 0;
    const lease = this.locks.get(op.name);
    const live = lease !== undefined && lease.until > now ? lease : undefined;
    switch (`${op.structure}.${op.op}`) {
      case "map.get":
        return okay(current);
      case "map.put":
        this.maps.set(id, [...(op as { value: Uint8Array }).value]);
        return okay(null);
      case "map.delete":
        this.maps.delete(id);
        return okay(current !== null);
      case "map.cas": {
        const { expected, value } = op as { expected: Uint8Array | null; value: Uint8Array | null };
        if (!same(current, expected)) return okay(false);
        if (value === null) this.maps.delete(id);
        else this.maps.set(id, [...value]);
        return okay(true);
      }
      case "atomic-long.get":
        return okay(long);
      case "atomic-long.add": {
        const next = long + (op as { delta: number }).delta;
        if (!Number.isSafeInteger(next)) return { kind: "refused", message: "overflow" };
        this.longs.set(op.name, next);
        return okay(next);
      }
      case "atomic-long.set":
        this.longs.set(op.name, (op as { value: number }).value);
        return okay((op as { value: number }).value);
      case "atomic-long.cas": {
        const { expected, value } = op as { expected: number; value: number };
        if (long !== expected) return okay(false);
        this.longs.set(op.name, value);
        return okay(true);
      }
      case "lock.acquire": {
        const { owner, ttlMs } = op as { owner: string; ttlMs: number };
        if (live !== undefined && live.owner !== owner)
          return okay({ acquired: false, holderFence: live.fence });
        if (live !== undefined) {
          live.until = now + ttlMs;
          return okay({ acquired: true, fence: live.fence, expiresAtMs: live.until });
        }
        this.locks.set(op.name, { owner, fence: index, until: now + ttlMs });
        return okay({ acquired: true, fence: index, expiresAtMs: now + ttlMs });
      }
      case "lock.renew": {
        const { owner, fence, ttlMs } = op as { owner: string; fence: number; ttlMs: number };
        if (live === undefined || live.owner !== owner || live.fence !== fence) return okay(false);
        live.until = now + ttlMs;
        return okay(true);
      }
      case "lock.release": {
        const { owner, fence } = op as { owner: string; fence: number };
        const owns = lease !== undefined && lease.owner === owner && lease.fence === fence;
        if (owns) this.locks.delete(op.name);
        return okay(owns && live !== undefined);
      }
      case "lock.status":
        return okay({ held: live !== undefined, fence: lease?.fence ?? 0 });
      default:
        throw new Error(`model lacks ${op.structure}.${op.op}`);
    }
  }
}

function normalise(result: MachineResult): unknown {
  if (result.kind === "refused") return "refused";
  return result.result instanceof Uint8Array ? [...result.result] : result.result;
}

function isRead(op: Operation): boolean {
  return op.op === "get" || op.op === "status";
}

/** Runs `steps` on `machine` from index 1 and log time 1000, returning every result. */
function run(machine: CpMachine, steps: readonly [Operation, number][], model?: Model): unknown[] {
  let index = 0;
  let now = 1_000;
  const results: unknown[] = [];
  for (const [op, elapsedMs] of steps) {
    now += elapsedMs;
    index += 1;
    const context = { index: logIndex(index), logTimeMs: now };
    const result = isRead(op) ? machine.read(op, context) : machine.apply(op, context);
    results.push(normalise(result));
    if (model !== undefined) expect(normalise(result)).toEqual(normalise(model.run(op, index, now)));
  }
  return results;
}

describe("CP machine", () => {
  it("matches the sequential specification on every operation sequence", () => {
    fc.assert(
      fc.property(stepsArb, (steps) => {
        run(createCpMachine(), steps, new Model());
      }),
      { numRuns: 400 },
    );
  });

  it("snapshot then restore gives the same digest, bytes and future behaviour", () => {
    fc.assert(
      fc.property(stepsArb, stepsArb, (before, after) => {
        const machine = createCpMachine();
        run(machine, before);
        const copy = createCpMachine();
        copy.restore(machine.snapshot());
        expect(copy.digest()).toBe(machine.digest());
        expect(copy.snapshot()).toEqual(machine.snapshot());
        // Continue both from the same index and time; they must answer alike.
        const offset = before.length;
        const continueRun = (m: CpMachine): unknown[] =>
          after.map(([op], i) => {
            const context = { index: logIndex(offset + i + 1), logTimeMs: 10_000 + i };
            return normalise(isRead(op) ? m.read(op, context) : m.apply(op, context));
          });
        expect(continueRun(copy)).toEqual(continueRun(machine));
        expect(copy.digest()).toBe(machine.digest());
      }),
      { numRuns: 200 },
    );
  });

  it("equal states give equal snapshots whatever the insertion order", () => {
    const put = (name: string, key: string, v: number): Operation => ({
      structure: "map",
      op: "put",
      name,
      key,
      value: bytes(v),
    });
    const a = createCpMachine();
    const b = createCpMachine();
    run(a, [
      [put("m", "x", 1), 0],
      [put("m", "y", 2), 0],
      [put("n", "x", 3), 0],
    ]);
    run(b, [
      [put("n", "x", 3), 0],
      [put("m", "y", 2), 0],
      [put("m", "x", 1), 0],
    ]);
    expect(a.snapshot()).toEqual(b.snapshot());
    expect(a.digest()).toBe(b.digest());
    b.apply(
      { structure: "map", op: "delete", name: "n", key: "x" },
      { index: logIndex(4), logTimeMs: 1_000 },
    );
    expect(b.digest()).not.toBe(a.digest());
  });

  it("fences strictly increase across grants, and only the holder with its fence renews or releases", () => {
    const machine = createCpMachine();
    let index = 0;
    let now = 0;
    const apply = (op: Operation, elapsedMs = 1): MachineResult => {
      index += 1;
      now += elapsedMs;
      return machine.apply(op, { index: index as LogIndex, logTimeMs: now });
    };
    const fences: number[] = [];
    for (let round = 0; round < 20; round++) {
      const owner = `o${round % 3}`;
      const granted = apply({ structure: "lock", op: "acquire", name: "l", owner, ttlMs: 100 });
      expect(granted.kind).toBe("ok");
      const grant = (granted as { result: { acquired: boolean; fence: number } }).result;
      expect(grant.acquired).toBe(true);
      fences.push(grant.fence);
      const other = `o${(round + 1) % 3}`;
      const contended = apply({ structure: "lock", op: "acquire", name: "l", owner: other, ttlMs: 100 });
      expect(contended).toEqual({ kind: "ok", result: { acquired: false, holderFence: grant.fence } });
      const wrongOwner = {
        structure: "lock",
        op: "release",
        name: "l",
        owner: other,
        fence: grant.fence,
      } as const;
      expect(apply(wrongOwner)).toEqual({ kind: "ok", result: false });
      const wrongFence = {
        structure: "lock",
        op: "renew",
        name: "l",
        owner,
        fence: grant.fence - 1,
        ttlMs: 5,
      } as const;
      expect(apply(wrongFence)).toEqual({ kind: "ok", result: false });
      expect(
        apply({ structure: "lock", op: "renew", name: "l", owner, fence: grant.fence, ttlMs: 100 }),
      ).toEqual({
        kind: "ok",
        result: true,
      });
      // Half the rounds release; the other half let the lease lapse.
      if (round % 2 === 0)
        expect(apply({ structure: "lock", op: "release", name: "l", owner, fence: grant.fence })).toEqual({
          kind: "ok",
          result: true,
        });
      else now += 100;
    }
    for (let i = 1; i < fences.length; i++) expect(fences[i]!).toBeGreaterThan(fences[i - 1]!);
  });

  it("a lease expires by log time only: entries at the same log time never free it", () => {
    const machine = createCpMachine();
    const acquire = (owner: string, index: number, logTimeMs: number): MachineResult =>
      machine.apply(
        { structure: "lock", op: "acquire", name: "job", owner, ttlMs: 1_000 },
        { index: logIndex(index), logTimeMs },
      );
    expect(acquire("a", 1, 5_000)).toEqual({
      kind: "ok",
      result: { acquired: true, fence: 1, expiresAtMs: 6_000 },
    });
    // Thousands of entries later, but with log time not past the expiry: still held.
    expect(acquire("b", 5_000, 5_999)).toEqual({ kind: "ok", result: { acquired: false, holderFence: 1 } });
    const status = machine.read(
      { structure: "lock", op: "status", name: "job" },
      {
        index: logIndex(5_000),
        logTimeMs: 5_999,
      },
    );
    expect(status).toEqual({ kind: "ok", result: { held: true, fence: 1 } });
    // At the expiry instant the lease has lapsed: the next acquirer gets a larger fence.
    expect(acquire("b", 5_001, 6_000)).toEqual({
      kind: "ok",
      result: { acquired: true, fence: 5_001, expiresAtMs: 7_000 },
    });
    // The lapsed holder can neither renew nor release b's lease.
    const renew = machine.apply(
      { structure: "lock", op: "renew", name: "job", owner: "a", fence: 1, ttlMs: 1_000 },
      { index: logIndex(5_002), logTimeMs: 6_001 },
    );
    expect(renew).toEqual({ kind: "ok", result: false });
  });

  it("refuses bad ttl, overflow and AP operations without changing state", () => {
    const machine = createCpMachine();
    const before = machine.digest();
    const context = { index: logIndex(1), logTimeMs: 0 };
    const bad: Operation[] = [
      { structure: "lock", op: "acquire", name: "l", owner: "o", ttlMs: 0 },
      { structure: "lock", op: "acquire", name: "l", owner: "o", ttlMs: lockTtlMsMax + 1 },
      { structure: "atomic-long", op: "add", name: "n", delta: 2 ** 60 },
      { structure: "counter", op: "add", name: "c", delta: 1 },
      { structure: "set", op: "add", name: "s", element: "e" },
    ];
    for (const [i, op] of bad.entries()) {
      expect(machine.apply(op, { ...context, index: logIndex(i + 1) }).kind).toBe("refused");
    }
    expect(machine.digest()).toBe(before);
  });
});
