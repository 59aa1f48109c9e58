// A concurrent CP workload for the end-to-end tests: `workers` clients, each its own connection,
// doing map reads, writes and compare-and-sets on a few keys and atomicLong increments, recording
// every operation as HistoryEvents (src/check/history.ts). An operation that ends in an error is
// recorded as `info` (outcome unknown) and its worker continues as a new process, as Jepsen does.

import { connect, type Shoal } from "../../src/index.js";
import type { HistoryEvent } from "../../src/check/index.js";

/** Map the register operations use, its keys, and the atomic long the increments use. */
export const workloadMap = "reg";
export const workloadKeys = ["k0", "k1", "k2", "k3"];
export const workloadLong = "seq";

/** What a workload run recorded. */
export interface WorkloadRun {
  readonly map: HistoryEvent[];
  readonly long: HistoryEvent[];
  /** Completion times (ms, performance.now()) of acknowledged writes, with their invoke times and keys. */
  readonly writesOk: { readonly key: string; readonly invokeMs: number; readonly okMs: number }[];
  readonly counts: { ok: number; info: number };
}

/** Runs the workload until `stop` resolves; every operation has `timeoutMs`. */
export async function runWorkload(
  endpoints: readonly string[],
  secret: string,
  workers: number,
  timeoutMs: number,
  stop: Promise<void>,
): Promise<WorkloadRun> {
  const run: WorkloadRun = { map: [], long: [], writesOk: [], counts: { ok: 0, info: 0 } };
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  let nextProcess = 0;
  const clients: Shoal[] = [];
  for (let w = 0; w < workers; w++) clients.push(await connect({ endpoints, secret, timeoutMs }));
  const worker = async (w: number, shoal: Shoal): Promise<void> => {
    let process = nextProcess++;
    let written = 0;
    const map = shoal.map<number>(workloadMap);
    const long = shoal.atomicLong(workloadLong);
    for (let n = 0; !stopped && n < 100_000; n++) {
      const roll = (w * 7919 + n * 104_729) % 10;
      const key = workloadKeys[(w + n) % workloadKeys.length]!;
      const now = (): number => performance.now();
      const log = roll < 2 ? run.long : run.map;
      const objectKey = roll < 2 ? workloadLong : key;
      let open: { readonly f: string; readonly value: unknown } | null = null;
      const record = (type: HistoryEvent["type"], f: string, value: unknown): void => {
        log.push({ type, process, f, key: objectKey, value, time: now() });
        open = type === "invoke" ? { f, value } : null;
      };
      const invokeMs = now();
      try {
        if (roll < 2) {
          record("invoke", "incrementAndGet", 1);
          record("ok", "incrementAndGet", await long.incrementAndGet());
        } else if (roll < 5) {
          record("invoke", "read", null);
          record("ok", "read", (await map.get(key)) ?? null);
        } else if (roll < 8) {
          written += 1;
          const value = w * 1_000_000 + written;
          record("invoke", "write", value);
          await map.put(key, value);
          record("ok", "write", value);
          run.writesOk.push({ key, invokeMs, okMs: now() });
        } else {
          written += 1;
          const from = (await map.get(key)) ?? null;
          const to = w * 1_000_000 + written;
          record("invoke", "cas", [from, to]);
          const swapped = await map.compareAndSet(key, from ?? undefined, to);
          record("ok", "cas", swapped);
        }
        run.counts.ok += 1;
      } catch {
        const pending = open as { readonly f: string; readonly value: unknown } | null;
        if (pending !== null) {
          record("info", pending.f, pending.value);
          run.counts.info += 1;
          process = nextProcess++;
        }
      }
    }
  };
  await Promise.all(clients.map((shoal, w) => worker(w, shoal)));
  for (const shoal of clients) await shoal.close();
  return run;
}
