// Goal: SimCluster runs processes on SimEnvironments and crashes, restarts and pauses them the way
// real processes fail: a crash keeps only the disk's durable state, a restart builds a new process
// on the same disk, a pause freezes timers and inbound frames and then catches up, a crashed
// incarnation can no longer send, write or run timers. Method: a tiny process that stores every
// frame it receives, sometimes with a sync, driven in virtual time.

import { describe, expect, it } from "vitest";
import type { Environment } from "../../src/env/environment.js";
import { address } from "../../src/types.js";
import { type Process, SimCluster } from "../../src/sim/cluster.js";
import { Trace } from "../../src/sim/trace.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Appends each frame as a line to `log`; a frame starting with "!" is synced first. */
class Appender implements Process {
  readonly received: string[] = [];
  ticks = 0;
  private offset: number;

  constructor(readonly environment: Environment) {
    const disk = environment.disk;
    this.offset = disk.exists("log") ? disk.size("log") : 0;
    environment.clock.every(10, () => {
      this.ticks += 1;
    });
    environment.transport.onFrame((from, frame) => {
      const text = decoder.decode(frame);
      this.received.push(text);
      disk.write("log", this.offset, encoder.encode(`${text}\n`));
      this.offset += frame.byteLength + 1;
      if (text.startsWith("!")) {
        disk.sync("log");
        disk.syncDirectory("");
      }
      environment.transport.send(from, encoder.encode(`ack ${text}`));
    });
  }

  lines(): string[] {
    const disk = this.environment.disk;
    if (!disk.exists("log")) return [];
    return decoder
      .decode(disk.read("log", 0, disk.size("log")))
      .split("\n")
      .filter(Boolean);
  }

  stop(): void {}
}

class Sender implements Process {
  readonly acks: string[] = [];
  constructor(readonly environment: Environment) {
    environment.transport.onFrame((_from, frame) => this.acks.push(decoder.decode(frame)));
  }
  send(to: string, text: string): void {
    this.environment.transport.send(address(to), encoder.encode(text));
  }
  stop(): void {}
}

function setup(seed = 1) {
  const cluster = new SimCluster<Appender | Sender>({ seed, trace: new Trace() });
  cluster.addNode("server", (environment) => new Appender(environment));
  const client = cluster.addNode("client", (environment) => new Sender(environment)) as Sender;
  const server = () => cluster.process("server") as Appender;
  return { cluster, client, server };
}

describe("SimCluster", () => {
  it("delivers frames between processes and copies them", () => {
    const { cluster, client, server } = setup();
    const frame = encoder.encode("hello");
    client.environment.transport.send(address("server"), frame);
    frame[0] = 0x78; // The transport copied it at send.
    cluster.scheduler.runFor(100);
    expect(server().received).toEqual(["hello"]);
    expect(client.acks).toEqual(["ack hello"]);
  });

  it("keeps only durable state across a crash and restarts on the same disk", () => {
    const outcomes = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const { cluster, client, server } = setup(seed);
      client.send("server", "!synced");
      cluster.scheduler.runFor(50);
      client.send("server", "unsynced");
      cluster.scheduler.runFor(50);
      expect(server().lines()).toEqual(["!synced", "unsynced"]);
      cluster.crash("server");
      expect(cluster.isUp("server")).toBe(false);
      const restarted = cluster.restart("server") as Appender;
      expect(cluster.incarnation("server")).toBe(2);
      expect(restarted.received).toEqual([]); // A new process: memory is gone.
      const lines = restarted.lines();
      expect(lines[0]).toBe("!synced");
      expect(lines.length).toBeLessThanOrEqual(2);
      // The unsynced line is lost, kept, or torn to a prefix.
      const tail = lines[1] ?? "";
      expect("unsynced".startsWith(tail)).toBe(true);
      outcomes.add(tail === "" ? "lost" : tail === "unsynced" ? "kept" : "torn");
    }
    expect(outcomes).toEqual(new Set(["lost", "kept", "torn"]));
  });

  it("silences a crashed incarnation: no timers, no sends, no writes", () => {
    const { cluster, client, server } = setup();
    const old = server();
    cluster.scheduler.runFor(100);
    const ticks = old.ticks;
    expect(ticks).toBe(10);
    cluster.crash("server");
    expect(old.environment.transport.send(address("client"), encoder.encode("zombie"))).toBe("closed");
    old.environment.disk.write("log", 0, encoder.encode("zombie"));
    client.send("server", "lost");
    cluster.scheduler.runFor(100);
    expect(old.ticks).toBe(ticks);
    expect(old.received).toEqual([]);
    expect(client.acks).toEqual([]);
    expect(cluster.disk("server").exists("log")).toBe(false);
  });

  it("crashes a node right after its disk's k-th mutating call", () => {
    const { cluster, client } = setup();
    // Each "!" frame costs write, sync, syncDirectory: crash after the sync of the second frame,
    // before its directory sync and before its ack.
    cluster.crashAfterDiskMutations("server", 5);
    client.send("server", "!one");
    cluster.scheduler.runFor(20);
    client.send("server", "!two");
    cluster.scheduler.runFor(20);
    expect(cluster.isUp("server")).toBe(false);
    expect(client.acks).toEqual(["ack !one"]);
    const restarted = cluster.restart("server") as Appender;
    expect(restarted.lines()).toEqual(["!one", "!two"]);
  });

  it("freezes a paused node's timers and inbox, then catches up", () => {
    const { cluster, client, server } = setup();
    cluster.scheduler.runFor(95);
    expect(server().ticks).toBe(9);
    cluster.pause("server", 300);
    expect(cluster.isPaused("server")).toBe(true);
    client.send("server", "during-pause");
    cluster.scheduler.runFor(200);
    expect(server().ticks).toBe(9);
    expect(server().received).toEqual([]);
    cluster.scheduler.runFor(110); // Resume at 395.
    expect(cluster.isPaused("server")).toBe(false);
    expect(server().received).toEqual(["during-pause"]);
    expect(server().ticks).toBe(11); // One catch-up tick at 395, then 405.
    expect(client.acks).toEqual(["ack during-pause"]);
  });

  it("cancels a pending resume when a paused node crashes", () => {
    const { cluster } = setup();
    cluster.pause("server", 100);
    cluster.crash("server");
    cluster.scheduler.runFor(200);
    expect(cluster.isUp("server")).toBe(false);
    expect(cluster.isPaused("server")).toBe(false);
    expect(cluster.stats).toEqual({ crashes: 1, restarts: 0, pauses: 1 });
  });

  it("replays the same trace from the same seed", () => {
    const run = (seed: number): string => {
      const { cluster, client } = setup(seed);
      cluster.network.setFaults({
        delayMsMin: 1,
        delayMsMean: 20,
        lossProbability: 0.1,
        duplicateProbability: 0.1,
      });
      for (let i = 0; i < 50; i++) client.send("server", i % 5 === 0 ? `!m${i}` : `m${i}`);
      cluster.scheduler.runFor(30);
      cluster.crash("server");
      cluster.restart("server");
      for (let i = 0; i < 20; i++) client.send("server", `n${i}`);
      cluster.scheduler.runFor(500);
      return cluster.trace.digest();
    };
    expect(run(7)).toBe(run(7));
    expect(run(7)).not.toBe(run(8));
  });
});
