// SWIM configuration: one flat struct in ticks, with presets derived from memberlist's
// DefaultLANConfig (given there in milliseconds and converted here), plus the formulas that turn
// the multipliers into timeouts and retransmit counts for a cluster of a given size.

import { assert } from "../../lib/assert.js";

/**
 * Every knob of a {@link SwimMember}. Durations are in ticks (one `tick()` call each); sizes in
 * bytes. Build one with {@link swimConfigLan} and adjust fields with a spread.
 */
export interface SwimConfig {
  /** Length of one tick in milliseconds; only used to convert and to fill `relayTimeoutMs`. */
  readonly tickMs: number;
  /** Time between the starts of two probes (memberlist ProbeInterval, 1 s). */
  readonly probeIntervalTicks: number;
  /** Wait for a direct ack before asking relays (memberlist ProbeTimeout, 500 ms). */
  readonly probeTimeoutTicks: number;
  /** Members asked to probe indirectly through ping-req (memberlist IndirectChecks, 3). */
  readonly indirectChecks: number;
  /** Suspicion minimum = mult · max(1, log10 N) · probe interval (memberlist SuspicionMult, 4). */
  readonly suspicionMult: number;
  /** Suspicion maximum = this · minimum (SuspicionMaxTimeoutMult, 6). 1 turns dynamic suspicion off. */
  readonly suspicionMaxTimeoutMult: number;
  /** Each update is sent about mult · ceil(log10(N + 1)) times (RetransmitMult, 4). */
  readonly retransmitMult: number;
  /** Time between gossip rounds (GossipInterval, 200 ms). */
  readonly gossipIntervalTicks: number;
  /** Members sent a gossip packet each round (GossipNodes, 3). */
  readonly gossipNodes: number;
  /** Dead members still receive gossip for this long, so that they can refute (GossipToTheDead, 30 s). */
  readonly gossipToTheDeadTicks: number;
  /** Time between full-state exchanges with one random member (PushPullInterval, 30 s); scaled above 32 members. */
  readonly pushPullIntervalTicks: number;
  /** Time between push-pull attempts towards one random dead member, so that healed partitions merge (serf ReconnectInterval, 30 s). */
  readonly reconnectIntervalTicks: number;
  /** Time between join attempts while no other member is known. */
  readonly joinRetryTicks: number;
  /** Local health: the probe interval and timeout are multiplied by (score + 1), score < this (AwarenessMaxMultiplier, 8). 1 turns it off. */
  readonly awarenessMax: number;
  /** Lifeguard buddy system: a ping to a suspected member carries the suspicion. */
  readonly isBuddyEnabled: boolean;
  /** Lifeguard nacks: relays answer a failed indirect probe with a nack, which feeds local health. */
  readonly isNackEnabled: boolean;
  /** Whether a suspected member refutes by raising its incarnation. false is mutant M12, for tests only. */
  readonly isRefutationEnabled: boolean;
  /** A dead member is forgotten after this long (and no longer a reconnect target). */
  readonly deadForgetTicks: number;
  /** A member that left is forgotten after this long. */
  readonly leftForgetTicks: number;
  /** Largest probe, ack or gossip packet, piggybacked updates included (memberlist UDPBufferSize, 1400). */
  readonly packetBytesMax: number;
  /** Largest push-pull frame; a state larger than this is cut, alive members first. */
  readonly pushPullBytesMax: number;
  /** Largest member metadata (memberlist MetaMaxSize, 512). */
  readonly metadataBytesMax: number;
  /** Most members (self included) one member tracks; new members beyond it are refused. */
  readonly membersMax: number;
  /** Most indirect probes this member relays at once; more ping-reqs are dropped. */
  readonly relaysMax: number;
}

/** The memberlist LAN defaults, in milliseconds, before conversion to ticks. */
export const swimLanDefaultsMs = {
  probeIntervalMs: 1_000,
  probeTimeoutMs: 500,
  gossipIntervalMs: 200,
  gossipToTheDeadMs: 30_000,
  pushPullIntervalMs: 30_000,
  reconnectIntervalMs: 30_000,
  joinRetryMs: 1_000,
  deadForgetMs: 60 * 60_000,
  leftForgetMs: 5 * 60_000,
} as const;

/** Converts a duration in milliseconds to whole ticks, at least one. */
export function ticksFromMs(durationMs: number, tickMs: number): number {
  assert(tickMs > 0, "tickMs must be positive");
  assert(durationMs >= 0, "duration must be non-negative");
  return Math.max(1, Math.ceil(durationMs / tickMs));
}

/**
 * Returns memberlist's DefaultLANConfig with Lifeguard on, in ticks of `tickMs`. `timeScale`
 * divides every duration (1 is the real LAN profile; tests on real sockets use a faster one).
 */
export function swimConfigLan(tickMs: number, timeScale = 1): SwimConfig {
  assert(timeScale > 0, "timeScale must be positive");
  const ticks = (durationMs: number) => ticksFromMs(durationMs / timeScale, tickMs);
  const defaults = swimLanDefaultsMs;
  const config: SwimConfig = {
    tickMs,
    probeIntervalTicks: ticks(defaults.probeIntervalMs),
    probeTimeoutTicks: ticks(defaults.probeTimeoutMs),
    indirectChecks: 3,
    suspicionMult: 4,
    suspicionMaxTimeoutMult: 6,
    retransmitMult: 4,
    gossipIntervalTicks: ticks(defaults.gossipIntervalMs),
    gossipNodes: 3,
    gossipToTheDeadTicks: ticks(defaults.gossipToTheDeadMs),
    pushPullIntervalTicks: ticks(defaults.pushPullIntervalMs),
    reconnectIntervalTicks: ticks(defaults.reconnectIntervalMs),
    joinRetryTicks: ticks(defaults.joinRetryMs),
    awarenessMax: 8,
    isBuddyEnabled: true,
    isNackEnabled: true,
    isRefutationEnabled: true,
    deadForgetTicks: ticks(defaults.deadForgetMs),
    leftForgetTicks: ticks(defaults.leftForgetMs),
    packetBytesMax: 1_400,
    pushPullBytesMax: 60_000,
    metadataBytesMax: 512,
    membersMax: 1_024,
    relaysMax: 256,
  };
  swimConfigCheck(config);
  return config;
}

/**
 * Returns `config` with the three Lifeguard refinements off: no local health, a fixed suspicion
 * timeout (the minimum), no buddy system, no nacks. This is plain SWIM with suspicion, the
 * baseline of the Lifeguard paper.
 */
export function swimConfigWithoutLifeguard(config: SwimConfig): SwimConfig {
  return {
    ...config,
    awarenessMax: 1,
    suspicionMaxTimeoutMult: 1,
    isBuddyEnabled: false,
    isNackEnabled: false,
  };
}

/** Asserts that a configuration is internally consistent. */
export function swimConfigCheck(config: SwimConfig): void {
  assert(config.tickMs > 0, "tickMs must be positive");
  assert(config.probeTimeoutTicks >= 1, "probeTimeoutTicks must be at least 1");
  assert(
    config.probeTimeoutTicks < config.probeIntervalTicks,
    "probe timeout must be below the probe interval",
  );
  assert(config.indirectChecks >= 0, "indirectChecks must be non-negative");
  assert(config.suspicionMult >= 1, "suspicionMult must be at least 1");
  assert(config.suspicionMaxTimeoutMult >= 1, "suspicionMaxTimeoutMult must be at least 1");
  assert(config.retransmitMult >= 1, "retransmitMult must be at least 1");
  assert(config.gossipIntervalTicks >= 1, "gossipIntervalTicks must be at least 1");
  assert(config.awarenessMax >= 1, "awarenessMax must be at least 1");
  assert(config.packetBytesMax >= 256, "packetBytesMax too small for one update");
  assert(config.metadataBytesMax + 128 <= config.packetBytesMax, "metadata must fit in a packet");
  assert(config.membersMax >= 2, "membersMax must allow one peer");
  assert(config.relaysMax >= 1, "relaysMax must be positive");
}

/**
 * Returns the suspicion minimum in ticks for `memberCount` members: suspicionMult · max(1,
 * log10(N)) probe intervals (memberlist's suspicionTimeout).
 */
export function suspicionMinTicks(config: SwimConfig, memberCount: number): number {
  assert(memberCount >= 1, "memberCount must be positive");
  const nodeScale = Math.max(1, Math.log10(Math.max(1, memberCount)));
  return Math.ceil(config.suspicionMult * nodeScale * config.probeIntervalTicks);
}

/** Returns the suspicion maximum in ticks: suspicionMaxTimeoutMult · the minimum. */
export function suspicionMaxTicks(config: SwimConfig, memberCount: number): number {
  return config.suspicionMaxTimeoutMult * suspicionMinTicks(config, memberCount);
}

/**
 * Returns the number of independent confirmations that bring a suspicion down to its minimum:
 * suspicionMult − 2, or 0 when the cluster is too small to gather that many (memberlist).
 */
export function suspicionConfirmationsNeeded(config: SwimConfig, memberCount: number): number {
  const needed = Math.max(0, config.suspicionMult - 2);
  return memberCount - 2 < needed ? 0 : needed;
}

/** Returns how many times each update is sent: retransmitMult · ceil(log10(N + 1)). */
export function retransmitLimit(config: SwimConfig, memberCount: number): number {
  assert(memberCount >= 0, "memberCount must be non-negative");
  return config.retransmitMult * Math.max(1, Math.ceil(Math.log10(memberCount + 1)));
}

/** Returns the push-pull interval for `memberCount` members: doubled per doubling above 32 (memberlist pushPullScale). */
export function pushPullIntervalScaledTicks(config: SwimConfig, memberCount: number): number {
  const threshold = 32;
  if (memberCount <= threshold) return config.pushPullIntervalTicks;
  const multiplier = Math.ceil(Math.log2(memberCount) - Math.log2(threshold)) + 1;
  return config.pushPullIntervalTicks * multiplier;
}

/**
 * Returns an upper bound, in ticks, on the time from a crash until every healthy member has
 * declared the crashed member dead, assuming healthy members (local health score 0) and no loss:
 * one full probe round (N − 1 intervals) before the first probe reaches it, its timeout window,
 * the suspicion maximum, and a dissemination allowance of retransmitLimit gossip rounds.
 */
export function failureDetectionBoundTicks(config: SwimConfig, memberCount: number): number {
  assert(memberCount >= 2, "a failure needs at least two members");
  const probeRound = (memberCount - 1) * config.probeIntervalTicks + config.probeIntervalTicks;
  const dissemination = retransmitLimit(config, memberCount) * config.gossipIntervalTicks;
  return probeRound + suspicionMaxTicks(config, memberCount) + dissemination;
}
