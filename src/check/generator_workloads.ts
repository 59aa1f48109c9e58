// The sequential reference behaviour the history generator runs, one per model: what a client
// asks next, and what a correct object answers. Written apart from the checker's models on
// purpose, so a bug in a model is not mirrored here. Every written value is unique (violation
// injection relies on it) and every counter delta is positive.

import type { Prng } from "../lib/index.js";

/** An operation a client invokes. */
export interface GeneratedInvoke {
  readonly f: string;
  readonly key: string | null;
  readonly input: unknown;
}

/** What the object answered: `ok` with an output, or `fail` (it surely did nothing). */
export interface GeneratedAnswer {
  readonly type: "ok" | "fail";
  readonly output: unknown;
}

/** One model's reference behaviour; `process` is the invoking process, `slot` its client. */
export interface ReferenceWorkload {
  choose(prng: Prng, slot: number, process: number): GeneratedInvoke;
  apply(invoke: GeneratedInvoke, process: number): GeneratedAnswer;
  /** Whether an operation may end with an unknown outcome after taking effect. */
  mayTakeEffectUnseen(invoke: GeneratedInvoke): boolean;
}

type Scalar = string | number | null;

class Registers implements ReferenceWorkload {
  private readonly values = new Map<string | null, Scalar>();
  private nextValue = 1;

  constructor(
    private readonly keys: readonly (string | null)[],
    private readonly allowCas: boolean,
    /** Keys that take get/put/append (strings) rather than read/write/cas. */
    private readonly stringKeys: ReadonlySet<string | null>,
  ) {}

  choose(prng: Prng): GeneratedInvoke {
    const key = prng.pick(this.keys);
    const roll = prng.next();
    if (this.stringKeys.has(key)) {
      if (roll < 0.45) return { f: "get", key, input: null };
      if (roll < 0.6) return { f: "put", key, input: `v${this.nextValue++}` };
      return { f: "append", key, input: ` x${this.nextValue++}` };
    }
    if (roll < 0.45) return { f: "read", key, input: null };
    if (!this.allowCas || roll < 0.75) return { f: "write", key, input: this.nextValue++ };
    const current = this.values.get(key) ?? null;
    const from = prng.chance(0.6) ? current : prng.intBetween(1, Math.max(1, this.nextValue - 1));
    return { f: "cas", key, input: [from, this.nextValue++] };
  }

  apply(invoke: GeneratedInvoke): GeneratedAnswer {
    const current = this.values.get(invoke.key) ?? null;
    switch (invoke.f) {
      case "read":
        return { type: "ok", output: current };
      case "get":
        return { type: "ok", output: current ?? "" };
      case "append":
        this.values.set(invoke.key, (current ?? "") + (invoke.input as string));
        return { type: "ok", output: invoke.input };
      case "cas": {
        const [from, to] = invoke.input as [Scalar, Scalar];
        if (current !== from) return { type: "ok", output: false };
        this.values.set(invoke.key, to);
        return { type: "ok", output: true };
      }
      default:
        this.values.set(invoke.key, invoke.input as Scalar);
        return { type: "ok", output: invoke.input };
    }
  }

  mayTakeEffectUnseen(): boolean {
    return true;
  }
}

class Counter implements ReferenceWorkload {
  private count = 0;

  choose(prng: Prng): GeneratedInvoke {
    const roll = prng.next();
    if (roll < 0.4) return { f: "read", key: null, input: null };
    if (roll < 0.6) return { f: "incr", key: null, input: 1 };
    if (roll < 0.8) return { f: "add", key: null, input: prng.intBetween(1, 5) };
    return { f: "incrementAndGet", key: null, input: 1 };
  }

  apply(invoke: GeneratedInvoke): GeneratedAnswer {
    if (invoke.f === "read") return { type: "ok", output: this.count };
    this.count += invoke.input as number;
    return { type: "ok", output: invoke.f === "incrementAndGet" ? this.count : invoke.input };
  }

  mayTakeEffectUnseen(): boolean {
    return true;
  }
}

class Mutex implements ReferenceWorkload {
  private owner: number | null = null;
  private fence = 0;
  private readonly holding = new Set<number>();

  choose(_prng: Prng, _slot: number, process: number): GeneratedInvoke {
    return { f: this.holding.has(process) ? "release" : "acquire", key: null, input: null };
  }

  apply(invoke: GeneratedInvoke, process: number): GeneratedAnswer {
    if (invoke.f === "release") {
      if (this.owner !== process) return { type: "fail", output: null };
      this.owner = null;
      this.holding.delete(process);
      return { type: "ok", output: null };
    }
    if (this.owner !== null) return { type: "fail", output: null };
    this.owner = process;
    this.fence += 1 + (this.fence % 3);
    this.holding.add(process);
    return { type: "ok", output: this.fence };
  }

  // An acquire that takes effect unseen leaves the lock held by a process that is gone.
  mayTakeEffectUnseen(invoke: GeneratedInvoke): boolean {
    return invoke.f === "release";
  }
}

class Semaphore implements ReferenceWorkload {
  private readonly held = new Map<number, number>();

  constructor(private readonly permits: number) {}

  choose(prng: Prng, _slot: number, process: number): GeneratedInvoke {
    const mine = this.held.get(process) ?? 0;
    if (mine > 0 && prng.chance(0.7)) return { f: "release", key: null, input: prng.intBetween(1, mine) };
    return { f: "acquire", key: null, input: prng.intBetween(1, Math.min(2, this.permits)) };
  }

  apply(invoke: GeneratedInvoke, process: number): GeneratedAnswer {
    const count = invoke.input as number;
    const mine = this.held.get(process) ?? 0;
    if (invoke.f === "release") {
      if (mine < count) return { type: "fail", output: null };
      this.held.set(process, mine - count);
      return { type: "ok", output: count };
    }
    let total = 0;
    for (const held of this.held.values()) total += held;
    if (total + count > this.permits) return { type: "fail", output: null };
    this.held.set(process, mine + count);
    return { type: "ok", output: count };
  }

  mayTakeEffectUnseen(invoke: GeneratedInvoke): boolean {
    return invoke.f === "release";
  }
}

class Queue implements ReferenceWorkload {
  private readonly items: number[] = [];
  private head = 0;
  private nextValue = 1;

  choose(prng: Prng): GeneratedInvoke {
    // Dequeues outnumber enqueues so the queue stays short: an order of concurrent enqueues that
    // stays unobserved for long multiplies the states the checker must keep apart.
    if (prng.chance(0.4)) return { f: "enqueue", key: null, input: this.nextValue++ };
    return { f: "dequeue", key: null, input: null };
  }

  apply(invoke: GeneratedInvoke): GeneratedAnswer {
    if (invoke.f === "enqueue") {
      this.items.push(invoke.input as number);
      return { type: "ok", output: invoke.input };
    }
    if (this.head === this.items.length) return { type: "ok", output: null };
    this.head += 1;
    return { type: "ok", output: this.items[this.head - 1] };
  }

  mayTakeEffectUnseen(): boolean {
    return true;
  }
}

/** The models the generator can drive. */
export const generatedModels = [
  "register",
  "cas-register",
  "kv",
  "counter",
  "fenced-mutex",
  "semaphore",
  "fifo-queue",
] as const;

/** One of {@link generatedModels}. */
export type GeneratedModel = (typeof generatedModels)[number];

/** Builds the reference behaviour of `model`. */
export function referenceWorkload(
  model: GeneratedModel,
  keyCount: number,
  permits: number,
): ReferenceWorkload {
  switch (model) {
    case "register":
      return new Registers([null], false, new Set());
    case "cas-register":
      return new Registers([null], true, new Set());
    case "kv": {
      const keys = Array.from({ length: keyCount }, (_, i) => `k${i}`);
      return new Registers(keys, true, new Set(keys.filter((_, i) => i % 2 === 0)));
    }
    case "counter":
      return new Counter();
    case "fenced-mutex":
      return new Mutex();
    case "semaphore":
      return new Semaphore(permits);
    case "fifo-queue":
      return new Queue();
  }
}
