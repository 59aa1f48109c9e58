// Failover from the transport's signal. When a leader's process dies, its followers would wait a
// whole randomized election timeout (10-20 ticks) after the last heartbeat before campaigning. The
// TCP transport knows far sooner: on one host the connection closes at once after `kill -9`, and on
// a LAN the peer's kernel resets it. LeaderWatch maps the transport's peer-down (an address) to the
// member at that address and tells every group here whose leader it is (RaftNode.peerUnreachable):
// each forgets that leader and campaigns after 1-3 ticks, still through Pre-Vote. The transport's
// callback only records the address; the member's tick applies it first thing (drain), so no
// protocol work runs outside the tick, and the tick that follows counts toward the short delay.
//
// Which signal is trusted: the first one, the close of the established connection (or a failed
// dial), without waiting for a refused re-dial. A re-dial happens only when frames are queued for
// the peer and after the reconnect backoff, and a follower sends its leader nothing unprompted, so
// waiting for one would cost about as much as the election timeout it is meant to save. Trusting
// the close is cheap when it is wrong: a follower that forgets a live leader only pre-votes, and
// the other followers, which still hear the leader, refuse that pre-vote (leader stickiness under
// CheckQuorum), so no term changes and the leader's next heartbeat restores the follower. A false
// signal costs one election only if followers making up a quorum of the voters (both followers of
// three, three of five) lose their connections to a live leader at once, and then that leader could
// not commit through them anyway. Connections replaced by a duplicate are never reported
// (TcpTransport), and lease reads turn the signal off in the core.

import type { Logger } from "../env/logger.js";
import type { Transport } from "../env/transport.js";
import type { RaftNode } from "../protocol/raft/index.js";
import type { Address, GroupId, NodeId } from "../types.js";

/** What a LeaderWatch needs from its member; a Member satisfies it as it is. */
export interface LeaderWatchHost {
  readonly environment: { readonly transport: Transport };
  readonly groups: ReadonlyMap<GroupId, { readonly node: RaftNode }>;
  /** The members and their addresses, once the cluster formed; null before. */
  readonly cluster: {
    readonly members: readonly { readonly nodeId: NodeId; readonly address: string }[];
  } | null;
  readonly logger: Logger;
}

/** Most distinct peer addresses held between two ticks; beyond it signals are dropped and counted. */
export const leaderWatchPendingMax = 1024;

/** Counters for tests and the admin API. */
export interface LeaderWatchStats {
  /** Peer-down signals received. */
  signals: number;
  /** Signals dropped because too many distinct addresses were pending. */
  signalsDropped: number;
  /** Signals for an address that is no known member (a client, or before the cluster formed). */
  signalsUnknown: number;
  /** Groups told their leader is unreachable that will campaign soon. */
  groupsHastened: number;
}

/** Tells the groups of one member when the transport loses the connection to their leader. */
export class LeaderWatch {
  readonly stats: LeaderWatchStats = { signals: 0, signalsDropped: 0, signalsUnknown: 0, groupsHastened: 0 };
  private readonly pending = new Set<Address>();

  constructor(private readonly host: LeaderWatchHost) {}

  /** Records a peer-down signal for `address` (the transport's callback: it only records). */
  peerDown(address: Address): void {
    this.stats.signals += 1;
    if (this.pending.size >= leaderWatchPendingMax && !this.pending.has(address)) {
      this.stats.signalsDropped += 1;
      return;
    }
    this.pending.add(address);
  }

  /**
   * Tells the groups about every address recorded since the last drain; returns how many groups
   * will campaign soon. Groups that do not follow the member at an address (or lead, or campaign
   * already) ignore it. The member calls it at the start of each tick, before ticking the groups.
   */
  drain(): number {
    if (this.pending.size === 0) return 0;
    let hastened = 0;
    for (const address of this.pending) hastened += this.tellGroups(address);
    this.pending.clear();
    return hastened;
  }

  private tellGroups(address: Address): number {
    const peer = this.host.cluster?.members.find((member) => member.address === address)?.nodeId;
    if (peer === undefined) {
      this.stats.signalsUnknown += 1;
      return 0;
    }
    const hastened: GroupId[] = [];
    for (const [group, { node }] of this.host.groups) {
      if (node.peerUnreachable(peer).kind === "campaign-soon") hastened.push(group);
    }
    this.stats.groupsHastened += hastened.length;
    if (hastened.length > 0) {
      this.host.logger.info("raft.leader_unreachable", { peer, address, groups: hastened.length });
    }
    return hastened.length;
  }
}

/**
 * Installs a LeaderWatch on the host's transport; null when the transport has no peer-down signal
 * (then followers fall back to the election timeout). It takes the transport's single peer-down
 * handler. Call once, from the member's start(), and call drain() at the start of every tick.
 */
export function leaderWatchAttach(host: LeaderWatchHost): LeaderWatch | null {
  const transport = host.environment.transport;
  if (transport.onPeerDown === undefined) return null;
  const watch = new LeaderWatch(host);
  transport.onPeerDown((address) => watch.peerDown(address));
  return watch;
}
