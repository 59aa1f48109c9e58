// Goal: the driver's hosted mode (how a Member runs SWIM on its own transport and tick loop) works
// without the driver owning a timer or a transport handler: the host ticks it, hands it decoded
// `swim` payloads, and every packet leaves through the host's send function; malformed payloads are
// counted and dropped; a stop resolves a leave still waiting, and a stopped driver does nothing.
// Method: SimCluster nodes whose process is a tiny host (one clock.every, one onFrame that decodes
// the wire frame itself), virtual time only.

import { describe, expect, it } from "vitest";
import type { Environment } from "../../src/env/environment.js";
import { swimConfigLan } from "../../src/protocol/swim/index.js";
import { WireCodec } from "../../src/protocol/wire/index.js";
import { SwimDriver } from "../../src/runtime/swim_driver.js";
import { SimCluster } from "../../src/sim/cluster.js";
import { Trace } from "../../src/sim/trace.js";
import { address, nodeId } from "../../src/types.js";

const config = swimConfigLan(50);
const names = ["h0", "h1", "h2"];

class Host {
  readonly driver: SwimDriver;
  hostSends = 0;
  private readonly codec = new WireCodec({ frameBytesMax: 65_507 });
  private readonly cancel: () => void;

  constructor(environment: Environment, name: string) {
    this.driver = new SwimDriver({
      environment,
      id: nodeId(name),
      config,
      seeds: names.filter((n) => n !== name).map(address),
      incarnation: 0,
      metadata: new Uint8Array(0),
      onEvent: () => {},
      inboundFramesMax: 1,
      frameBytesMax: 65_507,
      send: (to, frame) => {
        this.hostSends += 1;
        return environment.transport.send(to, frame);
      },
    });
    environment.transport.onFrame((from, frame) => {
      const decoded = this.codec.decode(frame);
      if (decoded.kind === "ok" && decoded.message.kind === "swim")
        this.driver.deliver(from, decoded.message.payload);
    });
    this.cancel = environment.clock.every(config.tickMs, () => this.driver.tick());
  }

  stop(): void {
    this.cancel();
    this.driver.stop();
  }
}

function build(seed: number): SimCluster<Host> {
  const cluster = new SimCluster<Host>({ seed, trace: new Trace() });
  for (const name of names) cluster.addNode(name, (environment) => new Host(environment, name));
  return cluster;
}

function allAlive(cluster: SimCluster<Host>): boolean {
  return names.every((o) =>
    names.every((s) => s === o || cluster.process(o).driver.core.memberView(nodeId(s))?.state === "alive"),
  );
}

describe("swim driver, hosted mode", () => {
  it("joins through the host's tick and send only, and counts malformed payloads", () => {
    const cluster = build(11);
    expect(cluster.scheduler.runUntilCondition(() => allAlive(cluster), 10_000)).toBe(true);
    for (const name of names) {
      const host = cluster.process(name);
      expect(host.hostSends).toBeGreaterThan(0);
      expect(host.driver.stats.framesSent).toBe(host.hostSends);
      expect(host.driver.stats.framesReceived).toBeGreaterThan(0);
    }
    const h0 = cluster.process("h0").driver;
    const invalidBefore = h0.stats.framesInvalid;
    h0.deliver(address("h1"), { kind: "ping", garbage: true });
    h0.deliver(address("h1"), 42);
    expect(h0.stats.framesInvalid).toBe(invalidBefore + 2);
    cluster.scheduler.runFor(5_000);
    expect(allAlive(cluster)).toBe(true);
  });

  it("resolves a waiting leave on stop, and a stopped driver neither ticks nor steps", async () => {
    const cluster = build(12);
    expect(cluster.scheduler.runUntilCondition(() => allAlive(cluster), 10_000)).toBe(true);
    const driver = cluster.process("h1").driver;
    const leaving = driver.leave(60_000);
    driver.stop();
    await leaving;
    expect(driver.stopped).toBe(true);
    const tickBefore = driver.core.currentTick;
    const receivedBefore = driver.stats.framesReceived;
    driver.tick();
    driver.deliver(address("h0"), { kind: "ping" });
    expect(driver.core.currentTick).toBe(tickBefore);
    expect(driver.stats.framesReceived).toBe(receivedBefore);
  });
});
