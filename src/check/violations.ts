// Injectors of provable violations into generated histories (generator.ts). Each one adds or
// changes operations so that no linearization can exist, whatever the rest of the history does,
// relying on what the generator guarantees: written values are unique, counter deltas positive,
// enqueued elements unique. An injector returns null when the history lacks what it needs (say,
// two writes one after the other).

import type { Prng } from "../lib/index.js";
import type { GeneratedModel } from "./generator_workloads.js";
import type { HistoryEvent } from "./history.js";
import { type HistoryOperation, pairEvents } from "./operation.js";

/** The kinds of violation the injectors make. */
export const violationKinds = [
  "phantom-read",
  "stale-read",
  "double-cas",
  "fence-backwards",
  "release-by-stranger",
  "over-acquire",
  "phantom-dequeue",
  "double-dequeue",
] as const;

/** One of {@link violationKinds}. */
export type ViolationKind = (typeof violationKinds)[number];

/** The violations that apply to each generated model. */
export const violationsByModel: Readonly<Record<GeneratedModel, readonly ViolationKind[]>> = {
  register: ["phantom-read", "stale-read"],
  "cas-register": ["phantom-read", "stale-read", "double-cas"],
  kv: ["phantom-read", "stale-read", "double-cas"],
  counter: ["phantom-read", "stale-read"],
  "fenced-mutex": ["fence-backwards", "release-by-stranger"],
  semaphore: ["release-by-stranger", "over-acquire"],
  "fifo-queue": ["phantom-dequeue", "double-dequeue"],
};

interface Insert {
  /** The new operation's invoke goes before the event at this position (events.length: at the end). */
  readonly position: number;
  readonly f: string;
  readonly key: string | null;
  readonly input: unknown;
  readonly output: unknown;
}

function operationsOf(events: readonly HistoryEvent[]): HistoryOperation[] {
  return pairEvents(events.map((event, i) => ({ event, line: i + 1 })));
}

function insertOperation(events: readonly HistoryEvent[], insert: Insert): HistoryEvent[] {
  const process = events.reduce((max, event) => Math.max(max, event.process), -1) + 1;
  const keyed = insert.key === null ? {} : { key: insert.key };
  const invoke: HistoryEvent = {
    type: "invoke",
    process,
    f: insert.f,
    value: insert.input,
    time: 0,
    ...keyed,
  };
  const ok: HistoryEvent = { type: "ok", process, f: insert.f, value: insert.output, time: 0, ...keyed };
  const out = [...events.slice(0, insert.position), invoke, ok, ...events.slice(insert.position)];
  return out.map((event, time) => ({ ...event, time }));
}

/** A position after event `after`, uniformly drawn. */
function positionAfter(prng: Prng, after: number, length: number): number {
  return prng.intBetween(after + 1, length);
}

const isKnownWrite = (operation: HistoryOperation): boolean =>
  operation.outcome === "ok" &&
  (operation.f === "write" || operation.f === "put" || (operation.f === "cas" && operation.output === true));

function writtenValue(operation: HistoryOperation): unknown {
  return operation.f === "cas" ? (operation.input as unknown[])[1] : operation.input;
}

function readFor(operation: HistoryOperation): string {
  return operation.f === "put" || typeof writtenValue(operation) === "string" ? "get" : "read";
}

function phantomRead(events: readonly HistoryEvent[], prng: Prng, model: GeneratedModel): HistoryEvent[] {
  const operations = operationsOf(events);
  const position = prng.intBetween(0, events.length);
  if (model === "counter") {
    const total = operations.reduce((sum, op) => (op.f === "read" ? sum : sum + (op.input as number)), 0);
    return insertOperation(events, { position, f: "read", key: null, input: null, output: total + 1 });
  }
  const keys = [...new Set(operations.map((operation) => operation.key))];
  const key = prng.pick(keys.length > 0 ? keys : [null]);
  const stringKey = operations.some(
    (op) => op.key === key && (op.f === "get" || op.f === "put" || op.f === "append"),
  );
  return stringKey
    ? insertOperation(events, { position, f: "get", key, input: null, output: "phantom" })
    : insertOperation(events, { position, f: "read", key, input: null, output: -1 });
}

function staleRead(
  events: readonly HistoryEvent[],
  prng: Prng,
  model: GeneratedModel,
): HistoryEvent[] | null {
  const operations = operationsOf(events);
  if (model === "counter") {
    const reads = operations.filter(
      (op) => op.outcome === "ok" && op.f === "read" && op.returnTime < events.length,
    );
    if (reads.length === 0) return null;
    const read = prng.pick(reads);
    const position = positionAfter(prng, read.returnTime, events.length);
    return insertOperation(events, {
      position,
      f: "read",
      key: null,
      input: null,
      output: (read.output as number) - 1,
    });
  }
  const writes = operations.filter(isKnownWrite);
  const pairs: [HistoryOperation, HistoryOperation][] = [];
  for (const second of writes) {
    const firsts = writes.filter((first) => first.key === second.key && first.returnTime < second.callTime);
    if (firsts.length > 0) pairs.push([prng.pick(firsts), second]);
    if (pairs.length >= 16) break;
  }
  if (pairs.length === 0) return null;
  const [first, second] = prng.pick(pairs);
  const position = positionAfter(prng, second.returnTime, events.length);
  const f = readFor(first);
  return insertOperation(events, { position, f, key: first.key, input: null, output: writtenValue(first) });
}

function doubleCas(events: readonly HistoryEvent[], prng: Prng): HistoryEvent[] | null {
  const operations = operationsOf(events);
  const swaps = operations.filter((op) => op.f === "cas" && op.outcome === "ok" && op.output === true);
  if (swaps.length === 0) return null;
  const first = prng.pick(swaps);
  const [from] = first.input as [unknown, unknown];
  const fresh = operations.length * 10 + 1_000_000;
  const position = positionAfter(prng, first.returnTime, events.length);
  return insertOperation(events, { position, f: "cas", key: first.key, input: [from, fresh], output: true });
}

function fenceBackwards(events: readonly HistoryEvent[], prng: Prng): HistoryEvent[] | null {
  const operations = operationsOf(events);
  const acquires = operations.filter((op) => op.f === "acquire" && op.outcome === "ok");
  const pairs: [HistoryOperation, HistoryOperation][] = [];
  for (const later of acquires) {
    const earlier = acquires.filter((op) => op.returnTime < later.callTime);
    if (earlier.length > 0) pairs.push([prng.pick(earlier), later]);
  }
  if (pairs.length === 0) return null;
  const [earlier, later] = prng.pick(pairs);
  const fence = (earlier.output as number) - prng.below(2);
  return events.map((event, i) => (i === later.returnTime ? { ...event, value: fence } : event));
}

function dequeueInjection(
  events: readonly HistoryEvent[],
  prng: Prng,
  twice: boolean,
): HistoryEvent[] | null {
  if (!twice) {
    const position = prng.intBetween(0, events.length);
    return insertOperation(events, { position, f: "dequeue", key: null, input: null, output: -7 });
  }
  const taken = operationsOf(events).filter(
    (op) => op.f === "dequeue" && op.outcome === "ok" && op.output !== null,
  );
  if (taken.length === 0) return null;
  const first = prng.pick(taken);
  const position = positionAfter(prng, first.returnTime, events.length);
  return insertOperation(events, { position, f: "dequeue", key: null, input: null, output: first.output });
}

/** Returns `events` with a violation of `kind` injected, or null when the history cannot take it. */
export function injectViolation(
  events: readonly HistoryEvent[],
  kind: ViolationKind,
  model: GeneratedModel,
  prng: Prng,
  permits: number,
): HistoryEvent[] | null {
  switch (kind) {
    case "phantom-read":
      return phantomRead(events, prng, model);
    case "stale-read":
      return staleRead(events, prng, model);
    case "double-cas":
      return doubleCas(events, prng);
    case "fence-backwards":
      return fenceBackwards(events, prng);
    case "release-by-stranger": {
      const position = prng.intBetween(0, events.length);
      return insertOperation(events, { position, f: "release", key: null, input: 1, output: 1 });
    }
    case "over-acquire": {
      const position = prng.intBetween(0, events.length);
      return insertOperation(events, {
        position,
        f: "acquire",
        key: null,
        input: permits + 1,
        output: permits + 1,
      });
    }
    case "phantom-dequeue":
      return dequeueInjection(events, prng, false);
    case "double-dequeue":
      return dequeueInjection(events, prng, true);
  }
}
