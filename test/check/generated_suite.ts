// Shared by the generated-history tests: for one model, generate histories that are linearizable
// by construction and check that each is "ok"; inject one provable violation into each and check
// that the result is "illegal". A failing seed prints the command that replays it alone.

import { expect } from "vitest";
import {
  checkHistory,
  type GeneratedModel,
  generateSeededHistory,
  type HistoryShape,
  type HistoryEvent,
  injectViolation,
  modelByName,
  pairEvents,
  violationsByModel,
} from "../../src/check/index.js";
import { Prng } from "../../src/lib/index.js";

/** Histories per model in the everyday tier (TESTING.md T1 asks for at least 500). */
export const historiesPerModel = 500;
/** Vitest's limit for one model's suite: the extended tier's 2,000-operation histories take minutes. */
export const suiteTimeoutMs = process.env.SHOAL_TIER === "extended" ? 600_000 : 120_000;
const timeoutMs = 10_000;
const permits = 2;

/**
 * The histories the suite draws. Everyday: 50–300 operations; extended: TESTING.md T1's full
 * 50–2,000. The FIFO queue stays at 50–150 (TESTING.md T6g keeps the queue model for short
 * histories and total-queue for long ones). Operations in flight on one object are bounded (1.5
 * for the queue and 2 for kv, whose enqueue and append orders are revealed late; 3 otherwise) and
 * unknown outcomes capped at 4 per history: past that the Wing–Gong search grows exponentially on
 * illegal histories (see the report).
 */
export function shapeFor(model: GeneratedModel): HistoryShape {
  return {
    operationsMin: 50,
    operationsMax: model === "fifo-queue" ? 150 : process.env.SHOAL_TIER === "extended" ? 2000 : 300,
    clientsMax: 50,
    inFlightTarget: model === "fifo-queue" ? 1.5 : model === "kv" ? 2 : 3,
    unknownProbability: 0.01,
    unknownCountMax: 4,
    keysMax: 8,
    permits,
  };
}

function check(model: GeneratedModel, events: readonly HistoryEvent[]) {
  const operations = pairEvents(events.map((event, i) => ({ event, line: i + 1 })));
  return checkHistory(modelByName(model, { permits })!, operations, {
    timeoutMs,
    nowMs: () => performance.now(),
  });
}

/** Runs the suite for `model` (or one seed of it when SHOAL_CHECK_SEED is set); returns its figures. */
export function runGeneratedSuite(model: GeneratedModel, testFile: string): string {
  const only = process.env.SHOAL_CHECK_SEED;
  const seeds =
    only === undefined ? Array.from({ length: historiesPerModel }, (_, i) => i + 1) : [Number(only)];
  const kinds = violationsByModel[model];
  const injected = new Map<string, number>();
  const failures: string[] = [];
  let operationCount = 0;
  const startMs = performance.now();
  for (const seed of seeds) {
    const events = generateSeededHistory(model, seed, shapeFor(model));
    const replay = `SHOAL_CHECK_SEED=${seed} npx vitest run ${testFile} -t ${JSON.stringify(model)}`;
    const good = check(model, events);
    operationCount += good.operationCount;
    if (good.verdict !== "ok")
      failures.push(`seed ${seed}: by construction got ${good.verdict}; replay: ${replay}`);
    const kind = kinds[seed % kinds.length]!;
    const bad = injectViolation(events, kind, model, Prng.derive(seed, "inject"), permits);
    if (bad === null) continue;
    injected.set(kind, (injected.get(kind) ?? 0) + 1);
    const verdict = check(model, bad).verdict;
    if (verdict !== "illegal") failures.push(`seed ${seed}: ${kind} got ${verdict}; replay: ${replay}`);
  }
  const elapsedMs = performance.now() - startMs;
  expect(failures).toEqual([]);
  if (only === undefined) {
    for (const kind of kinds)
      expect(injected.get(kind) ?? 0, `${kind} injected`).toBeGreaterThan(seeds.length / kinds.length / 2);
  }
  const checked = seeds.length + [...injected.values()].reduce((a, b) => a + b, 0);
  return (
    `${model}: ${checked} histories (${seeds.length} by construction, ${checked - seeds.length} with a violation), ` +
    `${operationCount} operations, ${elapsedMs.toFixed(0)} ms, ${((checked / elapsedMs) * 1000).toFixed(0)} histories/s`
  );
}
