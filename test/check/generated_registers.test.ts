// Goal: the checker accepts every generated history that is linearizable by construction and
// rejects each injected violation (phantom read, stale read, two CAS from one value), for the
// register, cas-register and kv models (TESTING.md T1 b). Method: generated_suite.ts, 500 seeds each.

import { describe, it } from "vitest";
import { runGeneratedSuite, suiteTimeoutMs as timeoutMs } from "./generated_suite.js";

const file = "test/check/generated_registers.test.ts";

describe("generated register histories", () => {
  for (const model of ["register", "cas-register", "kv"] as const) {
    it(
      model,
      () => {
        console.log(runGeneratedSuite(model, file));
      },
      timeoutMs,
    );
  }
});
