// Goal: fault profiles are drawn per seed within their documented ranges and honour a `--faults`
// list; partitions of each mode cut what they claim; the nemesis injects faults over time, respects
// its down-node bound and always ends with a final heal. Method: draw many profiles, compute
// partitions directly, and run a nemesis against a cluster of idle processes.

import { describe, expect, it } from "vitest";
import { Prng } from "../../src/lib/prng.js";
import { SimCluster } from "../../src/sim/cluster.js";
import { FaultProfile, faultNames, parseFaultList, partitionModes } from "../../src/sim/fault_profile.js";
import { Nemesis, partitionLinks } from "../../src/sim/nemesis.js";
import { Trace } from "../../src/sim/trace.js";

const idle = () => ({ stop() {} });

describe("FaultProfile", () => {
  it("draws rates within range and varies across seeds", () => {
    const modes = new Set<string>();
    const enabledCounts = new Set<number>();
    for (let seed = 0; seed < 300; seed++) {
      const profile = FaultProfile.fromSeed(Prng.fromSeed(seed));
      expect(profile.linkFaults.lossProbability).toBeLessThanOrEqual(0.3);
      expect(profile.linkFaults.duplicateProbability).toBeLessThanOrEqual(0.5);
      expect(profile.clockRateDeviationMax).toBeLessThanOrEqual(0.05);
      if (!profile.has("loss")) expect(profile.linkFaults.lossProbability).toBe(0);
      if (!profile.has("crash")) expect(profile.crashProbability).toBe(0);
      if (profile.has("partition")) expect(profile.partitionProbability).toBeGreaterThan(0);
      modes.add(`${profile.partitionMode}/${profile.partitionSymmetry}`);
      enabledCounts.add(profile.enabled.length);
    }
    expect(modes.size).toBe(8); // Every mode in both symmetries.
    expect(enabledCounts.has(0) || enabledCounts.has(1)).toBe(true);
    expect(enabledCounts.has(faultNames.length) || enabledCounts.has(faultNames.length - 1)).toBe(true);
  });

  it("switches on exactly the listed faults", () => {
    const profile = FaultProfile.fromSeed(Prng.fromSeed(3), ["partition", "crash"]);
    expect(profile.enabled).toEqual(["partition", "crash"]);
    expect(profile.linkFaults.lossProbability).toBe(0);
    expect(profile.pauseProbability).toBe(0);
    expect(profile.describe()).toMatch(/^faults=partition,crash partition=/);
    expect(FaultProfile.none().describe()).toBe("faults=none");
  });

  it("parses fault lists and names the first unknown fault", () => {
    expect(parseFaultList("partition, crash,partition")).toEqual({ names: ["partition", "crash"] });
    expect(parseFaultList("none")).toEqual({ names: [] });
    expect(parseFaultList("partition,meteor")).toEqual({ unknown: "meteor" });
  });

  it("draws skews within the drift bound", () => {
    const profile = FaultProfile.fromSeed(Prng.fromSeed(5), ["drift"]);
    const prng = Prng.fromSeed(9);
    for (let i = 0; i < 100; i++) {
      const skew = profile.drawSkew(prng);
      expect(Math.abs(skew.rate - 1)).toBeLessThanOrEqual(profile.clockRateDeviationMax);
    }
  });
});

describe("partitionLinks", () => {
  const nodes = ["a", "b", "c", "d", "e"];

  it("splits into two non-empty sides covering every node", () => {
    for (const mode of partitionModes.filter((name) => name !== "majorities_ring")) {
      for (let seed = 0; seed < 50; seed++) {
        const cut = partitionLinks(Prng.fromSeed(seed), nodes, mode);
        expect("sides" in cut).toBe(true);
        if (!("sides" in cut)) continue;
        const [left, right] = cut.sides;
        expect(left!.length).toBeGreaterThan(0);
        expect(right!.length).toBeGreaterThan(0);
        expect([...left!, ...right!].sort()).toEqual(nodes);
        if (mode === "isolate_single") expect(left!.length).toBe(1);
      }
    }
  });

  it("leaves every node a different majority in a majorities ring", () => {
    const cut = partitionLinks(Prng.fromSeed(1), nodes, "majorities_ring");
    expect("ring" in cut).toBe(true);
    if (!("ring" in cut)) return;
    const blocked = new Set(cut.ring.flatMap(([a, b]) => [`${a}>${b}`, `${b}>${a}`]));
    const views = nodes.map((node) =>
      nodes.filter((other) => other === node || !blocked.has(`${node}>${other}`)),
    );
    for (const view of views) expect(view.length).toBe(3);
    expect(new Set(views.map((view) => view.sort().join())).size).toBe(5);
  });
});

describe("Nemesis", () => {
  function run(seed: number, faults: FaultProfile) {
    const cluster = new SimCluster({ seed, trace: new Trace() });
    const names = ["n1", "n2", "n3", "n4", "n5"];
    for (const name of names) cluster.addNode(name, idle);
    const nemesis = new Nemesis(cluster, faults, Prng.derive(seed, "nemesis"), {
      networkTargets: names,
      processTargets: names,
      downNodesMax: 2,
    });
    nemesis.start();
    let downMax = 0;
    for (let i = 0; i < 200; i++) {
      cluster.scheduler.runFor(50);
      downMax = Math.max(downMax, names.filter((name) => !cluster.isUp(name)).length);
    }
    nemesis.finish();
    return { cluster, nemesis, names, downMax };
  }

  it("injects partitions, clogs, crashes and pauses, within its bounds", () => {
    const profile = FaultProfile.fromSeed(Prng.fromSeed(11), ["partition", "clog", "crash", "pause"]);
    const { nemesis, downMax } = run(11, profile);
    expect(nemesis.stats.partitions).toBeGreaterThan(0);
    expect(nemesis.stats.clogs).toBeGreaterThan(0);
    expect(nemesis.stats.crashes).toBeGreaterThan(0);
    expect(nemesis.stats.pauses).toBeGreaterThan(0);
    expect(downMax).toBeLessThanOrEqual(2);
  });

  it("ends with a final heal: every node up and every link open", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const profile = FaultProfile.fromSeed(Prng.fromSeed(seed), ["partition", "crash", "loss"]);
      const { cluster, names } = run(seed, profile);
      for (const name of names) expect(cluster.isUp(name)).toBe(true);
      for (const from of names)
        for (const to of names) expect(cluster.network.isConnected(from, to)).toBe(true);
      const stepsBefore = cluster.scheduler.eventsProcessed;
      cluster.scheduler.runFor(10_000);
      // Nothing more happens: no nemesis step, no restart, no loss.
      expect(cluster.scheduler.eventsProcessed - stepsBefore).toBeLessThan(5);
      for (const name of names) expect(cluster.isUp(name)).toBe(true);
    }
  });

  it("does nothing with every fault off", () => {
    const { nemesis, cluster } = run(4, FaultProfile.none());
    expect(
      nemesis.stats.partitions + nemesis.stats.crashes + nemesis.stats.pauses + nemesis.stats.clogs,
    ).toBe(0);
    expect(cluster.stats.crashes).toBe(0);
  });
});
