// Goal: pin down the SWIM core's state transitions one at a time: refutation, incarnation
// ordering, dead overriding suspect, leave versus failure, stale messages, the buddy system,
// local health, dynamic suspicion, rejoin after a restart, forgetting, and the M12 mutant.
// Method: drive SwimMember cores directly with hand-written packets and a tiny synchronous
// "network" that delivers outboxes between cores; time is counted in ticks.

import { describe, expect, it } from "vitest";
import { Prng } from "../../src/lib/prng.js";
import {
  MemberState,
  type Outbound,
  type SwimConfig,
  SwimMember,
  type SwimMessage,
  suspicionMinTicks,
  swimConfigLan,
  swimConfigWithoutLifeguard,
  type Update,
} from "../../src/protocol/swim/index.js";
import { type Address, address, type NodeId, nodeId } from "../../src/types.js";

const tickMs = 100;

function makeMember(name: string, config: SwimConfig = swimConfigLan(tickMs), incarnation = 0): SwimMember {
  return new SwimMember({
    id: nodeId(name),
    address: address(name),
    config,
    prng: Prng.derive(7, name),
    incarnation,
    metadata: new Uint8Array(0),
    seeds: [],
  });
}

const alive = (member: string, incarnation: number, metadata = new Uint8Array(0)): Update => ({
  kind: "alive",
  member: nodeId(member),
  address: address(member),
  incarnation,
  metadata,
});
const suspect = (member: string, incarnation: number, from: string): Update => ({
  kind: "suspect",
  member: nodeId(member),
  incarnation,
  from: nodeId(from),
});
const dead = (member: string, incarnation: number, from: string): Update => ({
  kind: "dead",
  member: nodeId(member),
  incarnation,
  from: nodeId(from),
});
const left = (member: string, incarnation: number): Update => ({
  kind: "left",
  member: nodeId(member),
  incarnation,
});

function gossip(core: SwimMember, from: string, ...updates: Update[]): void {
  core.step(address(from), { kind: "gossip", source: nodeId(from), piggyback: updates });
}

function stateOf(core: SwimMember, member: string): { state: MemberState; incarnation: number } | null {
  const view = core.memberView(nodeId(member));
  return view === null ? null : { state: view.state, incarnation: view.incarnation };
}

function eventKinds(core: SwimMember): string[] {
  return core.takeEvents().map((event) => `${event.member}:${event.kind}@${event.incarnation}`);
}

/** Delivers outboxes between `cores` until quiet; packets to unknown addresses are lost. */
function pump(cores: readonly SwimMember[], roundsMax = 50): void {
  const byAddress = new Map<Address, SwimMember>(cores.map((core) => [core.address, core]));
  for (let round = 0; round < roundsMax; round++) {
    const packets: { from: Address; outbound: Outbound }[] = [];
    for (const core of cores)
      for (const outbound of core.takeOutbox()) packets.push({ from: core.address, outbound });
    if (packets.length === 0) return;
    for (const { from, outbound } of packets) byAddress.get(outbound.to)?.step(from, outbound.message);
  }
  throw new Error("pump did not go quiet");
}

function tickAll(cores: readonly SwimMember[], ticks: number): void {
  for (let i = 0; i < ticks; i++) {
    for (const core of cores) core.tick();
    pump(cores);
  }
}

function piggybackOf(message: SwimMessage): readonly Update[] {
  return "piggyback" in message ? message.piggyback : [];
}

describe("SWIM member: incarnation ordering and precedence", () => {
  it("adds a member on alive and ignores suspect, dead or left for an unknown member", () => {
    const a = makeMember("a");
    gossip(a, "x", suspect("b", 3, "x"), dead("c", 3, "x"), left("d", 3));
    expect(a.memberViews()).toEqual([]);
    gossip(a, "x", alive("b", 2));
    expect(stateOf(a, "b")).toEqual({ state: MemberState.Alive, incarnation: 2 });
    expect(eventKinds(a)).toEqual(["b:joined@2"]);
  });

  it("suspects at an equal or higher incarnation and ignores stale suspicions", () => {
    const a = makeMember("a");
    gossip(a, "x", alive("b", 5));
    gossip(a, "x", suspect("b", 4, "x"));
    expect(stateOf(a, "b")?.state).toBe(MemberState.Alive);
    gossip(a, "x", suspect("b", 5, "x"));
    expect(stateOf(a, "b")).toEqual({ state: MemberState.Suspect, incarnation: 5 });
    expect(eventKinds(a)).toEqual(["b:joined@5", "b:suspect@5"]);
  });

  it("needs a strictly higher incarnation for alive to clear a suspicion", () => {
    const a = makeMember("a");
    gossip(a, "x", alive("b", 1), suspect("b", 1, "x"));
    gossip(a, "x", alive("b", 1));
    expect(stateOf(a, "b")?.state).toBe(MemberState.Suspect);
    gossip(a, "x", alive("b", 2));
    expect(stateOf(a, "b")).toEqual({ state: MemberState.Alive, incarnation: 2 });
    expect(eventKinds(a)).toEqual(["b:joined@1", "b:suspect@1", "b:alive@2"]);
  });

  it("lets dead override suspect and alive at the same incarnation, and not the reverse", () => {
    const a = makeMember("a");
    gossip(a, "x", alive("b", 3), suspect("b", 3, "x"), dead("b", 3, "y"));
    expect(stateOf(a, "b")).toEqual({ state: MemberState.Dead, incarnation: 3 });
    gossip(a, "x", suspect("b", 3, "z"), suspect("b", 4, "z"), alive("b", 3));
    expect(stateOf(a, "b")).toEqual({ state: MemberState.Dead, incarnation: 3 });
    gossip(a, "x", alive("c", 3), dead("c", 3, "x"));
    expect(stateOf(a, "c")?.state).toBe(MemberState.Dead);
    gossip(a, "x", dead("c", 2, "x"));
    expect(stateOf(a, "c")?.incarnation).toBe(3);
  });

  it("tells a leave from a failure: left wins over dead, dead never replaces left", () => {
    const a = makeMember("a");
    gossip(a, "x", alive("b", 1), left("b", 1), dead("b", 1, "x"));
    expect(stateOf(a, "b")?.state).toBe(MemberState.Left);
    gossip(a, "x", alive("c", 1), dead("c", 1, "x"), left("c", 1));
    expect(stateOf(a, "c")?.state).toBe(MemberState.Left);
    expect(eventKinds(a)).toEqual(["b:joined@1", "b:left@1", "c:joined@1", "c:dead@1", "c:left@1"]);
  });

  it("brings a dead or departed member back only with a higher incarnation, as joined", () => {
    const a = makeMember("a");
    gossip(a, "x", alive("b", 1), dead("b", 1, "x"), alive("b", 1));
    expect(stateOf(a, "b")?.state).toBe(MemberState.Dead);
    gossip(a, "x", alive("b", 2));
    expect(stateOf(a, "b")).toEqual({ state: MemberState.Alive, incarnation: 2 });
    expect(eventKinds(a)).toEqual(["b:joined@1", "b:dead@1", "b:joined@2"]);
  });

  it("announces a metadata change with a higher incarnation as updated", () => {
    const a = makeMember("a");
    const b = makeMember("b");
    gossip(a, "x", alive("b", 0));
    b.updateMetadata(new Uint8Array([1, 2, 3]));
    expect(b.incarnation).toBe(1);
    const [packet] = b.takeOutbox();
    expect(packet).toBeUndefined();
    b.tick();
    gossip(a, "x", alive("b", 1, new Uint8Array([1, 2, 3])));
    expect(eventKinds(a)).toEqual(["b:joined@0", "b:updated@1"]);
    expect([...(a.memberView(nodeId("b"))?.metadata ?? [])]).toEqual([1, 2, 3]);
  });
});

describe("SWIM member: refutation", () => {
  it("refutes a suspicion or a death at its incarnation by raising it, and announces itself", () => {
    const a = makeMember("a", swimConfigLan(tickMs), 4);
    gossip(a, "x", alive("x", 1), suspect("a", 4, "x"));
    expect(a.incarnation).toBe(5);
    gossip(a, "x", dead("a", 7, "x"));
    expect(a.incarnation).toBe(8);
    gossip(a, "x", suspect("a", 2, "x"));
    expect(a.incarnation).toBe(8);
    a.step(address("x"), {
      kind: "ping",
      sequence: 9,
      source: nodeId("x"),
      target: nodeId("a"),
      piggyback: [],
    });
    const [ack] = a.takeOutbox();
    expect(ack?.message.kind).toBe("ack");
    expect(piggybackOf(ack!.message)).toContainEqual(alive("a", 8));
    expect(a.healthScore).toBeGreaterThan(0);
  });

  it("mutant M12 (no refutation) keeps its incarnation, so the suspicion stands", () => {
    const config = { ...swimConfigLan(tickMs), isRefutationEnabled: false };
    const a = makeMember("a", config, 4);
    gossip(a, "x", alive("x", 1), suspect("a", 4, "x"));
    expect(a.incarnation).toBe(4);
  });

  it("overrides an alive from an earlier life: a restarted member rejoins above its old incarnation", () => {
    const config = swimConfigLan(tickMs);
    const a = makeMember("a", config);
    const old = makeMember("b", config, 6);
    a.join([address("b")]);
    pump([a, old]);
    expect(stateOf(a, "b")?.incarnation).toBe(6);
    gossip(a, "x", alive("x", 0), dead("b", 6, "x"));
    expect(stateOf(a, "b")?.state).toBe(MemberState.Dead);
    const restarted = makeMember("b", config, 0);
    restarted.join([address("a")]);
    pump([a, restarted]);
    tickAll([a, restarted], 10);
    expect(restarted.incarnation).toBe(7);
    expect(stateOf(a, "b")).toEqual({ state: MemberState.Alive, incarnation: 7 });
    expect(eventKinds(a)).toContain("b:joined@7");
  });
});

describe("SWIM member: probing, Lifeguard and the buddy system", () => {
  it("acks a ping for its own identity and ignores one for an earlier identity at its address", () => {
    const a = makeMember("a");
    a.step(address("x"), {
      kind: "ping",
      sequence: 3,
      source: nodeId("x"),
      target: nodeId("old"),
      piggyback: [],
    });
    expect(a.takeOutbox()).toEqual([]);
    a.step(address("x"), {
      kind: "ping",
      sequence: 3,
      source: nodeId("x"),
      target: nodeId("a"),
      piggyback: [],
    });
    const [ack] = a.takeOutbox();
    expect(ack?.to).toBe("x");
    expect(ack?.message).toMatchObject({ kind: "ack", sequence: 3 });
  });

  it("probes, asks relays after the timeout, suspects at the deadline and raises its own score for missing nacks", () => {
    const config = swimConfigLan(tickMs);
    const a = makeMember("a", config);
    gossip(a, "x", alive("b", 0), alive("c", 0), alive("d", 0), alive("e", 0));
    a.takeEvents();
    let ping: SwimMessage | null = null;
    for (let i = 0; i < 2 * config.probeIntervalTicks && ping === null; i++) {
      a.tick();
      ping = a.takeOutbox().find((packet) => packet.message.kind === "ping")?.message ?? null;
    }
    expect(ping?.kind).toBe("ping");
    const target = (ping as { target: NodeId }).target;
    const requests: Outbound[] = [];
    for (let i = 0; i < config.probeIntervalTicks; i++) {
      a.tick();
      requests.push(...a.takeOutbox().filter((packet) => packet.message.kind === "ping-req"));
    }
    expect(requests).toHaveLength(3);
    expect(requests.every((packet) => (packet.to as string) !== (target as string))).toBe(true);
    expect(stateOf(a, target)?.state).toBe(MemberState.Suspect);
    expect(a.healthScore).toBe(3);
  });

  it("does not count a probe against itself when every relay nacks, and heals its score on acks", () => {
    const config = swimConfigLan(tickMs);
    const a = makeMember("a", config);
    gossip(a, "x", alive("b", 0), alive("c", 0), alive("d", 0), alive("e", 0));
    const firstPing = runUntilPacket(a, "ping", 2 * config.probeIntervalTicks);
    const requests = collectPackets(a, "ping-req", config.probeTimeoutTicks + 1);
    expect(requests).toHaveLength(3);
    for (const request of requests) {
      a.step(request.to, {
        kind: "nack",
        sequence: request.message.sequence as number,
        source: nodeId(request.to),
      });
    }
    collectPackets(a, "ping", config.probeIntervalTicks);
    expect(a.healthScore).toBe(0);
    expect(firstPing).not.toBeNull();
    // Without nacks, each failed probe costs a point; an ack gives one back.
    const b = makeMember("b", swimConfigWithoutLifeguard(config));
    expect(b.healthScore).toBe(0);
  });

  it("scales the probe deadline by the local health score", () => {
    const config = swimConfigLan(tickMs);
    const a = makeMember("a", config);
    gossip(a, "x", alive("b", 0), alive("c", 0), alive("d", 0), alive("e", 0));
    gossip(a, "x", suspect("a", 0, "x"), suspect("a", 1, "x"));
    expect(a.healthScore).toBe(2);
    const started = runUntilPacket(a, "ping", 2 * config.probeIntervalTicks);
    expect(started).not.toBeNull();
    const startTick = a.currentTick;
    const requests = collectPackets(a, "ping-req", 3 * config.probeTimeoutTicks);
    expect(requests.length).toBe(3);
    // The first ping-req goes out at 3 × the probe timeout, not at 1 ×.
    expect(requestTick).toBe(startTick + 3 * config.probeTimeoutTicks);
  });

  it("buddy system: a ping to a suspect carries the suspicion first, and the target refutes in its ack", () => {
    const config = swimConfigLan(tickMs);
    const a = makeMember("a", config);
    const b = makeMember("b", config);
    gossip(a, "x", alive("b", 0), suspect("b", 0, "x"));
    const ping = runUntilPacket(a, "ping", 2 * config.probeIntervalTicks);
    expect(ping).not.toBeNull();
    expect(piggybackOf(ping!.message)[0]).toEqual(suspect("b", 0, "a"));
    b.step(address("a"), ping!.message);
    expect(b.incarnation).toBe(1);
    const [ack] = b.takeOutbox();
    a.step(address("b"), ack!.message);
    expect(stateOf(a, "b")).toEqual({ state: MemberState.Alive, incarnation: 1 });
    const plain = makeMember("a2", swimConfigWithoutLifeguard(config));
    gossip(plain, "x", alive("b", 0), suspect("b", 0, "x"));
    const plainPing = runUntilPacket(plain, "ping", 2 * config.probeIntervalTicks);
    expect(piggybackOf(plainPing!.message).some((update) => update.kind === "suspect")).toBe(false);
  });

  it("relays a ping-req: forwards the target's ack, or nacks after the relay timeout", () => {
    const config = swimConfigLan(tickMs);
    const relay = makeMember("r", config);
    const request: SwimMessage = {
      kind: "ping-req",
      sequence: 41,
      source: nodeId("a"),
      target: nodeId("t"),
      targetAddress: address("t"),
      relayTimeoutMs: 300,
      wantsNack: true,
      piggyback: [],
    };
    relay.step(address("a"), request);
    const [ping] = relay.takeOutbox();
    expect(ping).toMatchObject({ to: "t", message: { kind: "ping", target: "t" } });
    relay.step(address("t"), {
      kind: "ack",
      sequence: (ping!.message as { sequence: number }).sequence,
      source: nodeId("t"),
      piggyback: [],
    });
    expect(relay.takeOutbox()).toMatchObject([{ to: "a", message: { kind: "ack", sequence: 41 } }]);
    relay.step(address("a"), { ...request, sequence: 42 });
    relay.takeOutbox();
    const nacks: Outbound[] = [];
    for (let i = 0; i < 3; i++) {
      relay.tick();
      nacks.push(...relay.takeOutbox().filter((packet) => packet.message.kind === "nack"));
    }
    expect(nacks).toMatchObject([{ to: "a", message: { kind: "nack", sequence: 42 } }]);
  });
});

let requestTick = -1;

function runUntilPacket(core: SwimMember, kind: SwimMessage["kind"], ticksMax: number): Outbound | null {
  for (let i = 0; i < ticksMax; i++) {
    core.tick();
    const found = core.takeOutbox().find((packet) => packet.message.kind === kind);
    if (found !== undefined) return found;
  }
  return null;
}

function collectPackets(
  core: SwimMember,
  kind: SwimMessage["kind"],
  ticks: number,
): (Outbound & { message: { sequence?: number } })[] {
  const found: Outbound[] = [];
  requestTick = -1;
  for (let i = 0; i < ticks; i++) {
    core.tick();
    const packets = core.takeOutbox().filter((packet) => packet.message.kind === kind);
    if (packets.length > 0 && requestTick < 0) requestTick = core.currentTick;
    found.push(...packets);
  }
  return found as (Outbound & { message: { sequence?: number } })[];
}

describe("SWIM member: suspicion timeouts, leave and memory bounds", () => {
  it("declares a lone suspicion dead at the maximum, and at the minimum once k members confirm", () => {
    const config = swimConfigLan(tickMs);
    const members = ["b", "c", "d", "e", "f"];
    const lone = makeMember("a", config);
    const confirmed = makeMember("a", config);
    for (const core of [lone, confirmed]) gossip(core, "x", ...members.map((name) => alive(name, 0)));
    gossip(lone, "x", suspect("b", 0, "c"));
    gossip(confirmed, "x", suspect("b", 0, "c"), suspect("b", 0, "d"), suspect("b", 0, "e"));
    const minTicks = suspicionMinTicks(config, 6);
    const deadAt = (core: SwimMember): number => {
      for (let i = 1; i <= 7 * minTicks; i++) {
        core.tick();
        core.takeOutbox();
        if (stateOf(core, "b")?.state === MemberState.Dead) return i;
      }
      return -1;
    };
    expect(deadAt(confirmed)).toBe(minTicks);
    // Alone, the suspicion outlives the minimum; the member's own failed probes of b (there is no
    // network here) are its only further confirmations, so it dies before the maximum.
    const loneTicks = deadAt(lone);
    expect(loneTicks).toBeGreaterThan(minTicks);
    expect(loneTicks).toBeLessThan(config.suspicionMaxTimeoutMult * minTicks);
  });

  it("leaves gracefully: stops probing, gossips left until disseminated, and ignores accusations", () => {
    const config = swimConfigLan(tickMs);
    const a = makeMember("a", config);
    const b = makeMember("b", config);
    const c = makeMember("c", config);
    b.join([address("a")]);
    c.join([address("a")]);
    tickAll([a, b, c], 30);
    expect(a.activeMemberCount).toBe(2);
    c.leave();
    tickAll([a, b, c], 20);
    expect(c.isLeaveDisseminated).toBe(true);
    expect(stateOf(a, "c")?.state).toBe(MemberState.Left);
    expect(stateOf(b, "c")?.state).toBe(MemberState.Left);
    gossip(c, "x", suspect("c", c.incarnation, "x"));
    expect(c.takeOutbox().length).toBe(0);
    expect(c.incarnation).toBe(0);
  });

  it("forgets dead members after deadForgetTicks and left ones after leftForgetTicks", () => {
    const config = { ...swimConfigLan(tickMs), deadForgetTicks: 50, leftForgetTicks: 20 };
    const a = makeMember("a", config);
    gossip(a, "x", alive("b", 0), alive("c", 0), dead("b", 0, "x"), left("c", 0));
    for (let i = 0; i < 30; i++) a.tick();
    expect(stateOf(a, "c")).toBeNull();
    expect(stateOf(a, "b")?.state).toBe(MemberState.Dead);
    for (let i = 0; i < 30; i++) a.tick();
    expect(stateOf(a, "b")).toBeNull();
  });

  it("refuses members beyond membersMax and counts the refusals", () => {
    const config = { ...swimConfigLan(tickMs), membersMax: 4 };
    const a = makeMember("a", config);
    gossip(a, "x", alive("b", 0), alive("c", 0), alive("d", 0), alive("e", 0));
    expect(a.memberViews()).toHaveLength(3);
    expect(a.counters.membersRefused).toBe(1);
    a.invariants();
  });

  it("keeps every packet within packetBytesMax by its own estimate", () => {
    const config = swimConfigLan(tickMs);
    const a = makeMember("a", config);
    const metadata = new Uint8Array(config.metadataBytesMax);
    const updates = Array.from({ length: 40 }, (_, i) => alive(`member-${i}`, 0, metadata));
    gossip(a, "x", ...updates);
    a.step(address("x"), {
      kind: "ping",
      sequence: 1,
      source: nodeId("x"),
      target: nodeId("a"),
      piggyback: [],
    });
    const [ack] = a.takeOutbox();
    const carried = piggybackOf(ack!.message);
    expect(carried.length).toBeGreaterThan(0);
    expect(carried.length).toBeLessThan(4);
  });
});
