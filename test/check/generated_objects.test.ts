// Goal: the checker accepts every generated history that is linearizable by construction and
// rejects each injected violation (a counter read out of reach, a fence that goes backwards, a
// release by a stranger, too many permits, a dequeue of an element never enqueued or taken twice),
// for the counter, fenced-mutex, semaphore and fifo-queue models (TESTING.md T1 b). Method:
// generated_suite.ts, 500 seeds each.

import { describe, it } from "vitest";
import { runGeneratedSuite, suiteTimeoutMs as timeoutMs } from "./generated_suite.js";

const file = "test/check/generated_objects.test.ts";

describe("generated object histories", () => {
  for (const model of ["counter", "fenced-mutex", "semaphore", "fifo-queue"] as const) {
    it(
      model,
      () => {
        console.log(runGeneratedSuite(model, file));
      },
      timeoutMs,
    );
  }
});
