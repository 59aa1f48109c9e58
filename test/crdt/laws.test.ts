// Goal: the T2 algebra of every CRDT type (TESTING.md T2). Method: fast-check draws scenarios of
// random operations at 1–5 replicas interleaved with full-state merges (so every state checked is
// reachable), and checks on the result: join commutative, associative, idempotent; mutators
// inflate and m(X) = X ⊔ mδ(X); any grouping, duplication and reordering of the deltas equals the
// full-state merge; queries match a sequential specification computed from the causal history
// (add-wins, enable-wins, LWW, multi-value, observed-reset map); decode(encode(x)) = x. 1,000
// cases per law and type (20,000 with SHOAL_TIER=extended); fast-check prints the seed and the
// shrunk counterexample on failure.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MUTANTS_NONE } from "../../src/protocol/crdt/index.js";
import { deltasEqualFullMerge, laws, orderArbitrary, runScenario, scenarioArbitrary } from "./law_harness.js";
import { typeSpecs } from "./type_specs.js";

const numRuns = process.env["SHOAL_TIER"] === "extended" ? 20_000 : 1_000;

describe.each(typeSpecs.map((spec) => [spec.name, spec] as const))("T2 laws: %s", (_name, spec) => {
  for (const [law, holds] of Object.entries(laws)) {
    it(law, () => {
      fc.assert(
        fc.property(scenarioArbitrary, (scenario) =>
          holds(spec, runScenario(spec, scenario, MUTANTS_NONE), MUTANTS_NONE),
        ),
        { numRuns },
      );
    });
  }

  it("deltas in any grouping, duplication and order equal the full-state merge", () => {
    fc.assert(
      fc.property(scenarioArbitrary, orderArbitrary, (scenario, order) =>
        deltasEqualFullMerge(spec, runScenario(spec, scenario, MUTANTS_NONE), order, MUTANTS_NONE),
      ),
      { numRuns },
    );
  });
});

describe("T2 laws: the harness itself", () => {
  it("produces states that differ between replicas (the scenarios are not trivial)", () => {
    const samples = fc.sample(scenarioArbitrary, { numRuns: 200, seed: 7 });
    const orset = typeSpecs.find((spec) => spec.name === "ORSet")!;
    const distinct = samples.filter((scenario) => {
      const run = runScenario(orset, scenario, MUTANTS_NONE);
      return new Set(run.states.map((state) => orset.value(state))).size > 1;
    });
    expect(distinct.length).toBeGreaterThan(20);
  });
});
