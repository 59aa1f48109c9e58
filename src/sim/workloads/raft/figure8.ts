// The `figure8` fault of raft-kv (only when named): a nemesis that steers a 5-voter cluster
// through the interleaving of Figure 8 of the Raft paper (LogCabin #44), episode after episode.
//
//   idle  leader L (term T) is cut off with one follower F; L appends marker entries at index i..
//   a     F holds the marker at i                   -> the other three elect L2 (term T2 > T)
//   b     L2 elected: its no-op lands at i; L2 is isolated at once, before it replicates; the cut
//         becomes {L, F, S3} | {L2} | {S4}
//   c     L or F is elected (L3, term T3 > T2) and brings S3 up to date one entry per message; the
//         moment L3 commits anything it is crashed, and the cut becomes {L2, S3, S4} | {other}
//   d     L2 (its last term T2 beats S3's T) is re-elected and overwrites index i
//
// A correct leader commits the old-term marker only together with its own no-op (§5.4.2), and
// then S3 holds the no-op, so L2 cannot win in d. A leader that counts replicas of an old-term
// entry (mutant M5) commits and applies the marker as soon as S3 acknowledges it, and L2 then
// applies a different entry at the same index: the cluster's state-machine safety check fires.
// Each phase has a deadline; a phase that does not happen in time heals everything and retries.

import { assert } from "../../../lib/assert.js";
import type { Prng } from "../../../lib/prng.js";
import { encodeKvEnvelope } from "../../../structures/kv_machine.js";
import type { ClientId, LogIndex, NodeId } from "../../../types.js";
import type { SimNetwork } from "../../network.js";
import type { SimScheduler } from "../../scheduler.js";
import type { Trace } from "../../trace.js";
import type { RaftCluster, SimMember, SimPacket } from "./raft_cluster.js";

const pollMs = 5;
const markersPerEpisode = 2;
const settleMs = 300;
const phaseDeadlineMs = { a: 300, b: 1000, c: 1500, d: 1500 } as const;

type Phase = "idle" | "a" | "b" | "c" | "d";

interface Episode {
  readonly first: SimMember;
  readonly follower: SimMember;
  readonly rest: readonly SimMember[];
  readonly markerIndex: LogIndex;
  readonly markerTerm: number;
  second: SimMember | null;
  secondTerm: number;
}

/** Counts of what the nemesis reached, for the run's figures. */
export interface Figure8Counts {
  episodes: number;
  /** Episodes that reached phase b, c and d, and that ended with L2 re-elected past the marker. */
  reachedB: number;
  reachedC: number;
  reachedD: number;
  reachedOverwrite: number;
}

/** Steers the cluster through Figure 8 episodes while `active()` holds. */
export class Figure8Nemesis {
  readonly counts: Figure8Counts = {
    episodes: 0,
    reachedB: 0,
    reachedC: 0,
    reachedD: 0,
    reachedOverwrite: 0,
  };
  private phase: Phase = "idle";
  private episode: Episode | null = null;
  private deadlineMs = 0;
  private markerNumber = 0;
  private restingUntilMs = 0;

  constructor(
    private readonly scheduler: SimScheduler,
    private readonly network: SimNetwork<SimPacket>,
    private readonly cluster: RaftCluster,
    private readonly prng: Prng,
    private readonly trace: Trace,
    private readonly active: () => boolean,
    private readonly restart: (member: SimMember) => void,
  ) {
    assert(cluster.initialVoters.length === 5, "the figure8 fault needs exactly 5 voters");
  }

  /** Starts polling after `delayMs`. */
  start(delayMs: number): void {
    this.cluster.onLeaderEvent = (member, event) => this.onLeaderEvent(member, event);
    this.scheduler.after(delayMs, () => this.poll());
  }

  private poll(): void {
    if (!this.active()) {
      this.cluster.onLeaderEvent = null;
      return;
    }
    if (this.phase !== "idle" && this.scheduler.nowMs > this.deadlineMs)
      this.endEpisode(`timeout in ${this.phase}`);
    else if (this.phase === "idle") this.tryBegin();
    else if (this.phase === "a") this.checkMarkerAtFollower();
    else if (this.phase === "d") this.checkOverwritten();
    this.scheduler.after(pollMs, () => this.poll());
  }

  private voters(): SimMember[] {
    return this.cluster.initialVoters.map((id) => this.cluster.members.get(id)!);
  }

  private enter(phase: Phase): void {
    this.phase = phase;
    if (phase === "b") this.counts.reachedB++;
    if (phase === "c") this.counts.reachedC++;
    if (phase === "d") this.counts.reachedD++;
    if (phase !== "idle") this.deadlineMs = this.scheduler.nowMs + phaseDeadlineMs[phase];
    this.trace.record(this.scheduler.nowMs, `figure8 phase ${phase}`);
  }

  /** Idle: a quiescent leader with every voter up is cut off with one follower and given markers. */
  private tryBegin(): void {
    if (this.scheduler.nowMs < this.restingUntilMs) return;
    const voters = this.voters();
    if (voters.some((member) => member.raft === null || member.removed)) return;
    const leader = this.cluster.leader();
    if (leader === null || !voters.includes(leader)) return;
    const status = leader.raft!.status();
    if (status.commit !== status.lastIndex) return;
    const others = this.prng.shuffle(voters.filter((member) => member !== leader));
    const follower = others[0]!;
    const rest = others.slice(1);
    this.cut([ids([leader, follower]), ids(rest)]);
    let markerIndex: LogIndex | null = null;
    for (let i = 0; i < markersPerEpisode; i++) {
      const envelope = {
        client: `f8m${++this.markerNumber}` as ClientId,
        sequence: 1,
        logTimeMs: this.scheduler.nowMs,
        command: { op: "write", key: "figure8", value: this.markerNumber } as const,
      };
      const result = leader.raft!.propose(encodeKvEnvelope(envelope));
      if (result.kind === "accepted" && markerIndex === null) markerIndex = result.index;
    }
    this.cluster.drive(leader);
    if (markerIndex === null) {
      this.network.heal();
      return;
    }
    this.counts.episodes++;
    this.episode = {
      first: leader,
      follower,
      rest,
      markerIndex,
      markerTerm: status.term,
      second: null,
      secondTerm: 0,
    };
    this.enter("a");
  }

  /** Phase a: once F holds the marker, the other three may elect L2. */
  private checkMarkerAtFollower(): void {
    const episode = this.episode!;
    const raft = episode.follower.raft;
    if (raft === null || raft.log.persistedLastIndex() < episode.markerIndex) return;
    if (raft.log.term(episode.markerIndex) !== episode.markerTerm) return;
    this.enter("b");
  }

  private onLeaderEvent(member: SimMember, event: "elected" | "committed"): void {
    const episode = this.episode;
    if (episode === null || !this.active()) return;
    const term = member.raft!.status().term;
    if (this.phase === "b" && event === "elected" && episode.rest.includes(member)) {
      if (term <= episode.markerTerm) return;
      episode.second = member;
      episode.secondTerm = term;
      const [helper, bystander] = episode.rest.filter((other) => other !== member);
      // L2's first messages are in flight: a partition stops them on arrival.
      this.cut([ids([episode.first, episode.follower, helper!]), [member.id], [bystander!.id]]);
      this.enter("c");
      return;
    }
    const contenders = [episode.first, episode.follower];
    if (
      this.phase === "c" &&
      event === "committed" &&
      contenders.includes(member) &&
      term > episode.secondTerm
    ) {
      const outcome = this.cluster.crash(member);
      this.trace.record(this.scheduler.nowMs, `figure8 crash ${member.id} (${outcome})`);
      const other = contenders.find((candidate) => candidate !== member)!;
      this.cut([ids([episode.second!, ...episode.rest.filter((m) => m !== episode.second)]), [other.id]]);
      this.enter("d");
    }
  }

  /** Replaces the current cut by `sides` (the network adds partitions up, so heal first). */
  private cut(sides: readonly (readonly NodeId[])[]): void {
    this.network.heal();
    this.network.partition(sides);
  }

  /**
   * Phase d: a leader on the majority side has committed past the marker index; the episode is
   * over. It is L2 only if the marker was never on a majority with a later term's entry (M5).
   */
  private checkOverwritten(): void {
    const episode = this.episode!;
    const side = [episode.second!, ...episode.rest];
    const leader = side.find((member) => member.raft?.isLeader() === true);
    if (leader === undefined || leader.raft!.status().commit < episode.markerIndex) return;
    if (leader === episode.second) this.counts.reachedOverwrite++;
    this.endEpisode(`${leader.id} leads the majority side`);
  }

  private endEpisode(reason: string): void {
    if (this.trace.isVerbose) {
      const states = this.voters().map((member) => {
        const status = member.raft?.status();
        return status === undefined
          ? `${member.id}:down`
          : `${member.id}:${status.role}/t${status.term}/last${status.lastIndex}/commit${status.commit}`;
      });
      this.trace.record(this.scheduler.nowMs, `figure8 episode ends: ${reason}; ${states.join(" ")}`);
    } else this.trace.record(this.scheduler.nowMs, `figure8 episode ends: ${reason}`);
    this.network.heal();
    for (const member of this.voters()) if (member.raft === null) this.restart(member);
    this.episode = null;
    this.phase = "idle";
    // Let the healed cluster settle before the next episode.
    this.restingUntilMs = this.scheduler.nowMs + settleMs;
  }
}

function ids(members: readonly SimMember[]): NodeId[] {
  return members.map((member) => member.id);
}
