// A generator of histories that are linearizable by construction. Clients run a reference model
// (generator_workloads.ts) under a random schedule: each operation is invoked, later applied to the
// reference object atomically (its linearization point), and later still completed, so its
// interval contains its linearization point. Some operations end with an unknown outcome (`info`,
// or no completion at all): they took effect before, or take effect later, or never; their client
// then continues as a new process, as Jepsen does.

import { assert, Prng } from "../lib/index.js";
import { type GeneratedInvoke, type GeneratedModel, referenceWorkload } from "./generator_workloads.js";
import type { HistoryEvent } from "./history.js";

/** Options of {@link generateHistory}. */
export interface GenerateOptions {
  readonly model: GeneratedModel;
  readonly seed: number;
  readonly operationCount: number;
  readonly clientCount: number;
  /** Chance that an operation ends with an unknown outcome. */
  readonly unknownProbability: number;
  /**
   * Most operations of unknown outcome in the history. Each may be linearized anywhere after its
   * call, so each can double the search space of an illegal history; Jepsen's histories hold few.
   */
  readonly unknownCountMax: number;
  /** Keys of `kv` (other models use one object and no key). */
  readonly keyCount: number;
  /** Permits of `semaphore`. */
  readonly permits: number;
  /**
   * Operations in flight on average, at most: idle clients think before their next invoke so that
   * about this many are open at once (many clients, each mostly thinking, as in a real test).
   */
  readonly inFlightTarget: number;
}

/** The most operations one generated history may hold. */
export const generatedOperationsMax = 100_000;

type Fate = "known" | "unknown-applied" | "unknown-late" | "unknown-never";

interface Client {
  process: number;
  phase: "idle" | "invoked" | "applied";
  invoke: GeneratedInvoke | null;
  output: unknown;
  type: "ok" | "fail";
  fate: Fate;
}

interface Zombie {
  readonly invoke: GeneratedInvoke;
  readonly process: number;
}

function drawFate(prng: Prng, probability: number, mayTakeEffectUnseen: boolean): Fate {
  if (probability === 0 || !prng.chance(probability)) return "known";
  if (!mayTakeEffectUnseen) return "unknown-never";
  const roll = prng.below(3);
  return roll === 0 ? "unknown-applied" : roll === 1 ? "unknown-late" : "unknown-never";
}

/** Generates a linearizable history as Shoal JSONL events. */
export function generateHistory(options: GenerateOptions): HistoryEvent[] {
  assert(options.operationCount > 0 && options.operationCount <= generatedOperationsMax);
  assert(options.clientCount > 0);
  const prng = Prng.derive(options.seed, `generate-${options.model}`);
  const reference = referenceWorkload(options.model, options.keyCount, options.permits);
  const clients: Client[] = Array.from({ length: options.clientCount }, (_, slot) => ({
    process: slot,
    phase: "idle",
    invoke: null,
    output: null,
    type: "ok",
    fate: "known",
  }));
  const events: HistoryEvent[] = [];
  const zombies: Zombie[] = [];
  let nextProcess = options.clientCount;
  let invoked = 0;
  let unknownCount = 0;
  const emit = (
    type: HistoryEvent["type"],
    process: number,
    invoke: GeneratedInvoke,
    value: unknown,
  ): void => {
    const base = { type, process, f: invoke.f, value, time: events.length };
    events.push(invoke.key === null ? base : { ...base, key: invoke.key });
  };
  // A client picked at random spends about 2 × clientCount steps in flight per operation; thinking
  // with invoke probability p makes the expected share in flight 2p / (2p + 1).
  const target = Math.min(options.inFlightTarget, options.clientCount);
  const invokeProbability =
    target >= options.clientCount ? 1 : Math.min(1, target / (2 * (options.clientCount - target)));
  const busy = (): boolean => clients.some((client) => client.phase !== "idle");
  while (invoked < options.operationCount || busy()) {
    if (zombies.length > 0 && prng.chance(0.05)) {
      const zombie = zombies.splice(prng.below(zombies.length), 1)[0]!;
      reference.apply(zombie.invoke, zombie.process);
    }
    const slot = prng.below(clients.length);
    const client = clients[slot]!;
    if (client.phase === "idle") {
      if (invoked === options.operationCount || !prng.chance(invokeProbability)) continue;
      invoked += 1;
      client.invoke = reference.choose(prng, slot, client.process);
      const probability = unknownCount < options.unknownCountMax ? options.unknownProbability : 0;
      client.fate = drawFate(prng, probability, reference.mayTakeEffectUnseen(client.invoke));
      if (client.fate !== "known") unknownCount += 1;
      emit("invoke", client.process, client.invoke, client.invoke.input);
      client.phase = "invoked";
    } else if (client.phase === "invoked") {
      const invoke = client.invoke!;
      if (client.fate === "known" || client.fate === "unknown-applied") {
        const answer = reference.apply(invoke, client.process);
        client.type = answer.type;
        client.output = answer.output;
      } else if (client.fate === "unknown-late") {
        zombies.push({ invoke, process: client.process });
      }
      client.phase = "applied";
    } else {
      const invoke = client.invoke!;
      if (client.fate === "known") {
        emit(client.type, client.process, invoke, client.output);
      } else {
        if (prng.chance(0.5)) emit("info", client.process, invoke, null);
        client.process = nextProcess++;
      }
      client.phase = "idle";
      client.invoke = null;
    }
  }
  return events;
}

/** The range of histories {@link generateSeededHistory} draws from. */
export interface HistoryShape {
  readonly operationsMin: number;
  readonly operationsMax: number;
  readonly clientsMax: number;
  readonly inFlightTarget: number;
  /** Half the seeds get this chance of unknown outcomes, the other half none. */
  readonly unknownProbability: number;
  readonly unknownCountMax: number;
  readonly keysMax: number;
  readonly permits: number;
}

/** Draws a history's size (log-uniform in the shape's range), clients and keys from `seed`, then generates it. */
export function generateSeededHistory(
  model: GeneratedModel,
  seed: number,
  shape: HistoryShape,
): HistoryEvent[] {
  const prng = Prng.derive(seed, "shape");
  const span = Math.log(shape.operationsMax) - Math.log(shape.operationsMin);
  return generateHistory({
    model,
    seed,
    operationCount: Math.round(Math.exp(Math.log(shape.operationsMin) + prng.next() * span)),
    clientCount: prng.intBetween(1, shape.clientsMax),
    unknownProbability: prng.chance(0.5) ? shape.unknownProbability : 0,
    unknownCountMax: shape.unknownCountMax,
    keyCount: prng.intBetween(1, shape.keysMax),
    permits: shape.permits,
    inFlightTarget: shape.inFlightTarget,
  });
}
