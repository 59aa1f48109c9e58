// Goal: AP structures (counters, sets) survive a restart of every member: after a graceful stop of
// all three, and after a crash of all three once a save interval has passed, each member reads
// back the values from its own disk alone, under a new replica id whose new dots never collide
// with the restored ones. Every partition is saved in one file. A corrupt file is logged and
// skipped (the member starts its partitions empty and anti-entropy refills them); stores above the
// file limit are logged once and not saved; a file of the earlier one-file-per-partition layout is
// read at start and removed after the first save.
// Method: three Members on the simulator (virtual time, one seed replays a run); reads go straight
// to each replica's ApService right after the restart, before any peer could send it anything.

import { describe, expect, it } from "vitest";
import type { Logger, LogFields } from "../../src/env/logger.js";
import { type Operation, placementKeyOf } from "../../src/protocol/client/index.js";
import { partitionOf } from "../../src/protocol/placement/index.js";
import type { MemberOptions } from "../../src/runtime/index.js";
import type { Disk } from "../../src/env/disk.js";
import type { Environment } from "../../src/env/environment.js";
import { silentLogger } from "../../src/env/logger.js";
import { crc32 } from "../../src/lib/bytes.js";
import { Prng } from "../../src/lib/prng.js";
import { ByteWriter } from "../../src/protocol/crdt/codec.js";
import { encodeCrdt } from "../../src/protocol/crdt/registry.js";
import { AtomicFileKind, atomicFileWrite } from "../../src/storage/atomic_file.js";
import {
  AP_FILE_BYTES_MAX_DEFAULT,
  AP_SAVE_INTERVAL_TICKS_DEFAULT,
  apFileName,
  apFolderOf,
  apStoresDecode,
  apStoresFileName,
} from "../../src/runtime/ap_persist.js";
import { ApService, memberReplicatorConfig } from "../../src/runtime/ap_service.js";
import { SimCluster, SimDisk, type SimEnvironment, Trace } from "../../src/sim/index.js";
import type { Process } from "../../src/sim/index.js";
import { nodeId, type PartitionId } from "../../src/types.js";
import type { TestOutcome } from "../fixtures/test_client.js";
import {
  type SimClientProcess,
  simMember,
  simMemberNames,
  simMemberOptions,
  simMembersAdd,
} from "./sim_members.js";

const names = simMemberNames;
const partitionCount = 8;

function options(name: string): MemberOptions {
  return simMemberOptions(name, partitionCount);
}

/** Records every warning, so a test can count the lines a bad file produced. */
const warnings: { node: string; event: string; fields: LogFields }[] = [];

function recording(inner: Logger, node: string): Logger {
  return {
    debug: (event, fields) => inner.debug(event, fields),
    info: (event, fields) => inner.info(event, fields),
    warn: (event, fields) => {
      warnings.push({ node, event, fields: fields ?? {} });
      inner.warn(event, fields);
    },
    error: (event, fields) => inner.error(event, fields),
    child: () => recording(inner, node),
  };
}

function build(seed: number): SimCluster<Process> {
  const cluster = new SimCluster<Process>({ seed, trace: new Trace() });
  simMembersAdd(
    cluster,
    options,
    (environment, name) =>
      ({ ...environment, logger: recording(environment.logger, name) }) as SimEnvironment,
  );
  return cluster;
}

const member = simMember;

function ready(cluster: SimCluster<Process>): boolean {
  return names.every((n) => cluster.isUp(n) && member(cluster, n).status().ready);
}

/** Runs `operations` one after another through the client, in virtual time; all must succeed. */
function submitAll(cluster: SimCluster<Process>, operations: readonly Operation[]): void {
  const client = (cluster.process("client") as SimClientProcess).client;
  const outcomes: TestOutcome[] = [];
  const next = (): void => {
    const operation = operations[outcomes.length];
    if (operation === undefined) return;
    client.submit(operation, (o) => {
      outcomes.push(o);
      next();
    });
  };
  next();
  const done = cluster.scheduler.runUntilCondition(
    () => outcomes.length === operations.length,
    cluster.scheduler.nowMs + 60_000,
  );
  expect(done, `only ${outcomes.length}/${operations.length} operations ended`).toBe(true);
  expect(outcomes.filter((o) => o.kind !== "ok")).toEqual([]);
}

function partitionOfOperation(operation: Operation): PartitionId {
  const key = placementKeyOf(operation);
  return partitionOf(key.name, key.entryKey, partitionCount);
}

/** What every replica of the operation's partition answers, read locally (no gossip involved). */
function views(cluster: SimCluster<Process>, operation: Operation): unknown[] {
  const partition = partitionOfOperation(operation);
  return names
    .filter((n) => cluster.isUp(n))
    .map((n) => member(cluster, n))
    .filter((m) => m.ap.replicates(partition))
    .map((m) => {
      const result = m.ap.operation(partition, operation, true);
      return result.kind === "ok" ? result.result : result.message;
    });
}

const writes: Operation[] = [
  ...Array.from(
    { length: 12 },
    (_, i): Operation => ({ structure: "counter", op: "add", name: `c${i % 3}`, delta: 5 }),
  ),
  ...Array.from(
    { length: 5 },
    (_, i): Operation => ({ structure: "set", op: "add", name: "s", element: `e${i}` }),
  ),
  { structure: "set", op: "remove", name: "s", element: "e0" },
];
const reads: Operation[] = [
  { structure: "counter", op: "get", name: "c0" },
  { structure: "counter", op: "get", name: "c1" },
  { structure: "counter", op: "get", name: "c2" },
  { structure: "set", op: "values", name: "s" },
];
const expected: unknown[] = [20, 20, 20, ["e1", "e2", "e3", "e4"]];

function allAgree(cluster: SimCluster<Process>): boolean {
  return reads.every((r, i) => {
    const seen = views(cluster, r);
    return seen.length === 3 && seen.every((v) => JSON.stringify(v) === JSON.stringify(expected[i]));
  });
}

/** Forms the cluster, writes, and waits until every replica holds every write. */
function populated(seed: number): SimCluster<Process> {
  const cluster = build(seed);
  expect(cluster.scheduler.runUntilCondition(() => ready(cluster), 20_000)).toBe(true);
  submitAll(cluster, writes);
  expect(cluster.scheduler.runUntilCondition(() => allAgree(cluster), cluster.scheduler.nowMs + 30_000)).toBe(
    true,
  );
  return cluster;
}

const seeds = process.env.SHOAL_TIER === "extended" ? [1, 2, 3, 4, 5, 6, 7, 8] : [1, 2];

describe("AP state survives a restart of every member (simulator)", () => {
  for (const seed of seeds) {
    const replay = `npx vitest run test/runtime/ap_persist.test.ts -t "(seed ${seed})"`;

    it(`restores counters and sets after a graceful stop of all members, then keeps counting (seed ${seed})`, () => {
      const cluster = populated(seed);
      const before = names.map((n) => member(cluster, n).ap.replicaId);
      for (const name of names) cluster.stopNode(name);
      for (const name of names) cluster.restart(name);
      // Straight from each member's own disk: no peer has sent anything yet.
      expect(
        reads.map((r) => views(cluster, r)),
        replay,
      ).toEqual(expected.map((e) => [e, e, e]));
      // New ids: updates after the restart add to the restored values instead of reusing dots.
      const after = names.map((n) => member(cluster, n).ap.replicaId);
      for (let i = 0; i < names.length; i++) expect(after[i]).not.toBe(before[i]);
      expect(
        cluster.scheduler.runUntilCondition(() => ready(cluster), cluster.scheduler.nowMs + 20_000),
      ).toBe(true);
      submitAll(cluster, [
        { structure: "counter", op: "add", name: "c0", delta: 1 },
        { structure: "set", op: "add", name: "s", element: "e0" },
      ]);
      const grown = (): boolean =>
        views(cluster, reads[0]!).every((v) => v === 21) &&
        views(cluster, reads[3]!).every(
          (v) => JSON.stringify(v) === JSON.stringify(["e0", "e1", "e2", "e3", "e4"]),
        );
      expect(cluster.scheduler.runUntilCondition(grown, cluster.scheduler.nowMs + 30_000), replay).toBe(true);
      cluster.shutdown();
    });

    it(`restores counters and sets after a crash of all members once a save interval passed (seed ${seed})`, () => {
      const cluster = populated(seed);
      // Two save intervals of virtual time: every changed partition was written and synced.
      cluster.scheduler.runFor(2 * AP_SAVE_INTERVAL_TICKS_DEFAULT * options("m1").tickMs);
      for (const name of names) cluster.crash(name);
      for (const name of names) cluster.restart(name);
      expect(
        reads.map((r) => views(cluster, r)),
        replay,
      ).toEqual(expected.map((e) => [e, e, e]));
      cluster.shutdown();
    });
  }

  it("starts its partitions empty after a corrupt file, logs one line, and refills them from its peers", () => {
    warnings.length = 0;
    const cluster = populated(7);
    cluster.stopNode("m1");
    const partition = partitionOfOperation(reads[0]!);
    const folder = apFolderOf(options("m1").wal.folder);
    const path = `${folder}/${apStoresFileName}`;
    const disk = cluster.disk("m1");
    expect(disk.exists(path)).toBe(true);
    expect(disk.list(folder)).toEqual([apStoresFileName]); // One file for every partition.
    // Flip one byte of the body: the checksum no longer matches.
    const last = disk.size(path) - 1;
    const byte = disk.read(path, last, 1)[0]!;
    disk.write(path, last, new Uint8Array([byte ^ 0xff]));
    disk.sync(path);
    cluster.restart("m1");
    const failures = warnings.filter((w) => w.node === "m1" && w.event === "ap.load_failed");
    expect(failures.length).toBe(1);
    expect(String(failures[0]!.fields.reason)).toContain("checksum");
    const m1 = member(cluster, "m1");
    if (m1.ap.replicates(partition)) {
      const result = m1.ap.operation(partition, reads[0]!, true);
      expect(result.kind === "ok" ? result.result : result.message).toBe(0);
    }
    // Anti-entropy (every 10 s) brings the partition back from the two other replicas.
    expect(
      cluster.scheduler.runUntilCondition(() => allAgree(cluster), cluster.scheduler.nowMs + 60_000),
    ).toBe(true);
    cluster.shutdown();
  });
});

/** One ApService on a SimDisk with a fixed clock, replicating partition 0 alone. */
function lone(disk: Disk, fileBytesMax: number, seed: number): ApService {
  return alone(disk, fileBytesMax, seed, 1, AP_SAVE_INTERVAL_TICKS_DEFAULT);
}

/** One ApService on a SimDisk with a fixed clock, sole replica of `partitions` partitions. */
function alone(
  disk: Disk,
  fileBytesMax: number,
  seed: number,
  partitions: number,
  saveIntervalTicks: number,
): ApService {
  const logger = recording(silentLogger, "lone");
  const environment = { seed, logger, disk, clock: { wallMs: () => 1_000, nowMs: () => 1_000 } };
  const host = {
    nodeId: nodeId("n1"),
    environment: environment as unknown as Environment,
    addressOf: () => null,
    frameSend: () => true,
  };
  const persist = { disk, folder: apFolderOf("data"), checksum: crc32, saveIntervalTicks, fileBytesMax };
  const service = new ApService(host, memberReplicatorConfig(), persist);
  const rows = Array.from({ length: partitions }, (_, p) => ({
    partition: p as PartitionId,
    version: 1,
    replicas: [nodeId("n1")],
    learners: [],
  }));
  service.start({
    version: 1,
    partitionCount: partitions,
    replicaCountMax: 1,
    members: [nodeId("n1")],
    partitions: rows,
  });
  return service;
}

const p0 = 0 as PartitionId;
const add = (delta: number): Operation => ({ structure: "counter", op: "add", name: "c", delta });
const get: Operation = { structure: "counter", op: "get", name: "c" };

function counterOf(service: ApService): unknown {
  const result = service.operation(p0, get, true);
  return result.kind === "ok" ? result.result : result.message;
}

describe("ApService persistence (one replica)", () => {
  it("saves on its tick cadence, restores under a new id, and never saves an unchanged store twice", () => {
    const disk = new SimDisk(Prng.derive(1, "disk"));
    const first = lone(disk.open(), AP_FILE_BYTES_MAX_DEFAULT, 1);
    first.operation(p0, add(7), false);
    const path = `${apFolderOf("data")}/${apStoresFileName}`;
    for (let i = 1; i < AP_SAVE_INTERVAL_TICKS_DEFAULT; i++) first.tick();
    expect(disk.exists(path)).toBe(false); // Not before the interval ends.
    first.tick();
    expect(disk.exists(path)).toBe(true);
    const mutations = disk.stats.mutations;
    for (let i = 0; i < 3 * AP_SAVE_INTERVAL_TICKS_DEFAULT; i++) first.tick();
    expect(disk.stats.mutations).toBe(mutations); // Nothing changed: nothing written.
    disk.crash();
    const second = lone(disk.open(), AP_FILE_BYTES_MAX_DEFAULT, 2);
    expect(second.replicaId).not.toBe(first.replicaId);
    expect(counterOf(second)).toBe(7);
    second.operation(p0, add(3), false);
    second.save();
    const third = lone(disk.open(), AP_FILE_BYTES_MAX_DEFAULT, 3);
    expect(counterOf(third)).toBe(10);
  });

  it("spreads the encoding of changed stores over the interval: a tick's file lags by less than one interval, save() is exact", () => {
    // 8 partitions, a save every 4 ticks: a tick re-encodes at most 2 changed stores, oldest
    // change first, so under writes to every partition on every tick some bodies in the file are
    // older than the stores; none is older than the previous interval, and save() writes them all.
    const disk = new SimDisk(Prng.derive(5, "disk"));
    const partitions = 8;
    const interval = 4;
    const service = alone(disk.open(), AP_FILE_BYTES_MAX_DEFAULT, 1, partitions, interval);
    const counters = (): number[] => {
      const reader = alone(disk.open(), AP_FILE_BYTES_MAX_DEFAULT, 9, partitions, interval);
      return Array.from({ length: partitions }, (_, p) => {
        const result = reader.operation(p as PartitionId, get, true);
        return result.kind === "ok" ? Number(result.result) : -1;
      });
    };
    let written = 0;
    let previousFile = new Array<number>(partitions).fill(0);
    let lagged = false;
    for (let tick = 1; tick <= 6 * interval; tick++) {
      for (let p = 0; p < partitions; p++) service.operation(p as PartitionId, add(1), false);
      written += 1;
      service.tick();
      if (tick % interval !== 0) continue;
      const file = counters();
      for (let p = 0; p < partitions; p++) {
        expect(file[p]!, `partition ${p} at tick ${tick}`).toBeLessThanOrEqual(written);
        expect(file[p]!, `partition ${p} at tick ${tick}`).toBeGreaterThanOrEqual(previousFile[p]!);
        expect(file[p]!, `partition ${p} at tick ${tick}`).toBeGreaterThan(written - 2 * interval);
      }
      lagged ||= file.some((value) => value < written);
      previousFile = file;
    }
    expect(lagged).toBe(true);
    service.save();
    expect(counters()).toEqual(new Array<number>(partitions).fill(written));
  });

  it("skips a store above the file limit with one log line, and keeps the last file it saved", () => {
    warnings.length = 0;
    const disk = new SimDisk(Prng.derive(2, "disk"));
    const service = lone(disk.open(), 64, 1);
    service.operation(p0, add(1), false);
    service.save();
    expect(counterOf(lone(disk.open(), 64, 2))).toBe(1);
    for (let i = 0; i < 20; i++) {
      service.operation(p0, { structure: "set", op: "add", name: "big", element: `element-${i}` }, false);
      service.save();
    }
    const skipped = warnings.filter((w) => w.event === "ap.save_skipped");
    expect(skipped.length).toBe(1);
    expect(Number(skipped[0]!.fields.bytes)).toBeGreaterThan(64);
    expect(counterOf(lone(disk.open(), 64, 3))).toBe(1);
  });

  it("round-trips a store through its encoding and refuses truncated or trailing bytes", () => {
    const disk = new SimDisk(Prng.derive(3, "disk"));
    const service = lone(disk.open(), AP_FILE_BYTES_MAX_DEFAULT, 1);
    service.operation(p0, add(4), false);
    service.operation(p0, { structure: "set", op: "add", name: "s", element: "x" }, false);
    service.save();
    const body = disk.read(`${apFolderOf("data")}/${apStoresFileName}`, 16, 1 << 20);
    const decoded = apStoresDecode(body);
    expect([...decoded.keys()]).toEqual([p0]);
    expect(decoded.get(p0)!.map(([key]) => key)).toEqual(["counter/c", "set/s"]);
    expect(() => apStoresDecode(body.subarray(0, body.byteLength - 1))).toThrow();
    expect(() => apStoresDecode(new Uint8Array([...body, 0]))).toThrow();
  });

  it("reads a partition file of the earlier layout at start, and removes it after the first save", () => {
    const disk = new SimDisk(Prng.derive(4, "disk"));
    const first = lone(disk.open(), AP_FILE_BYTES_MAX_DEFAULT, 1);
    first.operation(p0, add(5), false);
    first.save();
    // The earlier layout: partition 0's store body (version 1) alone in partition_0.crdt.
    const folder = apFolderOf("data");
    const saved = apStoresDecode(disk.read(`${folder}/${apStoresFileName}`, 16, 1 << 20)).get(p0)!;
    const writer = new ByteWriter();
    writer.uint(1);
    writer.uint(saved.length);
    for (const [key, state] of saved) {
      writer.string(key);
      writer.bytes(encodeCrdt(state));
    }
    const earlier = new SimDisk(Prng.derive(5, "disk"));
    const files = earlier.open();
    atomicFileWrite(files, folder, apFileName(p0), AtomicFileKind.ApStore, writer.finish(), crc32);
    const migrated = lone(files, AP_FILE_BYTES_MAX_DEFAULT, 3);
    expect(counterOf(migrated)).toBe(5);
    migrated.operation(p0, add(1), false);
    migrated.save();
    expect(files.list(folder)).toEqual([apStoresFileName]);
    expect(counterOf(lone(earlier.open(), AP_FILE_BYTES_MAX_DEFAULT, 4))).toBe(6);
  });
});
