// Client sessions for exactly-once commands (thesis §6.3, H10). Raft alone applies a command once
// per log entry, and a client that retries a timed-out command may get it into the log twice. The
// table keeps, per client, the highest sequence number applied and its response: a retry of that
// number is answered from the table and never executed again; an older number is refused as stale.
// The table is part of the replicated state: it changes only when entries are applied, and sessions
// expire by the leader-assigned log time carried in the entries, so every replica evicts the same
// sessions at the same index.

import { assert } from "../lib/assert.js";
import type { ClientId } from "../types.js";

/** Limits and switches of a session table. */
export interface SessionConfig {
  /** Most sessions kept; beyond it the least recently active session is evicted. */
  readonly sessionsMax: number;
  /** A session idle for longer than this (in log time) is evicted. */
  readonly sessionExpiryMs: number;
  /** Mutant M8: when false, duplicates are executed again (no dedupe). Always true in production. */
  readonly dedupe: boolean;
}

/** Defaults: 10,000 sessions, one hour of log time. */
export function sessionConfigDefault(): SessionConfig {
  return { sessionsMax: 10_000, sessionExpiryMs: 60 * 60 * 1000, dedupe: true };
}

/** What applying a command through the table did. */
export type SessionOutcome<R> =
  | { readonly kind: "executed"; readonly response: R }
  | { readonly kind: "duplicate"; readonly response: R }
  | { readonly kind: "stale" }
  | { readonly kind: "expired" };

interface Session<R> {
  lastSequence: number;
  response: R;
  lastActiveMs: number;
}

/** The plain-data form of a table, for snapshots. */
export interface SessionTableData<R> {
  readonly sessions: readonly (readonly [string, number, R, number])[];
}

/**
 * The session table of one replicated state machine. The map is kept in order of last activity
 * (a touched session moves to the end), which is also the order of `lastActiveMs` because log time
 * never goes back: expiry pops from the front and eviction looks only at the front's ties, so both
 * cost O(1) amortised per command instead of a scan of every session.
 */
export class SessionTable<R> {
  private readonly sessions = new Map<ClientId, Session<R>>();
  /**
   * No session was active before this log time, as of the last expiry scan (-Infinity: scan next
   * time). Log time never goes back, so it stays a lower bound of every session's activity, and
   * while `logTimeMs - oldestActiveMs` is within the expiry no session can expire and no scan is
   * needed. The scan is not free even though it stops at the first live session: a Map keeps the
   * slots of deleted entries until it is rebuilt, and `touch` leaves one at the front per command.
   */
  private oldestActiveMs = Number.NEGATIVE_INFINITY;
  /**
   * The client whose session is last in the activity order, or null when unknown. A client that
   * sends command after command (the common case) is touched without moving it: a Map moves a key
   * only by deleting and re-inserting it, which leaves a dead slot behind each time.
   */
  private newest: ClientId | null = null;

  constructor(private readonly config: SessionConfig) {
    assert(config.sessionsMax > 0, "sessionsMax must be positive");
    assert(config.sessionExpiryMs > 0, "sessionExpiryMs must be positive");
  }

  /**
   * Applies command `sequence` of `client` at log time `logTimeMs`, running `execute` only if it was
   * never applied. Sequence numbers start at 1; a client with no session and a sequence above 1 lost
   * its session (expired) and must open a new one under a new client id.
   */
  apply(client: ClientId, sequence: number, logTimeMs: number, execute: () => R): SessionOutcome<R> {
    assert(Number.isSafeInteger(sequence) && sequence >= 1, "sequence numbers start at 1");
    this.expire(logTimeMs);
    const session = this.sessions.get(client);
    if (this.config.dedupe) {
      if (session === undefined && sequence > 1) return { kind: "expired" };
      if (session !== undefined && sequence === session.lastSequence) {
        this.touch(client, session, logTimeMs);
        return { kind: "duplicate", response: session.response };
      }
      if (session !== undefined && sequence < session.lastSequence) return { kind: "stale" };
    }
    const response = execute();
    if (session === undefined) {
      this.evictForRoom();
      this.sessions.set(client, { lastSequence: sequence, response, lastActiveMs: logTimeMs });
      this.newest = client;
    } else {
      session.lastSequence = Math.max(session.lastSequence, sequence);
      session.response = response;
      this.touch(client, session, logTimeMs);
    }
    assert(this.sessions.size <= this.config.sessionsMax, "session table over its limit");
    return { kind: "executed", response };
  }

  /** Number of live sessions. */
  size(): number {
    return this.sessions.size;
  }

  /** The table as plain data (sorted, so equal tables give equal bytes). */
  toData(): SessionTableData<R> {
    const rows = [...this.sessions.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, s]) => [id as string, s.lastSequence, s.response, s.lastActiveMs] as const);
    return { sessions: rows };
  }

  /** Rebuilds a table from {@link toData} output. */
  static fromData<R>(config: SessionConfig, data: SessionTableData<R>): SessionTable<R> {
    const table = new SessionTable<R>(config);
    // Rebuild the activity order from the times (ties in id order; eviction does not depend on it).
    const rows = [...data.sessions].sort((a, b) => a[3] - b[3] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [id, lastSequence, response, lastActiveMs] of rows) {
      table.sessions.set(id as ClientId, { lastSequence, response, lastActiveMs });
      table.newest = id as ClientId;
    }
    return table;
  }

  /** Marks `session` active at `logTimeMs`: it moves to the end of the activity order. */
  private touch(client: ClientId, session: Session<R>, logTimeMs: number): void {
    assert(logTimeMs >= session.lastActiveMs, "log time never goes back");
    session.lastActiveMs = logTimeMs;
    if (client === this.newest) return;
    this.sessions.delete(client);
    this.sessions.set(client, session);
    this.newest = client;
  }

  /** Evicts every session idle for longer than the expiry: they are all at the front. */
  private expire(logTimeMs: number): void {
    const expiryMs = this.config.sessionExpiryMs;
    if (logTimeMs - this.oldestActiveMs <= expiryMs) return;
    for (const [id, session] of this.sessions) {
      if (logTimeMs - session.lastActiveMs <= expiryMs) {
        this.oldestActiveMs = session.lastActiveMs;
        return;
      }
      this.sessions.delete(id);
      if (id === this.newest) this.newest = null;
    }
    this.oldestActiveMs = Number.NEGATIVE_INFINITY;
  }

  /**
   * Evicts the least recently active session when the table is full, ties broken by the smaller
   * id so that every replica (whatever order its map holds ties in) evicts the same one.
   */
  private evictForRoom(): void {
    if (this.sessions.size < this.config.sessionsMax) return;
    let victim: ClientId | null = null;
    let oldestMs = 0;
    for (const [id, session] of this.sessions) {
      if (victim === null) oldestMs = session.lastActiveMs;
      else if (session.lastActiveMs !== oldestMs) break;
      if (victim === null || id < victim) victim = id;
    }
    if (victim === null) return;
    this.sessions.delete(victim);
    if (victim === this.newest) this.newest = null;
  }
}
