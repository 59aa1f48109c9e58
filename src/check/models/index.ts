// The model registry: every model by the name `shoal check --model` takes.

import type { AnyModel } from "../model.js";
import { counterModel } from "./counter.js";
import { fencedMutexModel } from "./fenced_mutex.js";
import { fifoQueueModel } from "./fifo_queue.js";
import { casRegisterModel, kvModel, registerModel } from "./register.js";
import { semaphoreModel } from "./semaphore.js";

/** Options some models take. */
export interface ModelOptions {
  /** Total permits of `semaphore`. */
  readonly permits: number;
}

const factories: Readonly<Record<string, (options: ModelOptions) => AnyModel>> = {
  register: () => registerModel(),
  "cas-register": () => casRegisterModel(),
  kv: () => kvModel(),
  counter: () => counterModel(),
  "fenced-mutex": () => fencedMutexModel(),
  semaphore: (options) => semaphoreModel(options.permits),
  "fifo-queue": () => fifoQueueModel(),
  queue: () => fifoQueueModel(),
};

/** The names of every linearizability model. */
export const modelNames: readonly string[] = Object.keys(factories);

/** Builds the model called `name`, or returns null when there is none. */
export function modelByName(name: string, options: ModelOptions): AnyModel | null {
  const factory = factories[name];
  return factory === undefined ? null : factory(options);
}

export {
  counterModel,
  fencedMutexModel,
  fifoQueueModel,
  casRegisterModel,
  kvModel,
  registerModel,
  semaphoreModel,
};
export type { CounterOperation } from "./counter.js";
export type { MutexOperation, MutexState } from "./fenced_mutex.js";
export type { QueueOperation } from "./fifo_queue.js";
export type { RegisterOperation } from "./register.js";
export type { SemaphoreOperation, SemaphoreState } from "./semaphore.js";
