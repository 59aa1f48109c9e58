// Goal: the simulated network does what its faults say and nothing else, deterministically.
// Method: send counted messages across links with each fault on its own, and compare two runs of
// one seed by their trace hashes.

import { describe, expect, it } from "vitest";
import { Prng } from "../../src/lib/prng.js";
import { type LinkFaults, linkFaultsNone, SimNetwork } from "../../src/sim/network.js";
import { SimScheduler } from "../../src/sim/scheduler.js";
import { Trace } from "../../src/sim/trace.js";

function setup(faults: LinkFaults, seed = 1) {
  const scheduler = new SimScheduler();
  const trace = new Trace();
  const network = new SimNetwork<number>(scheduler, Prng.fromSeed(seed), trace, { faults, describe: String });
  const received: Record<string, number[]> = { a: [], b: [], c: [] };
  for (const node of ["a", "b", "c"]) network.attach(node, (_from, message) => received[node]!.push(message));
  return { scheduler, trace, network, received };
}

describe("SimNetwork", () => {
  it("delivers everything on a fault-free network", () => {
    const { scheduler, network, received } = setup(linkFaultsNone());
    for (let i = 0; i < 100; i++) network.send("a", "b", i);
    scheduler.runFor(1_000);
    expect([...received.b!].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(network.stats.dropped).toBe(0);
  });

  it("reorders messages when delays vary", () => {
    const { scheduler, network, received } = setup({ ...linkFaultsNone(), delayMsMean: 20 });
    for (let i = 0; i < 100; i++) network.send("a", "b", i);
    scheduler.runFor(10_000);
    expect(received.b!.length).toBe(100);
    expect(received.b).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("loses and duplicates at about the configured rates", () => {
    const { scheduler, network, received } = setup({
      ...linkFaultsNone(),
      lossProbability: 0.3,
      duplicateProbability: 0.2,
    });
    for (let i = 0; i < 10_000; i++) network.send("a", "b", i);
    scheduler.runFor(1_000);
    expect(network.stats.dropped).toBeGreaterThan(2_700);
    expect(network.stats.dropped).toBeLessThan(3_300);
    expect(network.stats.duplicated).toBeGreaterThan(1_200);
    expect(received.b!.length).toBe(network.stats.delivered);
  });

  it("partitions symmetrically, one way, and heals", () => {
    const { scheduler, network, received } = setup(linkFaultsNone());
    network.partition([["a"], ["b", "c"]]);
    network.send("a", "b", 1);
    network.send("b", "a", 2);
    network.send("b", "c", 3);
    scheduler.runFor(100);
    expect(received).toEqual({ a: [], b: [], c: [3] });
    network.heal();
    network.partitionOneWay(["a"], ["c"]);
    network.send("a", "c", 4);
    network.send("c", "a", 5);
    scheduler.runFor(100);
    expect(received).toEqual({ a: [5], b: [], c: [3] });
  });

  it("holds clogged messages until the clog ends", () => {
    const { scheduler, network, received } = setup(linkFaultsNone());
    network.clog("a", "b", 500);
    network.send("a", "b", 1);
    scheduler.runFor(499);
    expect(received.b).toEqual([]);
    scheduler.runFor(10);
    expect(received.b).toEqual([1]);
  });

  it("drops messages to a detached node", () => {
    const { scheduler, network, received } = setup(linkFaultsNone());
    network.send("a", "b", 1);
    network.detach("b");
    scheduler.runFor(100);
    expect(received.b).toEqual([]);
    expect(network.stats.dropped).toBe(1);
  });

  it("replays exactly from a seed and differs across seeds", () => {
    const run = (seed: number) => {
      const { scheduler, trace, network } = setup(
        { delayMsMin: 1, delayMsMean: 10, lossProbability: 0.1, duplicateProbability: 0.1 },
        seed,
      );
      for (let i = 0; i < 500; i++) network.send(i % 2 === 0 ? "a" : "b", "c", i);
      scheduler.runFor(1_000);
      return trace.digest();
    };
    expect(run(7)).toBe(run(7));
    expect(run(7)).not.toBe(run(8));
  });
});
